"""The service navigation of every page (templates/base.html): the items a user's role may use,
each named as the page it opens is titled, with a count beside the items where work waits
(certificates to verify, uploads to confirm, emails that failed), and the search box.

The counts come from one query, whatever the page; a page with no signed-in lead or Agency HR user
runs none.
"""

from django.db import connection
from django.urls import reverse

from imports.models import ImportRecord
from imports.selectors import visible_imports
from notifications.models import MessageStatus, ReminderMessage, ReminderPause
from training.models import Completion, Verification
from workforce import access


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_role": None, "nav_items": [], "nav_search": False}
    if access.is_lead(user):
        role = "lead"
    elif access.is_agency_hr(user):
        role = "agency_hr"
    else:
        return {
            "nav_role": "other",
            "nav_items": [_item("Your training record", reverse("home"), True)],
            "nav_search": False,
        }
    counts = waiting_counts(user, lead=role == "lead")
    return {
        "nav_role": role,
        "nav_items": _nav_items(role, user, request.path, counts),
        "nav_search": True,
        "nav_counts": counts,
    }


def waiting_counts(user, *, lead):
    """{uploads, verification, failed, paused}: the work waiting for `user`, in one query (each count a
    scalar subquery of the scoped querysets' own SQL)."""
    counted = {"uploads": visible_imports(user).filter(status=ImportRecord.Status.VALIDATED)}
    if lead:
        counted["verification"] = Completion.objects.filter(verification=Verification.PENDING)
        counted["failed"] = ReminderMessage.objects.filter(status=MessageStatus.FAILED)
        # Not work waiting, but asked in the same query: the "reminders paused" banner (1 or 0).
        counted["paused"] = ReminderPause.objects.filter(paused=True)
    selects, params = [], []
    for index, queryset in enumerate(counted.values()):
        sql, values = queryset.order_by().values("pk").query.sql_with_params()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{index})")  # noqa: S608 - Django's own SQL
        params.extend(values)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return {"verification": 0, "failed": 0, "paused": 0, **dict(zip(counted, row, strict=True))}


def _nav_items(role, user, path, counts):
    home = reverse("home")
    agencies = reverse("agency_list")
    # Staff pages sit under an agency, so they keep the agency section highlighted.
    in_agencies = path.startswith(agencies) or path.startswith("/staff/")
    uploads = _item(
        "Uploads",
        reverse("imports:index"),
        path.startswith("/imports/"),
        counts["uploads"],
        "waiting for confirmation",
    )
    quality = _item("Data quality", reverse("data_quality"), path.startswith("/data-quality/"))
    if role == "lead":
        items = [
            _item("Dashboard", home, path == home or path.startswith("/compliance/")),
            _item("Agencies", agencies, in_agencies),
            _item(
                "Verification",
                reverse("records:verification_queue"),
                path.startswith("/training/verif"),
                counts["verification"],
                "waiting",
            ),
            _item("Attendance register", reverse("records:register"), path.startswith("/training/register")),
            _item("Sessions", reverse("courses:session_list"), path.startswith("/sessions/")),
            uploads,
            _item(
                "Reminders",
                reverse("outbox:items"),
                path.startswith("/reminders/"),
                counts["failed"],
                "failed",
            ),
            quality,
            _item("Workforce strategy", reverse("strategy:overview"), path.startswith("/strategy/")),
            _item("Audit log", reverse("audit_log"), path.startswith("/audit-log/")),
        ]
        if user.is_staff:
            items.append(_item("Admin", reverse("admin:index"), False))
        return items
    return [
        _item("Dashboard", home, path == home or path.startswith("/compliance/")),
        _item("Staff and training", agencies, in_agencies),
        _item("Sessions", reverse("courses:session_list"), path.startswith("/sessions/")),
        uploads,
        quality,
        _item("Action plan", reverse("strategy:action_list"), path.startswith("/strategy/")),
    ]


def _item(text, href, active, count=0, waiting=""):
    """A navigation item; `count` and what it counts ("3 waiting") show beside it when not zero."""
    return {"text": text, "href": href, "active": active, "count": count, "count_label": waiting}
