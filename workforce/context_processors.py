from django.urls import reverse

from .access import is_agency_hr, is_lead


def navigation(request):
    """The signed-in user's role and the service navigation for it (templates/base.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_role": None, "nav_items": []}
    if is_lead(user):
        role = "lead"
    elif is_agency_hr(user):
        role = "agency_hr"
    else:
        role = "other"
    return {"nav_role": role, "nav_items": _nav_items(role, user, request.path)}


def _nav_items(role, user, path):
    home = reverse("home")
    agencies = reverse("agency_list")
    # Staff pages sit under an agency, so they keep the agency section highlighted.
    in_agencies = path.startswith(agencies) or path.startswith("/staff/")
    if role == "lead":
        items = [
            _item("Home", home, path == home),
            _item("Dashboard", reverse("compliance:dashboard"), path.startswith("/compliance/")),
            _item("Agencies", agencies, in_agencies),
            _item("Verification", reverse("records:verification_queue"), path.startswith("/training/verif")),
            _item("Register", reverse("records:register"), path.startswith("/training/register")),
            _item("Imports", reverse("imports:index"), path.startswith("/imports/")),
            _item("Reminders", reverse("outbox:items"), path.startswith("/reminders/")),
            _item("Strategy", reverse("strategy:overview"), path.startswith("/strategy/")),
        ]
        if user.is_staff:
            items.append(_item("Admin", reverse("admin:index"), False))
        return items
    if role == "agency_hr":
        return [
            _item("Staff list", home, path == home or in_agencies),
            _item("Uploads", reverse("imports:index"), path.startswith("/imports/")),
            _item("Action plan", reverse("strategy:action_list"), path.startswith("/strategy/")),
        ]
    return [_item("Your training record", home, path == home)]


def _item(text, href, active):
    return {"text": text, "href": href, "active": active}
