"""Every read of the reminder engine's pages and of the reminders_outbox command: the outbox's
items and messages, the preview of tomorrow's batch grouped into messages, the last planner run,
and a person's reminders. Each touches the database a fixed number of times whatever the number of
rows.
"""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from training.models import Module
from training.selectors.compliance import ComplianceFilters
from workforce.models import Agency, StaffMember

from .. import sources
from ..models import ItemStatus, MessageStatus, PlannerRun, ReminderItem, ReminderMessage, ReminderPause
from ..sources.compliance import NextReminder, next_reminder_for
from . import planning

PERSON_HISTORY_LIMIT = 20


# ---------------------------------------------------------------------------------------------
# Tomorrow's batch
# ---------------------------------------------------------------------------------------------


@dataclass
class PreviewLine:
    kind: str
    stage: str
    cycle_date: datetime.date
    staff: StaffMember | None
    module: Module | None
    agency: Agency | None

    @property
    def kind_label(self) -> str:
        return sources.kind_label(self.kind)


@dataclass
class PreviewMessage:
    recipient: str
    lines: list[PreviewLine] = field(default_factory=list)


@dataclass
class Preview:
    day: datetime.date
    by_kind: list[tuple[str, int]]
    items: int
    skipped: int
    superseded: int
    messages: list[PreviewMessage]
    worked_out_at: datetime.datetime


# Working tomorrow's batch out runs the planner without writing (seconds for a large partnership),
# so the result is kept this long and the page says when it was worked out and offers to do it again.
PREVIEW_CACHE_SECONDS = 10 * 60
PREVIEW_CACHE_KEY = "notifications:tomorrow-preview"


@dataclass
class _PlanSummary:
    """What the page needs of the planner's dry run: small and picklable, for the cache."""

    day: datetime.date
    pending: list  # sources.PlannedItem
    planned_by_kind: dict[str, int]
    skipped: int
    superseded: int
    worked_out_at: datetime.datetime


def _tomorrow_summary(*, today: datetime.date, refresh: bool) -> _PlanSummary:
    """The dry run for the day after `today`, from the cache unless it holds another day's or
    `refresh` is asked for. One key, not one per day: a new day simply replaces it."""
    summary = None if refresh else cache.get(PREVIEW_CACHE_KEY)
    if summary is None or summary.day != today + datetime.timedelta(days=1):
        plan = planning.tomorrow_preview(today=today)
        summary = _PlanSummary(
            day=plan.day,
            pending=list(plan.pending),
            planned_by_kind=plan.planned_by_kind(),
            skipped=len(plan.skipped),
            superseded=len(plan.superseded_ids),
            worked_out_at=timezone.now(),
        )
        cache.set(PREVIEW_CACHE_KEY, summary, PREVIEW_CACHE_SECONDS)
    return summary


def tomorrow_batch(*, today: datetime.date | None = None, refresh: bool = False) -> Preview:
    """What the planner would make tomorrow (notifications.selectors.planning.tomorrow_preview, which writes
    nothing), one message per recipient with every item it would list, as worked out at most
    PREVIEW_CACHE_SECONDS ago (at once with `refresh`). Names come from three bulk reads, whatever
    the size of the batch."""
    today = today or timezone.localdate()
    plan = _tomorrow_summary(today=today, refresh=refresh)
    pending = sorted(plan.pending, key=lambda item: (item.recipient, item.kind, item.stage, item.key))
    people = StaffMember.objects.select_related("agency").in_bulk({i.staff_id for i in pending} - {None})
    modules = Module.objects.in_bulk({i.module_id for i in pending} - {None})
    agencies = Agency.objects.in_bulk({i.agency_id for i in pending} - {None})
    messages: dict[str, PreviewMessage] = {}
    for item in pending:
        message = messages.setdefault(item.recipient, PreviewMessage(item.recipient))
        message.lines.append(
            PreviewLine(
                kind=item.kind,
                stage=item.stage,
                cycle_date=item.cycle_date,
                staff=people.get(item.staff_id),
                module=modules.get(item.module_id),
                agency=agencies.get(item.agency_id),
            )
        )
    by_kind = [(sources.kind_label(kind), count) for kind, count in plan.planned_by_kind.items() if count]
    return Preview(
        day=plan.day,
        by_kind=by_kind,
        items=len(pending),
        skipped=plan.skipped,
        superseded=plan.superseded,
        messages=list(messages.values()),
        worked_out_at=plan.worked_out_at,
    )


# ---------------------------------------------------------------------------------------------
# The outbox page and the reminders_outbox command
# ---------------------------------------------------------------------------------------------


def outbox_items(
    *,
    status: str | None = None,
    kind: str | None = None,
    agency=None,
    team=None,
    job_role=None,
    tier: int | None = None,
    module=None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    search: str = "",
):
    """Outbox items, newest planning day first, filtered as the outbox page offers: status, kind,
    agency (of the person, or of an agency digest or review), the person's team, job role and tier
    and the module (as the dashboard narrows pairs), planned-for dates and a search in
    which every word must match the recipient, the person's name or staff number, or the module
    code (so "asha patel" finds Asha Patel's reminders)."""
    items = ReminderItem.objects.select_related("staff", "staff__agency", "module", "agency", "message")
    if status:
        items = items.filter(status=status)
    if kind:
        items = items.filter(kind=kind)
    narrowing = ComplianceFilters(agency=agency, team=team, job_role=job_role, tier=tier, module=module)
    items = narrowing.narrow(items, agency="agency")
    if since is not None:
        items = items.filter(planned_for__gte=since)
    if until is not None:
        items = items.filter(planned_for__lte=until)
    for word in (search or "").split():
        items = items.filter(
            Q(recipient__icontains=word)
            | Q(staff__first_name__icontains=word)
            | Q(staff__last_name__icontains=word)
            | Q(staff__staff_number__iexact=word)
            | Q(module__code__iexact=word)
        )
    return items.order_by("-planned_for", "recipient", "kind", "id")


def outbox_status_counts(**filters) -> dict[str, int]:
    counts = dict(outbox_items(**filters).order_by().values_list("status").annotate(n=Count("id")))
    return {status.value: counts.get(status.value, 0) for status in ItemStatus}


def message_detail(message_id: int) -> ReminderMessage:
    """One message with its items, exactly as sent (subject, text and HTML are stored)."""
    return ReminderMessage.objects.prefetch_related(
        "items__staff", "items__module", "items__agency", "items__requested_by"
    ).get(id=message_id)


def reminder_history_for(staff: StaffMember):
    """Every outbox item about one person (their own reminders and their manager's escalations)."""
    return (
        ReminderItem.objects.filter(staff=staff)
        .select_related("module", "message")
        .order_by("-planned_for", "-id")
    )


def last_planner_run() -> PlannerRun | None:
    """The latest planner run, finished or not (the outbox page says when reminders were planned)."""
    return PlannerRun.objects.order_by("-day").first()


# ---------------------------------------------------------------------------------------------
# The person page
# ---------------------------------------------------------------------------------------------


@dataclass
class PersonReminders:
    next: NextReminder | None
    history: list
    more: bool
    skipped: int


def person_reminders(
    staff: StaffMember, *, today: datetime.date | None = None, pairs: list | None = None
) -> PersonReminders:
    """A person's next scheduled reminder and their latest reminders, newest first, with a count of
    the stages skipped by catch-up (never due to be sent, so not listed one by one). A fixed number
    of queries: the person's compliance pairs, the policies, one page of items and one count.

    `pairs`: the person's compliance pairs on `today` when the caller has them already (the person
    page, from training.selectors.compliance.person_pairs, which keeps an inactive agency's people:
    reminders leave them out)."""
    if pairs is not None and not staff.agency.active:
        pairs = []
    history = reminder_history_for(staff)
    shown = list(history.exclude(status=ItemStatus.SKIPPED)[: PERSON_HISTORY_LIMIT + 1])
    return PersonReminders(
        next=next_reminder_for(staff, today=today, pairs=pairs),
        history=shown[:PERSON_HISTORY_LIMIT],
        more=len(shown) > PERSON_HISTORY_LIMIT,
        skipped=history.filter(status=ItemStatus.SKIPPED).count(),
    )


# ---------------------------------------------------------------------------------------------
# Reminders paused: the switch and what it holds
# ---------------------------------------------------------------------------------------------


def reminder_pause():
    """The partnership's pause switch (a fresh, unsaved one when nobody has ever used it)."""
    return ReminderPause.objects.select_related("changed_by").filter(pk=1).first() or ReminderPause(pk=1)


def held_messages():
    """The emails waiting to go (pending messages, each with its number of pending items), oldest
    first: while reminders are paused, what would have gone out. One query per page."""
    return (
        ReminderMessage.objects.filter(status=MessageStatus.PENDING)
        .annotate(waiting=Count("items", filter=Q(items__status=ItemStatus.PENDING)))
        .order_by("day", "recipient")
    )


# Failures that say nothing about the address: a bug while building the email, or a server that
# stayed unreachable until the sender gave up (notifications.services.message_send writes both).
NOT_ABOUT_THE_ADDRESS = ("Could not build the email", "Gave up after")


def undeliverable_items():
    """Reminders that the mail server or GOV.UK Notify refused for good, at sending (a 5xx reply,
    a Notify 4xx) or afterwards (a Notify "permanent-failure" receipt): their address is not
    working. The person page and the data-quality page read this, for the person's current
    address only, so the warning goes once the address changes."""
    items = ReminderItem.objects.filter(status=ItemStatus.FAILED)
    for prefix in NOT_ABOUT_THE_ADDRESS:
        items = items.exclude(last_error__startswith=prefix)
    return items


def address_failure(staff: StaffMember) -> ReminderItem | None:
    """The latest reminder to the person's current address that could not be delivered, or None."""
    if not staff.email:
        return None
    return (
        undeliverable_items()
        .filter(staff_id=staff.pk, recipient=staff.email)
        .order_by("-planned_for", "-id")
        .first()
    )
