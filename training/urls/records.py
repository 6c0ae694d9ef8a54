"""Completions, certificates, verification, attendance registers and exemptions (namespace
"records"), and a staff member's own record under /my/ (sign-in itself is workforce.urls)."""

from django.urls import path

from ..views import records as record_views

app_name = "records"

urlpatterns = [
    # A staff member's own record, opened by an emailed link.
    path("my/<int:pk>/", record_views.my_record, name="my_record"),
    path("my/<int:pk>/calendar.ics", record_views.my_calendar, name="my_calendar"),
    path("my/<int:pk>/declare/", record_views.my_declare, name="my_declare"),
    # Shared by the lead, Agency HR of the person's agency and the person.
    path("training/certificates/<int:pk>/", record_views.certificate_download, name="certificate"),
    # Lead only.
    path("training/verification/", record_views.verification_queue, name="verification_queue"),
    path("training/verification/decide/", record_views.verification_bulk, name="verification_bulk"),
    path("training/verification/<int:pk>/", record_views.verification_review, name="verification_review"),
    path("training/register/", record_views.register, name="register"),
    path("staff/<int:pk>/completions/new/", record_views.completion_add, name="completion_add"),
    path("staff/<int:pk>/exemptions/new/", record_views.exemption_add, name="exemption_add"),
    path("training/exemptions/<int:pk>/end/", record_views.exemption_end, name="exemption_end"),
]
