"""The digests: a line manager's weekly digest (Monday 08:00, only when something needs their
attention) and an agency training lead's monthly digest (on the 1st: compliance, who is overdue
or expired, who cannot be reached). A recipient may switch either off from the link in it."""

import datetime
from dataclasses import dataclass

from django.conf import settings

from training.compliance import Status
from training.selectors.engine import compliance_pairs, compliance_summary, current_staff
from workforce.models import Agency, StaffMember

from .. import rules
from ..models import DigestOptOut
from ..rules import Kind
from ..selectors.planning import last_planner_run
from . import Check, NamedStage, ReminderKind, ReminderSource, series


def digest_opt_outs() -> set[tuple[str, str]]:
    return set(DigestOptOut.objects.values_list("email", "kind"))


class Digests(ReminderSource):
    kinds = (
        ReminderKind(
            Kind.MANAGER_DIGEST,
            Kind.MANAGER_DIGEST.label,
            digest=True,
            description="Monday mornings: the people you line-manage whose HSB training needs attention.",
            footer="You get this weekly digest because your agency's staff list names you as a line manager.",
        ),
        ReminderKind(
            Kind.AGENCY_DIGEST,
            Kind.AGENCY_DIGEST.label,
            digest=True,
            description=(
                "On the 1st of each month: your agency's compliance, who is overdue and who cannot be "
                "reached."
            ),
            footer="You get this monthly digest as your agency's training lead in the tracker.",
        ),
    )
    named_stages = {
        "weekly": NamedStage("each Monday", "week starting"),
        "monthly": NamedStage("on the 1st of each month", "month starting"),
    }

    def series(self, planning):
        day = planning.day
        week, month = rules.week_start(day), rules.month_start(day)
        in_catch_up = day not in (week, month) and (
            rules.digest_due(period_start=week, today=day, last_run=None)
            or rules.digest_due(period_start=month, today=day, last_run=None)
        )
        # Only a day that might catch up a missed digest needs to know when the planner last ran.
        last_run = last_planner_run(day) if in_catch_up else day
        weekly = rules.digest_due(period_start=week, today=day, last_run=last_run)
        monthly = rules.digest_due(period_start=month, today=day, last_run=last_run)
        if not (weekly or monthly):
            return
        opted_out = digest_opt_outs()
        if weekly:
            yield from self._weekly(planning, week, opted_out)
        if monthly:
            yield from self._monthly(day, month, opted_out)

    def _weekly(self, planning, week, opted_out):
        managers = set()
        for pair in planning.pairs:
            contact = planning.contacts.get(pair.staff_id)
            if contact and contact.line_manager_email and rules.needs_attention(pair, planning.day):
                managers.add(contact.line_manager_email)
        stage = rules.Stage(week, 0, Kind.MANAGER_DIGEST, "weekly")
        for manager in sorted(managers):
            if (manager, Kind.MANAGER_DIGEST) not in opted_out:
                yield series(
                    kind=Kind.MANAGER_DIGEST,
                    recipient=manager,
                    stages=[stage],
                    today=planning.day,
                    cycle_date=week,
                )

    def _monthly(self, day, month, opted_out):
        stage = rules.Stage(month, 0, Kind.AGENCY_DIGEST, "monthly")
        leads = Agency.objects.filter(active=True).exclude(training_lead_email="")
        for agency_id, email in leads.values_list("id", "training_lead_email"):
            email = email.lower()
            if (email, Kind.AGENCY_DIGEST) not in opted_out:
                yield series(
                    kind=Kind.AGENCY_DIGEST,
                    recipient=email,
                    stages=[stage],
                    today=day,
                    agency_id=agency_id,
                    cycle_date=month,
                )

    def check(self, items, *, today):
        opted_out = digest_opt_outs()
        return {item.id: self._check(item, today, opted_out) for item in items}

    def _check(self, item, today, opted_out):
        if (item.recipient, item.kind) in opted_out:
            return Check("unsubscribed from this digest")
        agency = item.agency
        if agency is not None and not agency.active:
            return Check("the agency is inactive")
        if item.kind == Kind.MANAGER_DIGEST:
            entries = manager_digest(email=item.recipient, today=today)
            return Check(content=entries) if entries else Check("nothing needed attention")
        if agency.training_lead_email.lower() != item.recipient:
            return Check("the agency's training lead changed")
        return Check(content=agency_digest(agency=agency, today=today))

    def email_context(self, item, facts):
        if item.kind == Kind.MANAGER_DIGEST:
            entries = facts.contents[item.id]
            return {
                "week_of": rules.long_date(item.cycle_date),
                "entries": entries,
                "people": len({entry.staff.id for entry in entries}),
                "site_url": settings.SITE_URL,
            }
        digest = facts.contents[item.id]
        rate = digest.summary.rate
        return {
            "agency": item.agency,
            "month": item.cycle_date,
            "summary": digest.summary,
            "measured": digest.summary.required - digest.summary.exempt,
            "rate": f"{rate:.0%}" if rate is not None else "no figure (nobody is required to train)",
            "overdue": digest.overdue,
            "unreachable": digest.unreachable,
            "site_url": settings.SITE_URL,
        }


@dataclass(frozen=True)
class TeamEntry:
    staff: StaffMember
    module: object
    status: Status
    key_date: datetime.date | None


def manager_digest(*, email: str, today: datetime.date) -> list[TeamEntry]:
    """What a line manager's weekly digest lists: their team's pairs that need attention."""
    team = StaffMember.objects.filter(line_manager_email=email.lower())
    pairs = [pair for pair in compliance_pairs(on=today, staff=team) if rules.needs_attention(pair, today)]
    people = StaffMember.objects.in_bulk([pair.staff_id for pair in pairs])
    entries = [TeamEntry(people[pair.staff_id], pair.module, pair.status, pair.key_date) for pair in pairs]
    return sorted(
        entries, key=lambda e: (-e.status.severity, e.staff.last_name, e.staff.first_name, e.module.code)
    )


@dataclass(frozen=True)
class AgencyDigest:
    agency: Agency
    summary: object
    overdue: list
    unreachable: list


def agency_digest(*, agency: Agency, today: datetime.date, limit: int = 200) -> AgencyDigest:
    """The monthly digest of one agency: its compliance, who is overdue or expired, and current staff
    with no email address (who receive no reminders)."""
    pairs = compliance_pairs(on=today, agency=agency)
    lapsed = [pair for pair in pairs if pair.status in (Status.OVERDUE, Status.EXPIRED)]
    people = StaffMember.objects.in_bulk([pair.staff_id for pair in lapsed[:limit]])
    overdue = sorted(
        (
            TeamEntry(people[pair.staff_id], pair.module, pair.status, pair.key_date)
            for pair in lapsed[:limit]
        ),
        key=lambda e: (e.staff.last_name, e.staff.first_name, e.module.code),
    )
    unreachable = list(
        current_staff(on=today, agency=agency).filter(email="").order_by("last_name", "first_name")[:limit]
    )
    return AgencyDigest(agency, compliance_summary(pairs), overdue, unreachable)
