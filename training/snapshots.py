"""Daily compliance snapshots: the figures behind the dashboard's 12-month trend.

A snapshot is the count of pairs by status on one date, for the whole partnership, for each active
agency and for each active module, computed by the one engine (training.selectors.compliance_statuses
with `on` set to that date). The nightly Celery beat task takes today's; seed_demo back-fills a
year of them so a new demo has a trend to show.

Historical snapshots count only completions made by their date and exemptions covering it, but
use people's current job role and the current catalogue (see training.selectors.engine): they are the
best reconstruction available, and the nightly snapshot replaces guesswork from then on.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction

from workforce.models import Agency

from .compliance import Status, add_months
from .models import ComplianceSnapshot, Module, SnapshotScope
from .selectors.compliance import Cell
from .selectors.engine import ComplianceSummary, compliance_statuses, compliance_summary, summaries_by

STATUS_FIELDS = tuple(status.value for status in Status)


def compliance_snapshot_take(*, on: datetime.date) -> int:
    """Record the figures of `on`; returns how many rows were written (created or updated).

    Idempotent per date: one row per scope and date (database constraints), so a second run on the
    same day, a retried task or a second beat process updates the same rows with the same numbers.
    """
    # Figures only, so the SQL-classified statuses (checked against the pure rules by a property
    # test) serve: a year of back-filled snapshots at partnership scale stays a few seconds.
    pairs = compliance_statuses(on=on)
    per_agency = summaries_by(pairs, lambda pair: pair.agency_id)
    per_module = summaries_by(pairs, lambda pair: pair.module_id)
    empty = compliance_summary(())
    rows = [(SnapshotScope.PARTNERSHIP, {}, compliance_summary(pairs))]
    rows += [
        (SnapshotScope.AGENCY, {"agency_id": agency_id}, per_agency.get(agency_id, empty))
        for agency_id in Agency.objects.filter(active=True).values_list("id", flat=True)
    ]
    rows += [
        (SnapshotScope.MODULE, {"module_id": module_id}, per_module.get(module_id, empty))
        for module_id in Module.objects.filter(active=True).values_list("id", flat=True)
    ]
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
    the partnership has none yet; returns the dates taken (oldest first).

    Safe to run again: dates that already have a snapshot are left alone, so a re-run takes none.
    """
    dates = [add_months(today, -back) for back in range(months - 1, -1, -1)]
    taken = set(
        ComplianceSnapshot.objects.filter(scope=SnapshotScope.PARTNERSHIP, taken_on__in=dates).values_list(
            "taken_on", flat=True
        )
    )
    missing = [day for day in dates if day not in taken]
    for day in missing:
        compliance_snapshot_take(on=day)
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


def compliance_trend(*, today: datetime.date, months: int = 12, agency=None, module=None) -> list[TrendPoint]:
    """The last `months` calendar months up to today's, oldest first, each with its latest snapshot
    of the partnership (or of one agency, or of one module). One query."""
    first_month = add_months(today.replace(day=1), -(months - 1))
    snapshots = ComplianceSnapshot.objects.filter(taken_on__gte=first_month, taken_on__lte=today)
    if agency is not None:
        snapshots = snapshots.filter(scope=SnapshotScope.AGENCY, agency=agency)
    elif module is not None:
        snapshots = snapshots.filter(scope=SnapshotScope.MODULE, module=module)
    else:
        snapshots = snapshots.filter(scope=SnapshotScope.PARTNERSHIP)
    latest = {}
    for snapshot in snapshots.order_by("taken_on"):
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
