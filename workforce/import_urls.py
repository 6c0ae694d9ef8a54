"""Spreadsheet imports (workforce.import_views), under /imports/ in config/urls.py."""

from django.urls import path, re_path

from . import import_views as views

app_name = "imports"

SHEET = r"(?P<file_format>csv|xlsx)"

urlpatterns = [
    path("", views.import_index, name="index"),
    path("staff/upload/", views.staff_upload, name="staff_upload"),
    path("staff/help/", views.import_help, {"kind": "staff"}, name="staff_help"),
    re_path(rf"^staff/template\.{SHEET}$", views.import_template, {"kind": "staff"}, name="staff_template"),
    path("completions/", views.completion_history, name="completion_history"),
    path("completions/upload/", views.completion_upload, name="completion_upload"),
    path("completions/help/", views.import_help, {"kind": "completions"}, name="completion_help"),
    re_path(
        rf"^completions/template\.{SHEET}$",
        views.import_template,
        {"kind": "completions"},
        name="completion_template",
    ),
    path("agencies/<slug:slug>/", views.agency_history, name="agency_history"),
    re_path(rf"^agencies/(?P<slug>[-\w]+)/staff-list\.{SHEET}$", views.staff_export, name="staff_export"),
    path("<int:pk>/", views.import_status, name="status"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<int:pk>/file/", views.import_original_file, name="original_file"),
    re_path(
        r"^(?P<pk>\d+)/rows/(?P<section>new|updated|leavers|duplicates|errors)/$",
        views.import_rows,
        name="rows",
    ),
    re_path(rf"^(?P<pk>\d+)/failing-rows\.{SHEET}$", views.import_failing_rows_download, name="failing_rows"),
    re_path(rf"^(?P<pk>\d+)/problems\.{SHEET}$", views.import_errors_download, name="errors"),
]
