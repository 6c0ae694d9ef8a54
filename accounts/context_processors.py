import functools

from django.conf import settings

from . import selectors


def sign_in(request):
    """Whether passwords are on (the footer's password and second-factor links show only then), and
    whether this session came through single sign-on (which asks for no local second factor)."""
    user = getattr(request, "user", None)
    return {
        "password_signin": settings.PASSWORD_SIGNIN_ENABLED,
        "signed_in_by_sso": functools.partial(selectors.signed_in_by_sso, request, user),
    }
