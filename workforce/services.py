"""Every write to the workforce: one function per change of state."""

import datetime
import secrets
import tempfile

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from . import exports, rules
from .models import Agency, AgencyMembership, ExportJob, JobRole, StaffMember, Team

STAFF_FIELDS = (
    "staff_number",
    "first_name",
    "last_name",
    "email",
    "job_role",
    "job_title",
    "team",
    "line_manager_email",
    "start_date",
    "role_since",
    "left_on",
)


def normalise_email(value):
    return (value or "").strip().lower()


def _validate_email_free(*, agency, email, exclude_pk, left_on, today):
    """An email is unique among an agency's current staff (people who have not yet left)."""
    if not email:
        return
    if rules.has_left(left_on=left_on, on=today):
        return
    clash = StaffMember.objects.filter(agency=agency, email=email).filter(rules.not_left_q(today))
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"email": f"{email} already belongs to a current member of staff at {agency}."})


def _clean(staff, *, today):
    staff.email = normalise_email(staff.email)
    staff.line_manager_email = normalise_email(staff.line_manager_email)
    staff.staff_number = (staff.staff_number or "").strip()
    staff.full_clean(validate_unique=True, validate_constraints=True)
    _validate_email_free(
        agency=staff.agency, email=staff.email, exclude_pk=staff.pk, left_on=staff.left_on, today=today
    )


# Apps above that keep figures following a person's record (training's maintained compliance
# state) register a listener from their AppConfig.ready(); it is called with the ids of the people
# a write changed, inside the write's transaction. Workforce never names them.
_staff_listeners = []


def staff_listener_register(listener):
    """Call `listener(staff_ids)` after every write of staff through these services and the imports."""
    if listener not in _staff_listeners:
        _staff_listeners.append(listener)


def staff_changed(staff_ids):
    """Tell the registered listeners that the records of `staff_ids` changed (bulk writers call
    this too, inside their transaction)."""
    for listener in _staff_listeners:
        listener(staff_ids)


def staff_create(*, agency, actor=None, today=None, **fields):
    today = today or timezone.localdate()
    staff = StaffMember(agency=agency, **fields)
    if staff.role_since is None:
        staff.role_since = staff.start_date
    _clean(staff, today=today)
    staff._history_user = actor
    with transaction.atomic():
        staff.save()
        staff_changed([staff.pk])
    return staff


def staff_update(*, staff, actor=None, today=None, **changes):
    """Change a staff member. A change of job role moves `role_since` to today unless given."""
    today = today or timezone.localdate()
    unknown = set(changes) - {*STAFF_FIELDS, "user"}
    if unknown:
        raise TypeError(f"Unknown staff fields: {', '.join(sorted(unknown))}")
    if "job_role" in changes and changes["job_role"] != staff.job_role and "role_since" not in changes:
        changes["role_since"] = today
    for name, value in changes.items():
        setattr(staff, name, value)
    _clean(staff, today=today)
    staff._history_user = actor
    with transaction.atomic():
        staff.save()
        staff_changed([staff.pk])
    return staff


# ---------------------------------------------------------------------------------------------
# What every app's services share: the acting user, validation, the history row
# ---------------------------------------------------------------------------------------------


def acting_user(actor):
    """The user a write is recorded against: None for the command line and signed-out visitors."""
    return actor if actor is not None and actor.is_authenticated else None


def save_validated(obj, *, actor):
    """Validate `obj` with the model's own checks and save it, with `actor` on any history row."""
    obj.full_clean()
    obj._history_user = acting_user(actor)
    with transaction.atomic():
        obj.save()
    return obj


def delete_recorded(obj, *, actor):
    """Delete `obj`; its history keeps a "deleted" row naming `actor`."""
    obj._history_user = acting_user(actor)
    obj.delete()


def set_fields(obj, changes, allowed):
    """Set `changes` on `obj`, refusing a field a service does not let change."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown {type(obj).__name__} fields: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(obj, name, value)
    return obj


JOB_ROLE_FIELDS = ("name", "tier", "aliases", "description")
AGENCY_FIELDS = (
    "name",
    "slug",
    "sector",
    "hr_contact_email",
    "training_lead_email",
    "reminder_from_email",
    "reminder_reply_to",
    "active",
)


def job_role_create(*, actor=None, **fields):
    return save_validated(set_fields(JobRole(), fields, JOB_ROLE_FIELDS), actor=actor)


def job_role_update(*, job_role, actor=None, **changes):
    """Change a catalogue job role. A change of tier moves its people's figures to the new tier."""
    return save_validated(set_fields(job_role, changes, JOB_ROLE_FIELDS), actor=actor)


def agency_update(*, agency, actor=None, **changes):
    """Change an agency. An inactive agency's staff get no reminders and leave the partnership's
    figures (its own page still shows them)."""
    return save_validated(set_fields(agency, changes, AGENCY_FIELDS), actor=actor)


def team_create(*, agency, name, actor=None):
    return save_validated(Team(agency=agency, name=(name or "").strip()), actor=actor)


def team_rename(*, team, name, actor=None):
    team.name = (name or "").strip()
    return save_validated(team, actor=actor)


def team_delete(*, team, actor=None):
    """Delete a team: its people stay, without a team."""
    team.delete()


def agency_membership_revoke(*, membership, actor=None):
    membership.delete()


def team_get_or_create(*, agency, name):
    name = (name or "").strip()
    if not name:
        return None
    team, _ = Team.objects.get_or_create(agency=agency, name=name)
    return team


def agency_membership_grant(*, user, agency, actor=None):
    membership, _ = AgencyMembership.objects.get_or_create(user=user, agency=agency)
    return membership


def agency_create(*, actor=None, **fields):
    return save_validated(set_fields(Agency(), fields, AGENCY_FIELDS), actor=actor)


# ---------------------------------------------------------------------------------------------
# Large exports, built in the background (workforce.exports)
# ---------------------------------------------------------------------------------------------


def export_job_request(*, user, kind, file_format, params, rows_total):
    """Queue the file of `kind` for `user`, with the filters `params` (a query string as JSON);
    the worker builds it on the reports queue (workforce.tasks.export_job_build_task)."""
    from .tasks import export_job_build_task

    now = timezone.now()
    job = ExportJob.objects.create(
        requested_by=user,
        kind=kind.key,
        file_format=file_format,
        params=params,
        description=kind.label,
        rows_total=rows_total,
        created_at=now,
        expires_at=now + datetime.timedelta(hours=settings.EXPORT_KEEP_HOURS),
    )
    transaction.on_commit(lambda: export_job_build_task.delay(job_id=job.pk))
    return job


def export_job_build(*, job_id, today=None):
    """Write the job's file into storage. Claimed by a conditional UPDATE, so a redelivered task or
    a second worker does nothing; a job left running by a worker that died (longer than the task
    time limit) may be claimed again. The table is built as the person who asked, with their
    access as it is now: what they can no longer see fails the job, with the reason."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        ExportJob.objects.filter(pk=job_id)
        .filter(Q(status=ExportJob.Status.QUEUED) | Q(status=ExportJob.Status.RUNNING, started_at__lt=stale))
        .update(status=ExportJob.Status.RUNNING, started_at=now, rows_done=0)
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    kind = exports.get(job.kind)
    try:
        if kind is None:
            raise exports.ExportRefused(f"there is no export called {job.kind!r} any more")
        table = kind.table(job.requested_by, exports.query_of(job.params), today or timezone.localdate())
        stored = _export_file_store(job, table)
    except (exports.ExportRefused, Http404, PermissionDenied) as refused:
        message = (
            str(refused)
            if isinstance(refused, exports.ExportRefused)
            else "you can no longer see these records"
        )
        _export_job_finish(
            job_id, status=ExportJob.Status.FAILED, error=f"The file was not written: {message.rstrip('.')}."
        )
        return
    except Exception:
        _export_job_finish(
            job_id,
            status=ExportJob.Status.FAILED,
            error="The file was not written because of a problem in the tracker. Ask for it again.",
        )
        raise
    _export_job_finish(
        job_id, status=ExportJob.Status.READY, file=stored, filename=f"{table.name}.{job.file_format}"
    )


def _export_file_store(job, table):
    """Write the file to a temporary file (row by row, flat memory), then into storage."""

    def progress(done):
        ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

    with tempfile.TemporaryFile() as scratch:
        exports.write(table, job.file_format, scratch, progress=progress)
        scratch.seek(0)
        # A random part in the name: nothing under MEDIA_ROOT is served, but a name is no guide.
        return default_storage.save(
            f"exports/{job.pk}-{secrets.token_hex(8)}.{job.file_format}", File(scratch)
        )


def _export_job_finish(job_id, **fields):
    ExportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)


def export_jobs_purge(*, now=None) -> int:
    """Delete the jobs past their time (EXPORT_KEEP_HOURS) and their files; returns how many."""
    now = now or timezone.now()
    due = list(ExportJob.objects.filter(expires_at__lte=now).values_list("pk", "file"))
    for _, name in due:
        if name:
            default_storage.delete(name)
    ExportJob.objects.filter(pk__in=[pk for pk, _ in due]).delete()
    return len(due)
