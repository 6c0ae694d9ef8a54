"""Every write to training records: one function per change of state."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .compliance import expiry_date
from .models import Completion, CompletionSource, Exemption, Verification


def previous_best_expiry(*, staff, module, before, exclude_pk=None):
    """The latest expiry among counted completions made on or before `before` (None: none, or never)."""
    earlier = Completion.objects.filter(
        staff=staff, module=module, verification=Verification.VERIFIED, completed_on__lte=before
    )
    if exclude_pk is not None:
        earlier = earlier.exclude(pk=exclude_pk)
    expiries = list(earlier.values_list("expires_on", flat=True))
    if not expiries or None in expiries:
        return None
    return max(expiries)


def _compute_expiry(completion):
    module = completion.module
    return expiry_date(
        completed_on=completion.completed_on,
        validity_months=module.validity_months,
        renewal_window_days=module.renewal_window_days,
        previous_expiry=previous_best_expiry(
            staff=completion.staff,
            module=module,
            before=completion.completed_on,
            exclude_pk=completion.pk,
        ),
    )


def completion_record(
    *,
    staff,
    module,
    completed_on,
    source,
    actor=None,
    today=None,
    certificate=None,
    certificate_reference="",
    notes="",
):
    """Record that `staff` completed `module` on `completed_on`.

    Self-declared completions wait for verification and do not count until verified; every other
    source counts at once. A completion in the future or after the person left is refused.
    """
    today = today or timezone.localdate()
    if completed_on > today:
        raise ValidationError({"completed_on": "A completion date cannot be in the future."})
    if staff.left_on is not None and completed_on > staff.left_on:
        raise ValidationError(
            {"completed_on": f"{staff.full_name} left on {staff.left_on:%d/%m/%Y}, before this date."}
        )
    duplicate = Completion.objects.filter(staff=staff, module=module, completed_on=completed_on).exclude(
        verification=Verification.REJECTED
    )
    if duplicate.exists():
        message = f"{module.code} on {completed_on:%d/%m/%Y} is already recorded for {staff.full_name}."
        raise ValidationError({"completed_on": message})
    self_declared = source == CompletionSource.SELF_DECLARED
    completion = Completion(
        staff=staff,
        module=module,
        completed_on=completed_on,
        source=source,
        verification=Verification.PENDING if self_declared else Verification.VERIFIED,
        certificate_reference=certificate_reference,
        notes=notes,
        recorded_by=actor if actor and actor.is_authenticated else None,
    )
    if certificate is not None:
        completion.certificate = certificate
    if not self_declared:
        completion.verified_by = completion.recorded_by
        completion.verified_at = timezone.now()
    completion.expires_on = _compute_expiry(completion)
    completion._history_user = completion.recorded_by
    with transaction.atomic():
        completion.save()
    return completion


def completion_verify(*, completion, actor):
    if completion.verification != Verification.PENDING:
        raise ValidationError("Only a completion waiting for verification can be verified.")
    completion.verification = Verification.VERIFIED
    completion.verified_by = actor
    completion.verified_at = timezone.now()
    completion.expires_on = _compute_expiry(completion)
    completion._history_user = actor
    completion.save()
    return completion


def completion_reject(*, completion, actor, reason):
    if completion.verification != Verification.PENDING:
        raise ValidationError("Only a completion waiting for verification can be rejected.")
    if not (reason or "").strip():
        raise ValidationError({"rejection_reason": "Give a reason, so the person knows what to do next."})
    completion.verification = Verification.REJECTED
    completion.rejection_reason = reason.strip()
    completion.verified_by = actor
    completion.verified_at = timezone.now()
    completion._history_user = actor
    completion.save()
    return completion


def exemption_create(*, staff, module, reason, starts_on, ends_on=None, details="", actor=None):
    exemption = Exemption(
        staff=staff,
        module=module,
        reason=reason,
        details=details,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor if actor and actor.is_authenticated else None,
    )
    exemption.full_clean()
    overlapping = Exemption.objects.filter(staff=staff, module=module).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if overlapping.exists():
        raise ValidationError("An exemption for this module already covers part of these dates.")
    exemption._history_user = exemption.created_by
    exemption.save()
    return exemption


def exemption_end(*, exemption, ends_on, actor=None):
    if ends_on < exemption.starts_on:
        raise ValidationError({"ends_on": "An exemption cannot end before it starts."})
    exemption.ends_on = ends_on
    exemption._history_user = actor
    exemption.save()
    return exemption
