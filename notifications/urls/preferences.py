from django.urls import path

from ..views import preferences as views

app_name = "notifications"

urlpatterns = [
    path("email-preferences/<str:token>/", views.digest_preferences, name="digest-preferences"),
]
