"""Sign-in under /accounts/ (config/urls.py includes these before django.contrib.auth's own).

allauth is mounted piece by piece rather than whole: its second-factor pages (/accounts/2fa/) and
the OpenID Connect provider's login and callback (/accounts/oidc/<provider id>/login/[callback/]),
while the names of allauth's other pages that its flows redirect to point at the tracker's pages
(sign-in, sign-up closed). No allauth page for signing up, email addresses or passwords exists.
"""

from allauth.account import views as allauth_account_views
from allauth.socialaccount import views as allauth_social_views
from django.contrib.auth import urls as auth_urls
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import views

sign_in = views.SignInView.as_view()

urlpatterns = [
    path("login/", sign_in, name="login"),
    path("login/", sign_in, name="account_login"),
    path("logout/", auth_views.LogoutView.as_view(), name="account_logout"),
    *(
        path(str(pattern.pattern), views.password_signin_required(pattern.callback), name=pattern.name)
        for pattern in auth_urls.urlpatterns
        if pattern.name.startswith("password_")
    ),
    path(
        "reauthenticate/",
        views.password_signin_required(allauth_account_views.reauthenticate),
        name="account_reauthenticate",
    ),
    path("inactive/", views.account_inactive, name="account_inactive"),
    path("signup/", views.signup_closed, name="account_signup"),
    path("2fa/totp/activate/", views.ActivateTOTPView.as_view(), name="mfa_activate_totp"),
    path("2fa/", include("allauth.mfa.urls")),
    path("second-factors/", views.second_factors, name="second_factors"),
    path("second-factors/<int:pk>/reset/", views.second_factor_reset, name="second_factor_reset"),
    path("sso/cancelled/", allauth_social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("sso/error/", allauth_social_views.login_error, name="socialaccount_login_error"),
    path("sso/signup/", views.signup_closed, name="socialaccount_signup"),
    path("sso/", RedirectView.as_view(pattern_name="mfa_index"), name="socialaccount_connections"),
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
]
