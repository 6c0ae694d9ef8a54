"""Training sessions (namespace "courses"): the sessions pages under /sessions/, and a staff
member's own booking pages under /my/<pk>/ (opened by an emailed link)."""

from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/demand/", views.demand, name="demand"),
    path("sessions/new/", views.session_new, name="session_new"),
    path("sessions/feedback/", views.feedback_summary, name="feedback_summary"),
    path("sessions/<int:pk>/feedback/", views.session_feedback, name="session_feedback"),
    # The feedback form from the emailed link (no sign-in: the token opens one booking's form).
    path("feedback/<str:token>/", views.feedback, name="feedback"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/register/", views.register, name="register"),
    path("sessions/bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("sessions/bookings/<int:pk>/invite.ics", views.booking_invite, name="booking_invite"),
    # A staff member's own bookings.
    path("my/<int:pk>/sessions/", views.my_sessions, name="my_sessions"),
    path("my/<int:pk>/sessions/<int:session_pk>/book/", views.my_book, name="my_book"),
    path("my/<int:pk>/bookings/", views.my_bookings, name="my_bookings"),
    path("my/<int:pk>/bookings/<int:booking_pk>/cancel/", views.my_booking_cancel, name="my_booking_cancel"),
    path("my/<int:pk>/bookings/<int:booking_pk>/feedback/", views.my_feedback, name="my_feedback"),
    path(
        "my/<int:pk>/bookings/<int:booking_pk>/invite.ics", views.my_booking_invite, name="my_booking_invite"
    ),
]
