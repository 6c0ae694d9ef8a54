from .access import is_agency_hr, is_lead


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_role": None}
    if is_lead(user):
        return {"nav_role": "lead"}
    if is_agency_hr(user):
        return {"nav_role": "agency_hr"}
    return {"nav_role": "other"}
