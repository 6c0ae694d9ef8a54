import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ModuleFactory, StaffMemberFactory
from training.models import Completion, CompletionSource, Verification
from training.services import (
    completion_record,
    completion_reject,
    completion_verify,
    exemption_create,
    exemption_end,
)

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 11, 26)


@pytest.fixture
def module():
    return ModuleFactory(code="HSB-101", validity_months=36, renewal_window_days=60)


def record(staff, module, completed_on, source=CompletionSource.MANUAL, **kwargs):
    return completion_record(
        staff=staff, module=module, completed_on=completed_on, source=source, today=TODAY, **kwargs
    )


def test_first_completion_expires_after_validity(staff_a, module):
    assert record(staff_a, module, D(2024, 2, 29)).expires_on == D(2027, 2, 28)


def test_renewal_inside_window_has_no_drift(staff_a, module):
    record(staff_a, module, D(2023, 3, 4))
    renewed = record(staff_a, module, D(2026, 2, 1))
    assert renewed.expires_on == D(2029, 3, 4)


def test_renewal_before_window_rolls(staff_a, module):
    record(staff_a, module, D(2023, 3, 4))
    assert record(staff_a, module, D(2025, 3, 4)).expires_on == D(2028, 3, 4)


def test_renewal_after_expiry_rolls(staff_a, module):
    record(staff_a, module, D(2022, 3, 4))
    assert record(staff_a, module, D(2025, 6, 10)).expires_on == D(2028, 6, 10)


def test_never_expiring_module(staff_a):
    forever = ModuleFactory(code="HSB-999", validity_months=None)
    assert record(staff_a, forever, D(2020, 1, 1)).expires_on is None


def test_history_is_kept_not_overwritten(staff_a, module):
    record(staff_a, module, D(2023, 3, 4))
    record(staff_a, module, D(2026, 2, 1))
    assert Completion.objects.filter(staff=staff_a, module=module).count() == 2


@pytest.mark.parametrize(
    ("completed_on", "message"),
    [(D(2026, 11, 27), "cannot be in the future"), (D(2025, 3, 4), "already recorded")],
)
def test_refusals_name_the_problem_and_write_nothing(staff_a, module, completed_on, message):
    record(staff_a, module, D(2025, 3, 4))
    with pytest.raises(ValidationError) as error:
        record(staff_a, module, completed_on)
    assert message in str(error.value)
    assert Completion.objects.count() == 1


def test_completion_after_leaving_is_refused(agency_a, module):
    leaver = StaffMemberFactory(agency=agency_a, left_on=D(2025, 1, 31))
    with pytest.raises(ValidationError) as error:
        record(leaver, module, D(2025, 2, 1))
    assert "left on 31/01/2025" in str(error.value)
    assert Completion.objects.count() == 0


def test_self_declared_waits_then_counts_once_verified(staff_a, module, lead):
    declared = record(staff_a, module, D(2026, 10, 1), source=CompletionSource.SELF_DECLARED)
    assert declared.verification == Verification.PENDING
    completion_verify(completion=declared, actor=lead)
    declared.refresh_from_db()
    assert declared.verification == Verification.VERIFIED
    assert declared.verified_by == lead
    assert declared.expires_on == D(2029, 10, 1)


def test_rejection_needs_a_reason(staff_a, module, lead):
    declared = record(staff_a, module, D(2026, 10, 1), source=CompletionSource.SELF_DECLARED)
    with pytest.raises(ValidationError) as error:
        completion_reject(completion=declared, actor=lead, reason="  ")
    assert "Give a reason" in str(error.value)
    declared.refresh_from_db()
    assert declared.verification == Verification.PENDING
    completion_reject(completion=declared, actor=lead, reason="Certificate is for another course")
    declared.refresh_from_db()
    assert declared.verification == Verification.REJECTED
    # A rejected declaration does not block recording the right completion for the same day.
    assert record(staff_a, module, D(2026, 10, 1)).counts


def test_exemptions_cannot_overlap_and_can_be_ended(staff_a, module, lead):
    exemption = exemption_create(
        staff=staff_a, module=module, reason="long_term_absence", starts_on=D(2026, 1, 1), actor=lead
    )
    with pytest.raises(ValidationError):
        exemption_create(staff=staff_a, module=module, reason="other", starts_on=D(2026, 6, 1))
    with pytest.raises(ValidationError):
        exemption_end(exemption=exemption, ends_on=D(2025, 12, 31))
    exemption_end(exemption=exemption, ends_on=D(2026, 3, 31), actor=lead)
    exemption.refresh_from_db()
    assert exemption.ends_on == D(2026, 3, 31)
    assert exemption.covers(D(2026, 3, 31)) and not exemption.covers(D(2026, 4, 1))
