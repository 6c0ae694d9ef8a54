from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import sessions, views

app_name = "api"

urlpatterns = [
    path("v1/agencies/", views.AgencyList.as_view(), name="agencies"),
    path("v1/job-roles/", views.JobRoleList.as_view(), name="job_roles"),
    path("v1/modules/", views.ModuleList.as_view(), name="modules"),
    path("v1/staff/", views.StaffList.as_view(), name="staff"),
    path("v1/staff/<int:pk>/", views.StaffDetail.as_view(), name="staff_detail"),
    path("v1/completions/", views.CompletionList.as_view(), name="completions"),
    path("v1/compliance/", views.ComplianceView.as_view(), name="compliance"),
    path("v1/sessions/", sessions.SessionList.as_view(), name="sessions"),
    path("v1/sessions/<int:pk>/", sessions.SessionDetail.as_view(), name="session_detail"),
    path("v1/sessions/<int:pk>/cancel/", sessions.SessionCancel.as_view(), name="session_cancel"),
    path("v1/sessions/<int:pk>/bookings/", sessions.SessionBookings.as_view(), name="session_bookings"),
    path("v1/sessions/<int:pk>/attendance/", sessions.SessionAttendance.as_view(), name="session_attendance"),
    path("v1/sessions/<int:pk>/feedback/", sessions.SessionFeedback.as_view(), name="session_feedback"),
    path("v1/bookings/<int:pk>/cancel/", sessions.BookingCancel.as_view(), name="booking_cancel"),
    path("v1/bookings/<int:pk>/invite.ics", sessions.BookingInvite.as_view(), name="booking_invite"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

account_urlpatterns = [
    path("api-tokens/", views.token_list, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
