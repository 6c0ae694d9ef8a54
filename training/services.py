"""Every write to training records: one function per change of state."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workforce.services import acting_user, delete_recorded, save_validated, set_fields

from . import certificates
from .compliance import best_expiry_before, expiry_date
from .models import Assignment, Completion, CompletionSource, Exemption, Module, Requirement, Verification
from .state import pair_states_batch, pairs_changed


def previous_best_expiry(*, staff, module, before, exclude_pk=None):
    """The expiry a completion made on `before` renews from (training.compliance.best_expiry_before)."""
    earlier = Completion.objects.filter(
        staff=staff, module=module, verification=Verification.VERIFIED, completed_on__lte=before
    )
    if exclude_pk is not None:
        earlier = earlier.exclude(pk=exclude_pk)
    return best_expiry_before(earlier.values_list("completed_on", "expires_on"), before=before)


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


def completion_check(*, staff, module, completed_on, today=None):
    """Raise the ValidationError (keyed by field) that completion_record would raise for these
    values, without writing anything: forms and the attendance register check every row first."""
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
    source counts at once. A completion in the future or after the person left is refused. A
    certificate must be a PDF, PNG or JPEG of at most 10 MB judged by its content
    (training.certificates); it is stored under a random name, and removed again if the row
    cannot be saved, so a refusal leaves nothing behind.
    """
    kind = certificates.certificate_check(certificate) if certificate is not None else None
    completion_check(staff=staff, module=module, completed_on=completed_on, today=today)
    self_declared = source == CompletionSource.SELF_DECLARED
    completion = Completion(
        staff=staff,
        module=module,
        completed_on=completed_on,
        source=source,
        verification=Verification.PENDING if self_declared else Verification.VERIFIED,
        certificate_reference=certificate_reference,
        notes=notes,
        recorded_by=acting_user(actor),
    )
    if certificate is not None:
        certificate.name = certificates.stored_name(kind)
        completion.certificate = certificate
    if not self_declared:
        completion.verified_by = completion.recorded_by
        completion.verified_at = timezone.now()
    completion.expires_on = _compute_expiry(completion)
    completion._history_user = completion.recorded_by
    try:
        with transaction.atomic():
            completion.save()
            if completion.counts:
                pairs_changed(staff=[staff])
    except Exception:
        # The file is written before the row; a row that could not be saved leaves no file behind.
        if completion.certificate:
            completion.certificate.delete(save=False)
        raise
    return completion


def _lock_pending(completion, action):
    """Lock the completion's row and check it still waits, so two leads deciding at once cannot
    both decide (the second is told it has been dealt with)."""
    current = (
        Completion.objects.select_for_update().filter(pk=completion.pk).values_list("verification", flat=True)
    )
    if list(current) != [Verification.PENDING]:
        raise ValidationError(f"Only a completion waiting for verification can be {action}.")


def _email_outcome(completion):
    # Imported here: training.tasks imports this module.
    from .tasks import completion_outcome_email_task

    transaction.on_commit(lambda: completion_outcome_email_task.delay(completion_id=completion.pk))


def completion_verify(*, completion, actor):
    """A lead accepts a self-declared completion: it counts from now on, and the person is emailed."""
    with transaction.atomic():
        _lock_pending(completion, "verified")
        completion.verification = Verification.VERIFIED
        completion.verified_by = actor
        completion.verified_at = timezone.now()
        completion.expires_on = _compute_expiry(completion)
        completion._history_user = actor
        completion.save()
        pairs_changed(staff=[completion.staff_id])
        _email_outcome(completion)
    return completion


def completion_reject(*, completion, actor, reason):
    """A lead turns a self-declared completion down with a reason, which the person is emailed."""
    if not (reason or "").strip():
        raise ValidationError({"rejection_reason": "Give a reason, so the person knows what to do next."})
    with transaction.atomic():
        _lock_pending(completion, "rejected")
        completion.verification = Verification.REJECTED
        completion.rejection_reason = reason.strip()
        completion.verified_by = actor
        completion.verified_at = timezone.now()
        completion._history_user = actor
        completion.save()
        _email_outcome(completion)
    return completion


def completions_decide(*, completions, decision, actor, reason=""):
    """Verify or reject several self-declared completions at once (the verification queue's bulk
    action): each through completion_verify or completion_reject, so each writes its history and
    emails its person; all or none, so a refusal of one (already dealt with) writes nothing."""
    if decision not in ("verify", "reject"):
        raise ValidationError("Choose to verify or to reject.")
    if decision == "reject" and not (reason or "").strip():
        raise ValidationError({"rejection_reason": "Give a reason, so the person knows what to do next."})
    with transaction.atomic(), pair_states_batch():
        for completion in completions:
            if decision == "verify":
                completion_verify(completion=completion, actor=actor)
            else:
                completion_reject(completion=completion, actor=actor, reason=reason)
    return len(completions)


# ---------------------------------------------------------------------------------------------
# The catalogue: modules and requirements (the admin, its spreadsheet import and the loader)
# ---------------------------------------------------------------------------------------------

MODULE_FIELDS = (
    "code",
    "title",
    "description",
    "tier",
    "domain",
    "delivery_mode",
    "duration",
    "validity_months",
    "renewal_window_days",
    "active",
)
REQUIREMENT_FIELDS = ("job_role", "module", "due_within_days", "starts_on")


def module_create(*, actor=None, **fields):
    return save_validated(set_fields(Module(), fields, MODULE_FIELDS), actor=actor)


def module_update(*, module, actor=None, **changes):
    """Change a module. Statuses and reminders follow at once: they are computed from the module's
    renewal window whenever they are read, and a change of validity or renewal window recomputes
    the stored expiry of every completion of the module (PRODUCT.md section 3: expiry is
    completed_on + validity_months, renewing without drift), in the same transaction."""
    rules = ("validity_months", "renewal_window_days")
    before = {name: getattr(module, name) for name in (*rules, "active")}
    with transaction.atomic():
        module = save_validated(set_fields(module, changes, MODULE_FIELDS), actor=actor)
        if any(getattr(module, name) != before[name] for name in rules):
            module_expiries_recompute(module=module, actor=actor)
        if any(getattr(module, name) != before[name] for name in (*rules, "active")):
            pairs_changed(modules=[module])
    return module


def module_expiries_recompute(*, module, actor=None) -> int:
    """Recompute the expiry of every completion of `module` from its rules, each person's in the
    order they were made (a renewal extends from the expiry before it). Returns how many changed;
    each change is a history row."""
    from simple_history.utils import bulk_update_with_history

    changed = []
    history = {}  # staff id -> [(completed_on, expires_on)] of their counted completions so far
    completions = Completion.objects.filter(module=module).order_by("staff_id", "completed_on", "id")
    for completion in completions.only("id", "staff_id", "completed_on", "expires_on", "verification"):
        earlier = history.setdefault(completion.staff_id, [])
        expires_on = expiry_date(
            completed_on=completion.completed_on,
            validity_months=module.validity_months,
            renewal_window_days=module.renewal_window_days,
            previous_expiry=best_expiry_before(earlier, before=completion.completed_on),
        )
        if expires_on != completion.expires_on:
            completion.expires_on = expires_on
            completion._history_user = acting_user(actor)
            changed.append(completion)
        if completion.verification == Verification.VERIFIED:
            earlier.append((completion.completed_on, expires_on))
    if changed:
        bulk_update_with_history(
            changed,
            Completion,
            ["expires_on"],
            batch_size=2_000,
            default_user=acting_user(actor),
            default_change_reason=f"{module.code}: validity or renewal window changed",
        )
    return len(changed)


def requirement_create(*, actor=None, **fields):
    with transaction.atomic():
        requirement = save_validated(set_fields(Requirement(), fields, REQUIREMENT_FIELDS), actor=actor)
        pairs_changed(modules=[requirement.module_id])
    return requirement


def requirement_update(*, requirement, actor=None, **changes):
    """Change a requirement; the pairs of its module before and after the change follow."""
    before = requirement.module_id
    with transaction.atomic():
        requirement = save_validated(set_fields(requirement, changes, REQUIREMENT_FIELDS), actor=actor)
        pairs_changed(modules={before, requirement.module_id})
    return requirement


def requirement_delete(*, requirement, actor=None):
    module_id = requirement.module_id
    with transaction.atomic():
        delete_recorded(requirement, actor=actor)
        pairs_changed(modules=[module_id])


# ---------------------------------------------------------------------------------------------
# Assignments and exemptions: one person
# ---------------------------------------------------------------------------------------------

ASSIGNMENT_FIELDS = ("staff", "module", "assigned_on", "due_on", "reason")


def assignment_create(*, actor=None, **fields):
    """Require a module of one person by a due date, on top of their role's requirements."""
    assignment = set_fields(Assignment(), fields, ASSIGNMENT_FIELDS)
    assignment.assigned_by = acting_user(actor)
    with transaction.atomic():
        save_validated(assignment, actor=actor)
        pairs_changed(staff=[assignment.staff_id])
    return assignment


def assignment_update(*, assignment, actor=None, **changes):
    before = assignment.staff_id
    with transaction.atomic():
        save_validated(set_fields(assignment, changes, ASSIGNMENT_FIELDS), actor=actor)
        pairs_changed(staff={before, assignment.staff_id})
    return assignment


def assignment_delete(*, assignment, actor=None):
    staff_id = assignment.staff_id
    with transaction.atomic():
        delete_recorded(assignment, actor=actor)
        pairs_changed(staff=[staff_id])


EXEMPTION_FIELDS = ("staff", "module", "reason", "details", "starts_on", "ends_on")


def exemption_check_overlap(exemption):
    """Refuse an exemption that overlaps another of the same person and module (forms check first)."""
    overlapping = Exemption.objects.filter(staff=exemption.staff_id, module=exemption.module_id).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=exemption.starts_on)
    )
    if exemption.ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=exemption.ends_on)
    if exemption.pk is not None:
        overlapping = overlapping.exclude(pk=exemption.pk)
    if overlapping.exists():
        raise ValidationError("An exemption for this module already covers part of these dates.")


def exemption_create(*, staff, module, reason, starts_on, ends_on=None, details="", actor=None):
    exemption = Exemption(
        staff=staff,
        module=module,
        reason=reason,
        details=details,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=acting_user(actor),
    )
    exemption.full_clean()
    exemption_check_overlap(exemption)
    exemption._history_user = exemption.created_by
    with transaction.atomic():
        exemption.save()
        pairs_changed(staff=[exemption.staff_id])
    return exemption


def exemption_update(*, exemption, actor=None, **changes):
    """Correct an exemption (the admin); it must still not overlap another for the same module."""
    before = exemption.staff_id
    set_fields(exemption, changes, EXEMPTION_FIELDS)
    exemption.full_clean()
    exemption_check_overlap(exemption)
    with transaction.atomic():
        save_validated(exemption, actor=actor)
        pairs_changed(staff={before, exemption.staff_id})
    return exemption


def exemption_end(*, exemption, ends_on, actor=None):
    if ends_on < exemption.starts_on:
        raise ValidationError({"ends_on": "An exemption cannot end before it starts."})
    exemption.ends_on = ends_on
    exemption._history_user = actor
    with transaction.atomic():
        exemption.save()
        pairs_changed(staff=[exemption.staff_id])
    return exemption


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk action did: rows written, and the people left as they were (and why)."""

    created: int
    skipped: list  # StaffMember rows that already had it


def exemptions_overlapping(*, staff, module, starts_on, ends_on=None) -> set[int]:
    """Ids of `staff` who already have an exemption for `module` (None: all modules) covering part
    of these dates: a bulk exemption leaves them as they are. One query."""
    overlapping = Exemption.objects.filter(staff__in=[person.pk for person in staff], module=module).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    return set(overlapping.values_list("staff_id", flat=True))


def exemptions_create(
    *, staff, module, reason, starts_on, ends_on=None, details="", actor=None
) -> BulkOutcome:
    """Exempt several people at once (a bulk action on a list): each through exemption_create, so
    each is validated and has its history; all or none. People already exempt for part of these
    dates are left as they are and listed."""
    skipped_ids = exemptions_overlapping(staff=staff, module=module, starts_on=starts_on, ends_on=ends_on)
    with transaction.atomic(), pair_states_batch():
        for person in staff:
            if person.pk not in skipped_ids:
                exemption_create(
                    staff=person,
                    module=module,
                    reason=reason,
                    details=details,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    actor=actor,
                )
    skipped = [person for person in staff if person.pk in skipped_ids]
    return BulkOutcome(len(staff) - len(skipped), skipped)


def assignments_existing(*, staff, module) -> set[int]:
    """Ids of `staff` who already have `module` assigned (one assignment per person and module)."""
    return set(
        Assignment.objects.filter(staff__in=[person.pk for person in staff], module=module).values_list(
            "staff_id", flat=True
        )
    )


def assignments_create(*, staff, module, assigned_on, due_on, reason="", actor=None) -> BulkOutcome:
    """Assign a module to several people at once: each through assignment_create (validated, with
    history); all or none. People who already have it assigned are left as they are and listed."""
    skipped_ids = assignments_existing(staff=staff, module=module)
    with transaction.atomic(), pair_states_batch():
        for person in staff:
            if person.pk not in skipped_ids:
                assignment_create(
                    staff=person,
                    module=module,
                    assigned_on=assigned_on,
                    due_on=due_on,
                    reason=reason,
                    actor=actor,
                )
    skipped = [person for person in staff if person.pk in skipped_ids]
    return BulkOutcome(len(staff) - len(skipped), skipped)


def completion_annotate(*, completion, actor=None, certificate_reference=None, notes=None):
    """Change what may change of a recorded completion: its certificate reference and notes. Its
    facts (who, what, when, expiry) are fixed: a wrong one is corrected by recording the right one."""
    if certificate_reference is not None:
        completion.certificate_reference = certificate_reference
    if notes is not None:
        completion.notes = notes
    return save_validated(completion, actor=actor)


@dataclass(frozen=True)
class RegisterOutcome:
    recorded: list
    duplicates: list


def completions_record_register(*, module, completed_on, staff, actor, today=None):
    """Record one module on one date for everyone on an attendance register (source "register").

    All or nothing: if anyone cannot be recorded (a date in the future, someone who had left by
    then), a ValidationError lists every such person and nothing is saved. People who already
    have this module recorded for that day are duplicates: left as they are, and reported.
    """
    today = today or timezone.localdate()
    people = list(dict.fromkeys(staff))
    if completed_on > today:
        raise ValidationError({"completed_on": "A completion date cannot be in the future."})
    problems = [
        f"{person.full_name} ({person.staff_number}) left on {person.left_on:%d/%m/%Y}, before this date."
        for person in people
        if person.left_on is not None and completed_on > person.left_on
    ]
    if problems:
        raise ValidationError(problems)
    already = set(
        Completion.objects.filter(module=module, completed_on=completed_on, staff__in=[p.pk for p in people])
        .exclude(verification=Verification.REJECTED)
        .values_list("staff_id", flat=True)
    )
    recorded = []
    with transaction.atomic(), pair_states_batch():
        for person in people:
            if person.pk in already:
                continue
            recorded.append(
                completion_record(
                    staff=person,
                    module=module,
                    completed_on=completed_on,
                    source=CompletionSource.REGISTER,
                    actor=actor,
                    today=today,
                )
            )
    return RegisterOutcome(recorded=recorded, duplicates=[p for p in people if p.pk in already])


def compliance_targets_save(*, partnership, tiers=None, modules=None, actor=None):
    """Set the partnership target and the per-tier and per-module targets in one transaction.

    `tiers` maps a tier number and `modules` a Module to a whole percent, or to None to remove
    that target (its rates then use the partnership's). Each change is a history row."""
    from .models import ComplianceTarget, TargetScope

    wanted = [(TargetScope.PARTNERSHIP, {}, partnership)]
    wanted += [(TargetScope.TIER, {"tier": int(tier)}, percent) for tier, percent in (tiers or {}).items()]
    wanted += [
        (TargetScope.MODULE, {"module": module}, percent) for module, percent in (modules or {}).items()
    ]
    with transaction.atomic():
        for scope, subject, percent in wanted:
            existing = ComplianceTarget.objects.filter(scope=scope, **subject).first()
            if percent is None:
                if existing is not None:
                    delete_recorded(existing, actor=actor)
                continue
            if existing is None:
                save_validated(ComplianceTarget(scope=scope, percent=percent, **subject), actor=actor)
            elif existing.percent != percent:
                existing.percent = percent
                save_validated(existing, actor=actor)
