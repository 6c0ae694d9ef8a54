from django.conf import settings


def sign_in(request):
    """Whether passwords are on (the footer's "Change your password" link shows only then)."""
    return {"password_signin": settings.PASSWORD_SIGNIN_ENABLED}
