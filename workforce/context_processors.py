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
        compliance = reverse("compliance:dashboard")
        items = [
            {"text": "Dashboard", "href": home, "active": path == home},
            {"text": "Compliance", "href": compliance, "active": path.startswith(compliance)},
            {"text": "Agencies", "href": agencies, "active": in_agencies},
        ]
        if user.is_staff:
            items.append({"text": "Admin", "href": reverse("admin:index"), "active": False})
        return items
    if role == "agency_hr":
        return [{"text": "Staff list", "href": home, "active": path == home or in_agencies}]
    return [{"text": "Your training record", "href": home, "active": path == home}]
