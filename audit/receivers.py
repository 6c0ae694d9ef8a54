"""Events that Django itself announces: sign-ins and failures (django.contrib.auth's signals) and
every change made in the admin (its LogEntry rows, mirrored here).

Admin changes are read from Django's own LogEntry rather than from a model-change library: the
admin writes exactly one LogEntry per add, change or delete (django-import-export's admin imports
one per row), with the user and a readable change message, so each admin change is one audit
event; model history outside the admin is already kept by django-simple-history.
"""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords

from . import actions
from .services import audit_record

ADMIN_ACTIONS = {
    ADDITION: actions.ADMIN_ADDED,
    CHANGE: actions.ADMIN_CHANGED,
    DELETION: actions.ADMIN_DELETED,
}


@receiver(user_logged_in, dispatch_uid="audit.signin")
def _signed_in(sender, request, user, **kwargs):
    audit_record(action=actions.SIGNIN, request=request, user=user, target=user)


@receiver(user_logged_out, dispatch_uid="audit.signout")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=actions.SIGNOUT, request=request, user=user, target=user)


@receiver(user_login_failed, dispatch_uid="audit.signin_failed")
def _signin_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password with stars; only the username is kept.
    username = str(credentials.get("username") or credentials.get("email") or "")[:150]
    audit_record(
        action=actions.SIGNIN_FAILED,
        request=request,
        actor=username or "unknown",
        detail=f"Sign-in failed for “{username}”" if username else "",
        extra={"username": username},
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="audit.admin_change")
def _admin_changed(sender, instance, created, **kwargs):
    if not created:
        return
    model = instance.content_type.model_class() if instance.content_type_id else None
    name = model._meta.verbose_name if model else "object"
    message = instance.get_change_message()
    verb = {ADDITION: "Added", CHANGE: "Changed", DELETION: "Deleted"}.get(instance.action_flag, "Changed")
    detail = f"{verb} {name} “{instance.object_repr}”" + (f": {message}" if message else "")
    # The admin's request, kept for the length of a request by simple_history's middleware.
    request = getattr(HistoricalRecords.context, "request", None)
    audit_record(
        request=request,
        action=ADMIN_ACTIONS.get(instance.action_flag, actions.ADMIN_CHANGED),
        user=instance.user,
        target=(
            f"{instance.content_type.app_label}.{instance.content_type.model}" if model else "",
            instance.object_id or "",
            instance.object_repr,
        ),
        detail=detail,
    )
