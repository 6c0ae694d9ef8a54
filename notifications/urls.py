from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("email-preferences/<str:token>/", views.digest_preferences, name="digest-preferences"),
]
