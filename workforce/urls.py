"""Staff self-service sign-in, under /my/ (config/urls.py). Staff members' own record pages are in
training.urls."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.staff_home, name="staff_home"),
    path("sign-in/", views.signin_request, name="staff_signin"),
    path("sign-in/<str:token>/", views.signin_open, name="staff_signin_open"),
    path("sign-out/", views.signout, name="staff_signout"),
]
