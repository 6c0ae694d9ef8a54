from django.contrib.auth import get_user_model, login
from django.http import HttpResponseRedirect
from django.urls import include, path


def sign_in_as(request, username):
    """The provider's own sign-in, reduced to a test's choice of identity."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(request.GET.get("next", "/"))


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("sign-in-as/<str:username>/", sign_in_as),
]
