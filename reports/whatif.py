"""What-if: the effect of a change to a module's rules or requirements, before it is saved
(PRODUCT.md section 12, `whatif` in section 8).

The change is applied through the same services that save it for real, inside a transaction that
is always rolled back, and measured there with the one compliance engine
(training.selectors.engine.compliance_statuses) and the reminder planner's read-only plan
(notifications.selectors.planning.reminder_plan): no copy of any rule, and nothing written.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from notifications.selectors.planning import reminder_plan
from training import services as training_services
from training.compliance import Status
from training.models import Module, Requirement
from training.selectors.engine import compliance_statuses
from workforce.models import Agency, JobRole

LATER_DAYS = 90
UNCHANGED = object()
DEFAULT_DUE_WITHIN_DAYS = 90


@dataclass
class Change:
    """A change to one module: its rules, and which job roles require it."""

    module: Module
    validity_months: object = UNCHANGED  # an int, None (never expires) or UNCHANGED
    renewal_window_days: object = UNCHANGED
    due_within_days: object = UNCHANGED  # for every requirement of the module (and new ones)
    require: list[JobRole] = field(default_factory=list)
    unrequire: list[JobRole] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        rules = (self.validity_months, self.renewal_window_days, self.due_within_days)
        return all(value is UNCHANGED for value in rules) and not self.require and not self.unrequire

    def describe(self) -> list[str]:
        lines = []
        if self.validity_months is not UNCHANGED:
            valid = (
                "never expire"
                if self.validity_months is None
                else f"stay valid {self.validity_months} months"
            )
            lines.append(f"Completions of {self.module.code} {valid}")
        if self.renewal_window_days is not UNCHANGED:
            lines.append(f"Renewal opens {self.renewal_window_days} days before expiry")
        if self.due_within_days is not UNCHANGED:
            lines.append(f"Due within {self.due_within_days} days of joining or of the requirement")
        lines += [f"{role.name} must do {self.module.code}" for role in self.require]
        lines += [f"{role.name} no longer needs {self.module.code}" for role in self.unrequire]
        return lines


def change_apply(change: Change, *, on: datetime.date, actor=None) -> None:
    """Save the change, through the training services (so it is validated and in the history)."""
    module_changes = {}
    if change.validity_months is not UNCHANGED:
        module_changes["validity_months"] = change.validity_months
    if change.renewal_window_days is not UNCHANGED:
        module_changes["renewal_window_days"] = change.renewal_window_days
    with transaction.atomic():
        # The module as stored now (locked): the caller's instance may hold a rolled-back preview.
        module = Module.objects.select_for_update().get(pk=change.module.pk)
        if module_changes:
            training_services.module_update(module=module, actor=actor, **module_changes)
        for role in change.unrequire:
            for requirement in Requirement.objects.filter(module=module, job_role=role):
                training_services.requirement_delete(requirement=requirement, actor=actor)
        if change.due_within_days is not UNCHANGED:
            for requirement in Requirement.objects.filter(module=module):
                training_services.requirement_update(
                    requirement=requirement, actor=actor, due_within_days=change.due_within_days
                )
        for role in change.require:
            if not Requirement.objects.filter(module=module, job_role=role).exists():
                due = (
                    DEFAULT_DUE_WITHIN_DAYS if change.due_within_days is UNCHANGED else change.due_within_days
                )
                training_services.requirement_create(
                    actor=actor, job_role=role, module=module, due_within_days=due, starts_on=on
                )


class _Rollback(Exception):
    pass


def _measure(on: datetime.date):
    later = on + datetime.timedelta(days=LATER_DAYS)
    return {
        "today": {(row.staff_id, row.module_id): row for row in compliance_statuses(on=on)},
        "later": {(row.staff_id, row.module_id): row for row in compliance_statuses(on=later)},
        "reminders": len(reminder_plan(day=on).pending),
    }


def _counts(rows) -> dict:
    counts = Counter(row.status for row in rows)
    return {status.value: counts.get(status, 0) for status in Status}


def _changed(before: dict, after: dict) -> int:
    keys = before.keys() | after.keys()
    return sum(
        1
        for key in keys
        if (before.get(key).status if key in before else None)
        != (after.get(key).status if key in after else None)
    )


def whatif(change: Change, *, on: datetime.date) -> dict:
    """The figures before and after `change` on `on` and 90 days later, by agency, with the
    reminders the planner's run for `on` would send; writes nothing (PRODUCT.md section 8)."""
    before = _measure(on)
    after = {}
    try:
        with transaction.atomic():
            change_apply(change, on=on)
            after = _measure(on)
            raise _Rollback
    except _Rollback:
        pass
    by_agency = {}
    for pk, slug in Agency.objects.order_by("slug").values_list("pk", "slug"):
        by_agency[slug] = {
            "before": _counts(row for row in before["today"].values() if row.agency_id == pk),
            "after": _counts(row for row in after["today"].values() if row.agency_id == pk),
        }
    return {
        "on": on.isoformat(),
        "before": _counts(before["today"].values()),
        "after": _counts(after["today"].values()),
        "changed": _changed(before["today"], after["today"]),
        "by_agency": by_agency,
        "in_90_days": {
            "on": (on + datetime.timedelta(days=LATER_DAYS)).isoformat(),
            "before": _counts(before["later"].values()),
            "after": _counts(after["later"].values()),
            "changed": _changed(before["later"], after["later"]),
        },
        "reminders_next_run": {"before": before["reminders"], "after": after["reminders"]},
    }
