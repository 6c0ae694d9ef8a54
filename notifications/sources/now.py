"""Reminders sent now: a lead or an agency's HR asks, from a list of people or a person's page,
for one person to be reminded today of everything they have outstanding (issue 13). The planner
never plans these (`series` yields nothing): notifications.services.reminders_now_request writes
the items, one per person per day under the usual unique key, so asking twice the same day
queues nothing more. They go through the outbox like every other reminder: one email per
recipient per day, re-checked when sent, visible on the outbox page."""

from training.compliance import Status
from training.selectors.engine import compliance_pairs
from workforce.models import StaffMember

from .. import rules
from . import Check, NamedStage, ReminderKind, ReminderSource
from .compliance import STAFF_FOOTER

KIND = "reminder_now"
STAGE = "now"
# What counts as outstanding: anything not valid, and renewals already open.
OUTSTANDING = (Status.EXPIRED, Status.OVERDUE, Status.DUE, Status.RENEWAL_DUE)


def now_series(*, email: str, staff_id: int, day) -> str:
    return f"now|{email}|{staff_id}|{day.isoformat()}"


def now_key(*, email: str, staff_id: int, day) -> str:
    return rules.item_key(kind=KIND, series=now_series(email=email, staff_id=staff_id, day=day), stage=STAGE)


def outstanding_pairs(staff_ids, *, today) -> dict[int, list]:
    """{staff id: pairs outstanding on `today`, most urgent first}, for current staff only (the
    compliance engine's pairs: leavers, inactive agencies and retired modules have none)."""
    found = {}
    order = {status: index for index, status in enumerate(OUTSTANDING)}
    people = StaffMember.objects.filter(id__in=list(staff_ids))
    for pair in compliance_pairs(on=today, staff=people):
        if pair.status in order:
            found.setdefault(pair.staff_id, []).append(pair)
    for pairs in found.values():
        pairs.sort(key=lambda pair: (order[pair.status], pair.key_date or today, pair.module.code))
    return found


class RemindersNow(ReminderSource):
    kinds = (ReminderKind(KIND, "Reminder sent now", own_training=True, urgency=0, footer=STAFF_FOOTER),)
    named_stages = {STAGE: NamedStage("asked for by a lead or HR", "day")}
    on_request = True

    def series(self, planning):
        return iter(())

    def check(self, items, *, today):
        pairs = outstanding_pairs({item.staff_id for item in items}, today=today)
        found = {}
        for item in items:
            staff = item.staff
            if staff is None or staff.email.lower() != item.recipient:
                found[item.id] = Check("their email address changed")
            elif not pairs.get(item.staff_id):
                found[item.id] = Check("nothing is outstanding any more")
            else:
                found[item.id] = Check(content=pairs[item.staff_id])
        return found

    def email_context(self, item, facts):
        return {"staff": item.staff, "pairs": facts.contents[item.id]}
