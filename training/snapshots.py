"""Daily compliance snapshots: the figures behind the dashboard's 12-month trend.

A snapshot is the count of pairs by status on one date, for the whole partnership, for each active
agency, for each active module and for each tier of job role, computed by the one engine
(training.selectors.compliance_statuses with `on` set to that date). The nightly Celery beat task
takes today's; seed_demo back-fills a year of them so a new demo has a trend to show.

Historical snapshots count only completions made by their date and exemptions covering it, but
use people's current job role and the current catalogue (see training.selectors.engine): they are the
best reconstruction available, and the nightly snapshot replaces guesswork from then on.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction

from workforce.models import Agency, JobRole, Tier

from .compliance import Status, add_months
from .models import ComplianceSnapshot, Module, SnapshotScope
from .selectors.compliance import Cell
from .selectors.engine import ComplianceSummary, compliance_statuses, compliance_summary, summaries_by

STATUS_FIELDS = tuple(status.value for status in Status)
ALL_SCOPES = tuple(SnapshotScope)


def compliance_snapshot_take(*, on: datetime.date, scopes=ALL_SCOPES) -> int:
    """Record the figures of `on` (of `scopes`, every scope by default); returns how many rows were
    written (created or updated).

    Idempotent per date: one row per scope and date (database constraints), so a second run on the
    same day, a retried task or a second beat process updates the same rows with the same numbers.
    A tier is that of the person's job role, read from the same status rows as every other scope,
    so a tier's snapshot is what `compliance_statuses(on=on, tier=tier)` counts.
    """
    # Figures only, so the SQL-classified statuses (checked against the pure rules by a property
    # test) serve: a year of back-filled snapshots at partnership scale stays a few seconds.
    pairs = compliance_statuses(on=on)
    empty = compliance_summary(())
    rows = []
    if SnapshotScope.PARTNERSHIP in scopes:
        rows.append((SnapshotScope.PARTNERSHIP, {}, compliance_summary(pairs)))
    if SnapshotScope.AGENCY in scopes:
        per_agency = summaries_by(pairs, lambda pair: pair.agency_id)
        rows += [
            (SnapshotScope.AGENCY, {"agency_id": agency_id}, per_agency.get(agency_id, empty))
            for agency_id in Agency.objects.filter(active=True).values_list("id", flat=True)
        ]
    if SnapshotScope.MODULE in scopes:
        per_module = summaries_by(pairs, lambda pair: pair.module_id)
        rows += [
            (SnapshotScope.MODULE, {"module_id": module_id}, per_module.get(module_id, empty))
            for module_id in Module.objects.filter(active=True).values_list("id", flat=True)
        ]
    if SnapshotScope.TIER in scopes:
        tier_of_role = dict(JobRole.objects.values_list("id", "tier"))
        per_tier = summaries_by(pairs, lambda pair: tier_of_role.get(pair.job_role_id))
        rows += [(SnapshotScope.TIER, {"tier": tier.value}, per_tier.get(tier.value, empty)) for tier in Tier]
    with transaction.atomic():
        for scope, subject, summary in rows:
            ComplianceSnapshot.objects.update_or_create(
                taken_on=on, scope=scope, **subject, defaults=_snapshot_fields(summary)
            )
    return len(rows)


def _snapshot_fields(summary: ComplianceSummary) -> dict:
    return {
        **summary.status_counts(),
        "people_total": summary.people_total,
        "people_compliant": summary.people_compliant,
    }


def compliance_snapshot_backfill(*, months: int, today: datetime.date) -> list[datetime.date]:
    """Take a snapshot on the same day of each of the last `months` months, today included, where
    the partnership has none yet; returns the dates taken (oldest first). A date taken before tiers
    were recorded gets its tier rows only, so its other figures stay as they were recorded.

    Safe to run again: dates that already have a snapshot are left alone, so a re-run takes none.
    """
    dates = [add_months(today, -back) for back in range(months - 1, -1, -1)]
    recorded = ComplianceSnapshot.objects.filter(
        scope__in=(SnapshotScope.PARTNERSHIP, SnapshotScope.TIER), taken_on__in=dates
    )
    taken = {scope: set() for scope in (SnapshotScope.PARTNERSHIP, SnapshotScope.TIER)}
    for scope, day in recorded.values_list("scope", "taken_on").distinct():
        taken[scope].add(day)
    missing = [day for day in dates if day not in taken[SnapshotScope.PARTNERSHIP]]
    for day in dates:
        if day not in taken[SnapshotScope.PARTNERSHIP]:
            compliance_snapshot_take(on=day)
        elif day not in taken[SnapshotScope.TIER]:
            compliance_snapshot_take(on=day, scopes=(SnapshotScope.TIER,))
    return missing


@dataclass(frozen=True)
class TrendPoint:
    """One month of the trend: the last snapshot taken in that month, or None when there is none."""

    month: datetime.date  # the first day of the month
    taken_on: datetime.date | None
    summary: ComplianceSummary | None

    @property
    def rate(self) -> float | None:
        return self.summary.rate if self.summary is not None else None

    @property
    def cell(self) -> Cell | None:
        """The month's compliance rate as the pages show it (whole percent, colour band)."""
        return Cell(self.summary) if self.summary is not None else None


def compliance_trend(
    *, today: datetime.date, months: int = 12, agency=None, module=None, tier=None
) -> list[TrendPoint]:
    """The last `months` calendar months up to today's, oldest first, each with its latest snapshot
    of the partnership (or of one agency, one module or one tier). One query."""
    first_month = add_months(today.replace(day=1), -(months - 1))
    snapshots = ComplianceSnapshot.objects.filter(taken_on__gte=first_month, taken_on__lte=today)
    if agency is not None:
        snapshots = snapshots.filter(scope=SnapshotScope.AGENCY, agency=agency)
    elif module is not None:
        snapshots = snapshots.filter(scope=SnapshotScope.MODULE, module=module)
    elif tier is not None:
        snapshots = snapshots.filter(scope=SnapshotScope.TIER, tier=int(tier))
    else:
        snapshots = snapshots.filter(scope=SnapshotScope.PARTNERSHIP)
    return _points(snapshots.order_by("taken_on"), today=today, months=months)


def compliance_trends_by_tier(*, today: datetime.date, months: int = 12) -> dict[int, list[TrendPoint]]:
    """compliance_trend of every tier (workforce.models.Tier), by tier value, in one query."""
    first_month = add_months(today.replace(day=1), -(months - 1))
    snapshots = ComplianceSnapshot.objects.filter(
        scope=SnapshotScope.TIER, taken_on__gte=first_month, taken_on__lte=today
    )
    by_tier = {tier.value: [] for tier in Tier}
    for snapshot in snapshots.order_by("taken_on"):
        by_tier.setdefault(snapshot.tier, []).append(snapshot)
    return {tier: _points(rows, today=today, months=months) for tier, rows in by_tier.items()}


def _points(snapshots, *, today, months) -> list[TrendPoint]:
    """One point per month, oldest first: the month's latest of `snapshots` (in date order)."""
    latest = {}
    for snapshot in snapshots:
        latest[snapshot.taken_on.replace(day=1)] = snapshot
    points = []
    for back in range(months - 1, -1, -1):
        month = add_months(today.replace(day=1), -back)
        snapshot = latest.get(month)
        points.append(
            TrendPoint(month, snapshot.taken_on, snapshot_summary(snapshot))
            if snapshot is not None
            else TrendPoint(month, None, None)
        )
    return points


def snapshot_summary(snapshot: ComplianceSnapshot) -> ComplianceSummary:
    """The snapshot as the engine's summary, so its rate is computed by the same definition."""
    return ComplianceSummary(
        counts={status: getattr(snapshot, status.value) for status in Status},
        people_total=snapshot.people_total,
        people_compliant=snapshot.people_compliant,
    )
