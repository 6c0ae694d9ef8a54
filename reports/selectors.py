"""The figures of the board report (PRODUCT.md section 12), read once and shown both as SVG charts
and as tables.

Every rate comes from the one compliance engine (training.selectors.engine.compliance_statuses,
as `compliance_report` does), so the report's figures are that command's for the same date and
scope; changes over the quarter and the trend come from the daily snapshots (training.snapshots).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from operator import attrgetter

from courses.selectors import board_figures
from strategy.models import Action, ActionStatus
from training.compliance import Status, add_months
from training.models import Module, SnapshotScope
from training.selectors.engine import compliance_pairs, compliance_statuses, compliance_summary, summaries_by
from training.selectors.targets import (
    RateAgainstTarget,
    against,
    compliance_targets,
    previous_snapshot,
    previous_snapshots,
    rate_percent,
)
from training.snapshots import compliance_trend
from workforce.models import Agency, JobRole, Tier

QUARTER_MONTHS = 3
OVERDUE_LONG_DAYS = 182  # "overdue over 6 months"
AGENCY_AT_RISK_BELOW = 50  # percent


@dataclass(frozen=True)
class Line:
    """One row of a table of rates: a name, its summary and its rate against the target."""

    name: str
    summary: object
    against: RateAgainstTarget
    slug: str = ""

    @property
    def percent(self):
        return self.against.percent

    @property
    def expired(self) -> int:
        return self.summary.count(Status.EXPIRED)

    @property
    def overdue(self) -> int:
        return self.summary.count(Status.OVERDUE)

    @property
    def bar_width(self) -> int:
        """The rate as the width of a 100-unit bar (0 without a figure)."""
        return self.percent or 0


@dataclass(frozen=True)
class TrendBar:
    label: str
    month: datetime.date
    percent: int | None


@dataclass
class BoardReport:
    on: datetime.date
    agency: Agency | None
    headline: Line
    agencies: list[Line] = field(default_factory=list)
    tiers: list[Line] = field(default_factory=list)
    modules: list[Line] = field(default_factory=list)
    trend: list[TrendBar] = field(default_factory=list)
    specialists_expired: int = 0
    overdue_long: int = 0
    agencies_under_half: list[Line] = field(default_factory=list)
    sessions: dict | None = None
    actions: dict = field(default_factory=dict)
    actions_overdue: int = 0

    @property
    def subject(self) -> str:
        return self.agency.name if self.agency is not None else "the whole partnership"

    @property
    def target(self) -> int:
        return self.headline.against.target

    @property
    def trend_with_figures(self):
        return [bar for bar in self.trend if bar.percent is not None]


def board_report(*, on: datetime.date, agency=None) -> BoardReport:
    """Every figure of the board report for `agency` (None: the partnership) on `on`."""
    targets = compliance_targets()
    rows = compliance_statuses(on=on, agency=agency)
    summary = compliance_summary(rows)
    headline = Line(
        agency.name if agency else "Partnership",
        summary,
        against(summary, targets.partnership, previous_snapshot(today=on, agency=agency, months=1)),
    )
    report = BoardReport(on=on, agency=agency, headline=headline)

    if agency is None:
        quarter_ago = previous_snapshots(today=on, scope=SnapshotScope.AGENCY, months=QUARTER_MONTHS)
        per_agency = summaries_by(rows, attrgetter("agency_id"))
        for each in Agency.objects.filter(active=True).order_by("name"):
            each_summary = per_agency.get(each.pk) or compliance_summary(())
            before = quarter_ago.get(each.pk)
            line = Line(
                each.name, each_summary, against(each_summary, targets.partnership, before), each.slug
            )
            report.agencies.append(line)
        report.agencies_under_half = [
            line
            for line in report.agencies
            if line.percent is not None and line.percent < AGENCY_AT_RISK_BELOW
        ]

    tier_of_role = dict(JobRole.objects.values_list("pk", "tier"))
    per_tier = summaries_by(rows, lambda row: tier_of_role.get(row.job_role_id))
    # Tier snapshots are of the whole partnership: an agency's report has no quarter's change.
    tiers_quarter_ago = (
        {}
        if agency is not None
        else previous_snapshots(today=on, scope=SnapshotScope.TIER, months=QUARTER_MONTHS)
    )
    for tier in Tier:
        tier_summary = per_tier.get(tier.value)
        if tier_summary is not None:
            before = tiers_quarter_ago.get(tier.value)
            report.tiers.append(
                Line(tier.label, tier_summary, against(tier_summary, targets.for_tier(tier), before))
            )

    per_module = summaries_by(rows, attrgetter("module_id"))
    # Module snapshots are of the whole partnership: an agency's report has no quarter's change.
    modules_quarter_ago = (
        {}
        if agency is not None
        else previous_snapshots(today=on, scope=SnapshotScope.MODULE, months=QUARTER_MONTHS)
    )
    for module in Module.objects.filter(active=True).order_by("code"):
        module_summary = per_module.get(module.pk)
        if module_summary is not None:
            before = modules_quarter_ago.get(module.pk)
            line = Line(
                f"{module.code} {module.title}",
                module_summary,
                against(module_summary, targets.for_module(module.pk), before),
            )
            report.modules.append(line)

    specialist_roles = [pk for pk, tier in tier_of_role.items() if tier == Tier.SPECIALIST]
    report.specialists_expired = len(
        {row.staff_id for row in rows if row.status == Status.EXPIRED and row.job_role_id in specialist_roles}
    )
    long_ago = on - datetime.timedelta(days=OVERDUE_LONG_DAYS)
    overdue = compliance_pairs(on=on, agency=agency)
    report.overdue_long = len(
        {pair.staff_id for pair in overdue if pair.status == Status.OVERDUE and pair.due_on <= long_ago}
    )

    report.trend = [
        TrendBar(f"{point.month:%b %Y}", point.month, rate_percent(point.summary))
        for point in compliance_trend(today=on, agency=agency)
    ]
    report.sessions = _sessions(on=on, agency=agency)
    actions = Action.objects.all()
    if agency is not None:
        actions = actions.filter(owner_agency=agency)
    counts = Counter(actions.values_list("status", flat=True))
    report.actions = {status.label: counts.get(status.value, 0) for status in ActionStatus}
    report.actions_overdue = actions.exclude(status=ActionStatus.DONE).filter(due_on__lt=on).count()
    return report


def _sessions(*, on, agency):
    """Sessions delivered in the last quarter and their attendance (courses); None, shown as "No
    sessions recorded", when none was."""
    figures = board_figures(start=add_months(on, -QUARTER_MONTHS), end=on, agency=agency)
    return figures if figures["delivered"] else None
