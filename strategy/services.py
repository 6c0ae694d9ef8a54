"""Every write to the workforce strategy: one function per change of state, keyword-only, with an
`actor` (a user, or None for the system or an action owner using their emailed link)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from training.compliance import add_months
from training.models import Module
from workforce.models import JobRole
from workforce.services import acting_user

from . import framework_default, selectors
from .files import RejectedFile, check_upload
from .models import (
    Action,
    ActionStatus,
    AssessmentRound,
    Attachment,
    Domain,
    Framework,
    Item,
    ItemRating,
    ProgressNote,
    ProgressVia,
    Rating,
    RoundStatus,
    StrategySettings,
)

REVIEW_INTERVAL_MONTHS = 6
SETTINGS_FIELDS = (
    "lead_name",
    "lead_role",
    "lead_email",
    "sponsor_name",
    "sponsor_role",
    "sponsor_email",
    "round_interval_months",
)


def _actor_name(actor):
    user = acting_user(actor)
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------


def strategy_settings_update(*, actor, **values) -> StrategySettings:
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Unknown strategy settings: {', '.join(sorted(unknown))}")
    settings = selectors.strategy_settings()
    for name, value in values.items():
        if name.endswith("_email"):
            value = (value or "").strip().lower()
        setattr(settings, name, value)
    settings.updated_by = acting_user(actor)
    settings.full_clean()
    settings.save()
    return settings


# ---------------------------------------------------------------------------------------------
# Frameworks
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def framework_install_default(*, actor=None) -> Framework:
    """Install the default partnership checklist (strategy.framework_default) once.

    Idempotent: when a framework of that name exists it is returned untouched, so a lead's edits
    survive a second run of seed_demo. Evidence specs link to the catalogue's modules and job
    roles when they exist; a missing one leaves that item without live evidence.
    """
    existing = Framework.objects.filter(name=framework_default.NAME).first()
    if existing is not None:
        return existing
    framework = Framework.objects.create(
        name=framework_default.NAME,
        description=framework_default.DESCRIPTION,
        is_default=not Framework.objects.filter(is_default=True).exists(),
    )
    modules = {module.code: module for module in Module.objects.all()}
    roles = {role.name.lower(): role for role in JobRole.objects.all()}
    for domain_position, spec in enumerate(framework_default.DOMAINS, start=1):
        domain = Domain.objects.create(
            framework=framework, name=spec.name, description=spec.description, position=domain_position
        )
        for item_position, item in enumerate(spec.items, start=1):
            module = modules.get(item.evidence_module)
            Item.objects.create(
                domain=domain,
                statement=item.statement,
                guidance=item.guidance,
                position=item_position,
                evidence_module=module,
                evidence_tier=item.evidence_tier if module else None,
                evidence_job_role=roles.get(item.evidence_job_role.lower()) if module else None,
            )
    return framework


def framework_create(*, actor, name, description="", is_default=False) -> Framework:
    """A new, empty framework (the lead adds its domains and items)."""
    framework = Framework(name=name, description=description, is_default=False)
    framework.full_clean()
    framework.save()
    return framework_update(
        framework=framework, actor=actor, name=name, description=description, is_default=is_default
    )


def framework_update(*, framework, actor, name, description, is_default) -> Framework:
    with transaction.atomic():
        if is_default:
            Framework.objects.exclude(pk=framework.pk).filter(is_default=True).update(is_default=False)
        framework.name = name
        framework.description = description
        framework.is_default = is_default
        framework.full_clean()
        framework.save()
    return framework


def domain_create(*, framework, actor, name, description="", position=None) -> Domain:
    """A domain at `position`, or after the framework's last one."""
    if position is None:
        last = framework.domains.order_by("-position").values_list("position", flat=True).first() or 0
        position = last + 1
    domain = Domain(framework=framework, name=name, description=description, position=position)
    domain.full_clean()
    domain.save()
    return domain


def domain_update(*, domain, actor, name, description, position) -> Domain:
    domain.name = name
    domain.description = description
    domain.position = position
    domain.full_clean()
    domain.save()
    return domain


def _validate_evidence_spec(*, evidence_module, evidence_tier, evidence_job_role):
    if evidence_tier is not None and evidence_job_role is not None:
        raise ValidationError(
            {"evidence_job_role": "Choose a tier or a job role for the evidence, not both."}
        )
    if evidence_module is None and (evidence_tier is not None or evidence_job_role is not None):
        raise ValidationError({"evidence_module": "Choose the module whose compliance rate is the evidence."})


def item_create(
    *, domain, actor, statement, guidance="", evidence_module=None, evidence_tier=None, evidence_job_role=None
) -> Item:
    """Add an item at the end of its domain. Rounds still in progress gain it, unrated; completed
    rounds keep the items they were rated on."""
    _validate_evidence_spec(
        evidence_module=evidence_module, evidence_tier=evidence_tier, evidence_job_role=evidence_job_role
    )
    last = domain.items.order_by("-position").values_list("position", flat=True).first() or 0
    with transaction.atomic():
        item = Item(
            domain=domain,
            statement=statement,
            guidance=guidance,
            position=last + 1,
            evidence_module=evidence_module,
            evidence_tier=evidence_tier,
            evidence_job_role=evidence_job_role,
        )
        item.full_clean()
        item.save()
        open_rounds = AssessmentRound.objects.filter(
            framework=domain.framework, status=RoundStatus.IN_PROGRESS
        )
        ItemRating.objects.bulk_create([ItemRating(round=each, item=item) for each in open_rounds])
    return item


def item_update(
    *,
    item,
    actor,
    statement,
    guidance,
    position,
    active,
    evidence_module=None,
    evidence_tier=None,
    evidence_job_role=None,
) -> Item:
    _validate_evidence_spec(
        evidence_module=evidence_module, evidence_tier=evidence_tier, evidence_job_role=evidence_job_role
    )
    item.statement = statement
    item.guidance = guidance
    item.position = position
    item.active = active
    item.evidence_module = evidence_module
    item.evidence_tier = evidence_tier
    item.evidence_job_role = evidence_job_role
    item.full_clean()
    item.save()
    return item


# ---------------------------------------------------------------------------------------------
# Assessment rounds
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def round_create(*, framework, title, assessed_on, actor, agency=None, notes="") -> AssessmentRound:
    """Start a round with one unrated row per active item of the framework."""
    if not Item.objects.filter(domain__framework=framework, active=True).exists():
        raise ValidationError({"framework": f"{framework.name} has no items to rate yet. Add some first."})
    assessment_round = AssessmentRound(
        framework=framework,
        title=title.strip(),
        agency=agency,
        assessed_on=assessed_on,
        notes=notes,
        created_by=acting_user(actor),
    )
    assessment_round.full_clean()
    assessment_round.save()
    items = Item.objects.filter(domain__framework=framework, active=True)
    ItemRating.objects.bulk_create([ItemRating(round=assessment_round, item=item) for item in items])
    return assessment_round


def _require_open(assessment_round):
    if assessment_round.is_completed:
        raise ValidationError(
            f"{assessment_round.title} is completed, so its ratings can no longer change. "
            "Reopen it first if something needs correcting."
        )


def rating_update(*, rating, actor, value, evidence_note) -> ItemRating:
    _require_open(rating.round)
    if value and value not in Rating.values:
        raise ValidationError({"rating": "Choose one of the ratings."})
    rating.rating = value or ""
    rating.evidence_note = evidence_note.strip()
    rating.updated_by = acting_user(actor)
    rating.save(update_fields=["rating", "evidence_note", "updated_by", "updated_at"])
    return rating


def attachment_add(*, rating, actor, upload) -> Attachment:
    """Keep an evidence file; its type is checked from its content (strategy.files)."""
    _require_open(rating.round)
    try:
        kind = check_upload(upload)
    except RejectedFile as exc:
        raise ValidationError({"attachment": str(exc)}) from None
    attachment = Attachment(
        rating=rating,
        original_name=upload.name[:255],
        content_type=kind.content_type,
        size=upload.size,
        uploaded_by=acting_user(actor),
    )
    attachment.file.save(upload.name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachment_remove(*, attachment, actor) -> None:
    _require_open(attachment.rating.round)
    stored = attachment.file
    attachment.delete()
    # The row is gone first: a file left behind is harmless, a row pointing at nothing is not.
    transaction.on_commit(lambda: stored.delete(save=False))


@transaction.atomic
def round_complete(*, assessment_round, actor, today) -> AssessmentRound:
    """Complete a round once every item is rated (Not applicable counts as rated), freezing the live
    evidence figures so that later training does not rewrite what the round recorded."""
    locked = AssessmentRound.objects.select_for_update().get(pk=assessment_round.pk)
    _require_open(locked)
    ratings = list(locked.ratings.select_related("item"))
    unrated = sum(1 for rating in ratings if not rating.rating)
    if unrated:
        noun = "item is" if unrated == 1 else "items are"
        raise ValidationError(f"{unrated} {noun} not rated yet. Rate every item before completing the round.")
    evidence = selectors.live_evidence(
        [rating.item for rating in ratings],
        on=selectors.evidence_date(locked, today=today),
        agency=locked.agency,
    )
    for rating in ratings:
        figure = evidence.get(rating.item_id)
        rating.evidence_valid = figure.valid if figure else None
        rating.evidence_required = figure.required if figure else None
    ItemRating.objects.bulk_update(ratings, ["evidence_valid", "evidence_required"])
    locked.status = RoundStatus.COMPLETED
    locked.completed_at = timezone.now()
    locked.completed_by = acting_user(actor)
    locked.save(update_fields=["status", "completed_at", "completed_by"])
    assessment_round.status, assessment_round.completed_at = locked.status, locked.completed_at
    assessment_round.completed_by = locked.completed_by
    return locked


def round_reopen(*, assessment_round, actor) -> AssessmentRound:
    updated = AssessmentRound.objects.filter(pk=assessment_round.pk, status=RoundStatus.COMPLETED).update(
        status=RoundStatus.IN_PROGRESS, completed_at=None, completed_by=None
    )
    if not updated:
        raise ValidationError(f"{assessment_round.title} is not completed.")
    assessment_round.refresh_from_db()
    return assessment_round


# ---------------------------------------------------------------------------------------------
# Action plan
# ---------------------------------------------------------------------------------------------


def default_review_date(today) -> datetime.date:
    return add_months(today, REVIEW_INTERVAL_MONTHS)


def _validate_action(action, items):
    if not items:
        raise ValidationError({"items": "Choose at least one checklist item that this action answers."})
    if action.review_on is None:
        raise ValidationError({"review_on": "Enter a review date."})


@transaction.atomic
def action_create(
    *,
    actor,
    today,
    title,
    items,
    owner_name,
    owner_email,
    due_on,
    description="",
    owner_agency=None,
    status=ActionStatus.NOT_STARTED,
    review_on=None,
    assessment_round=None,
) -> Action:
    action = Action(
        title=title.strip(),
        description=description.strip(),
        owner_name=owner_name.strip(),
        owner_email=owner_email.strip().lower(),
        owner_agency=owner_agency,
        due_on=due_on,
        status=status,
        review_on=review_on or default_review_date(today),
        assessment_round=assessment_round,
        created_by=acting_user(actor),
    )
    _validate_action(action, items)
    action.full_clean()
    action.save()
    action.items.set(items)
    return action


@transaction.atomic
def action_update(
    *,
    action,
    actor,
    title,
    items,
    owner_name,
    owner_email,
    due_on,
    review_on,
    description="",
    owner_agency=None,
) -> Action:
    """Change what an action is and who owns it. Its status changes only through a progress note,
    so that every change of status has a recorded reason."""
    action.title = title.strip()
    action.description = description.strip()
    action.owner_name = owner_name.strip()
    action.owner_email = owner_email.strip().lower()
    action.owner_agency = owner_agency
    action.due_on = due_on
    action.review_on = review_on
    _validate_action(action, items)
    action.full_clean()
    action.save()
    action.items.set(items)
    return action


@transaction.atomic
def action_progress_add(
    *, action, actor, today, note, status, via=ProgressVia.LEAD, author_name="", next_review_on=None
) -> ProgressNote:
    """Add a progress note, optionally changing the status, and move the review on when due.

    From 14 days before the review date a note counts as the review: the review date moves on six
    months (selectors.next_review_date) unless `next_review_on` says otherwise, so the reminders of
    that cycle stop and the next cycle's begin. A done action keeps its review date: nothing
    reminds anyone about it any more.
    """
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Enter a progress note: what has happened since the last update."})
    if status not in ActionStatus.values:
        raise ValidationError({"status": "Choose the action's status."})
    locked = Action.objects.select_for_update().get(pk=action.pk)
    review_before = locked.review_on
    if next_review_on is not None:
        if next_review_on <= today:
            raise ValidationError({"next_review_on": "The next review date must be in the future."})
        locked.review_on = next_review_on
    elif status != ActionStatus.DONE and selectors.review_window_open(locked, today=today):
        locked.review_on = selectors.next_review_date(locked, today=today, months=REVIEW_INTERVAL_MONTHS)
    entry = ProgressNote.objects.create(
        action=locked,
        note=note,
        status_before=locked.status,
        status_after=status,
        review_on_before=review_before,
        review_on_after=locked.review_on,
        author_name=(author_name or _actor_name(actor)).strip()[:200],
        author=acting_user(actor),
        via=via,
    )
    locked.status = status
    locked.save(update_fields=["status", "review_on", "updated_at"])
    action.status, action.review_on = locked.status, locked.review_on
    return entry
