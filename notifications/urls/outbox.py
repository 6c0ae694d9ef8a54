"""The reminder outbox for partnership leads (namespace "outbox"), under /reminders/."""

from django.urls import path

from ..views import outbox as outbox_views

app_name = "outbox"

urlpatterns = [
    path("", outbox_views.outbox, name="items"),
    path("tomorrow/", outbox_views.tomorrow, name="tomorrow"),
    path("pause/", outbox_views.pause, name="pause"),
    path("messages/<int:pk>/", outbox_views.message_detail, name="message"),
    path("messages/<int:pk>/email.html", outbox_views.message_html, name="message_html"),
    path("messages/<int:pk>/resend/", outbox_views.message_resend, name="message_resend"),
]
