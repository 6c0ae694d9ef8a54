"""Compliance targets, and each rate's change since the previous month, as the pages show them.

A rate on a page is compared with its target (a module's own target, else its tier's where the
page is about a tier, else the partnership's) and with the latest snapshot taken at least a month
before today (training.snapshots), so "up 3 points since 3 November" reads the same figures as the
trend. Changes are in whole percentage points of the rounded rates the pages show (floor_percent),
so the words always agree with the two numbers beside them.
"""

import datetime
from dataclasses import dataclass, field

from workforce.models import Tier

from ..compliance import add_months
from ..models import (
    DEFAULT_PARTNERSHIP_TARGET,
    ComplianceSnapshot,
    ComplianceTarget,
    SnapshotScope,
    TargetScope,
)
from .compliance import floor_percent


@dataclass(frozen=True)
class Targets:
    partnership: int = DEFAULT_PARTNERSHIP_TARGET
    tiers: dict[int, int] = field(default_factory=dict)
    modules: dict[int, int] = field(default_factory=dict)

    def for_module(self, module_id) -> int:
        return self.modules.get(module_id, self.partnership)

    def for_tier(self, tier) -> int:
        return self.tiers.get(int(tier), self.partnership)

    def tier_rows(self):
        return [(tier, self.tiers.get(tier.value)) for tier in Tier]


def compliance_targets() -> Targets:
    """Every target, in one query."""
    partnership, tiers, modules = DEFAULT_PARTNERSHIP_TARGET, {}, {}
    for target in ComplianceTarget.objects.all():
        if target.scope == TargetScope.PARTNERSHIP:
            partnership = target.percent
        elif target.scope == TargetScope.TIER:
            tiers[target.tier] = target.percent
        else:
            modules[target.module_id] = target.percent
    return Targets(partnership, tiers, modules)


def rate_percent(summary) -> int | None:
    """A summary's rate as the pages show it (whole percent, rounded down), or None."""
    if summary is None or summary.rate is None:
        return None
    return floor_percent(summary.valid, summary.required - summary.exempt)


@dataclass(frozen=True)
class RateAgainstTarget:
    """A rate, its target, and its change since an earlier snapshot, with the words for both."""

    percent: int | None
    target: int
    previous_percent: int | None = None
    previous_on: datetime.date | None = None

    @property
    def met(self) -> bool | None:
        return None if self.percent is None else self.percent >= self.target

    @property
    def target_words(self) -> str:
        if self.percent is None:
            return f"Target {self.target}%"
        gap = self.percent - self.target
        if gap >= 0:
            return f"Target {self.target}%: met" + (f", {gap} {_points(gap)} above" if gap else "")
        return f"Target {self.target}%: {-gap} {_points(-gap)} below"

    @property
    def gap_words(self) -> str:
        """The gap to the target for a table with a target column: "22 points below", "Met"."""
        if self.percent is None:
            return "No figure"
        gap = self.percent - self.target
        if gap < 0:
            return f"{-gap} {_points(-gap)} below"
        return "Met" + (f" ({gap} {_points(gap)} above)" if gap else "")

    @property
    def change(self) -> int | None:
        if self.percent is None or self.previous_percent is None:
            return None
        return self.percent - self.previous_percent

    @property
    def direction(self) -> str:
        change = self.change
        return "none" if change is None else ("up" if change > 0 else "down" if change < 0 else "same")

    @property
    def change_words(self) -> str:
        change = self.change
        if change is None:
            return "No figure a month ago to compare with"
        since = f"since {self.previous_on.day} {self.previous_on:%B %Y}"
        if change == 0:
            return f"No change {since} ({self.previous_percent}% then)"
        word = "Up" if change > 0 else "Down"
        return f"{word} {abs(change)} {_points(abs(change))} {since} ({self.previous_percent}% then)"


def _points(number: int) -> str:
    return "point" if number == 1 else "points"


def previous_snapshot(*, today, agency=None, module=None, tier=None, months=1):
    """The latest snapshot of the scope taken at least `months` months before today, or None."""
    snapshots = ComplianceSnapshot.objects.filter(taken_on__lte=add_months(today, -months))
    if agency is not None:
        snapshots = snapshots.filter(scope=SnapshotScope.AGENCY, agency=agency)
    elif module is not None:
        snapshots = snapshots.filter(scope=SnapshotScope.MODULE, module=module)
    elif tier is not None:
        snapshots = snapshots.filter(scope=SnapshotScope.TIER, tier=int(tier))
    else:
        snapshots = snapshots.filter(scope=SnapshotScope.PARTNERSHIP)
    return snapshots.order_by("-taken_on").first()


def previous_snapshots(*, today, scope: str, months=1) -> dict:
    """For every agency (scope "agency"), module (scope "module") or tier (scope "tier"), its latest
    snapshot taken at least `months` months before today, by id (a tier by its value), in one query."""
    subject = {SnapshotScope.AGENCY: "agency_id", SnapshotScope.TIER: "tier"}.get(scope, "module_id")
    snapshots = ComplianceSnapshot.objects.filter(scope=scope, taken_on__lte=add_months(today, -months))
    latest = {}
    for snapshot in snapshots.order_by(subject, "taken_on"):
        latest[getattr(snapshot, subject)] = snapshot
    return latest


def against(summary, target: int, previous=None) -> RateAgainstTarget:
    """`summary`'s rate against `target` and against an earlier snapshot (or none)."""
    from ..snapshots import snapshot_summary

    return RateAgainstTarget(
        percent=rate_percent(summary),
        target=target,
        previous_percent=rate_percent(snapshot_summary(previous)) if previous is not None else None,
        previous_on=previous.taken_on if previous is not None else None,
    )


def rate_against_target(summary, *, today, targets: Targets, agency=None, module=None, tier=None, months=1):
    """`summary`'s rate against its target and against the snapshot of `months` months ago."""
    if module is not None:
        target = targets.for_module(module.pk)
    elif tier is not None:
        target = targets.for_tier(tier)
    else:
        target = targets.partnership
    previous = previous_snapshot(today=today, agency=agency, module=module, tier=tier, months=months)
    return against(summary, target, previous)
