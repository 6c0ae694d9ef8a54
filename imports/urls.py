"""Spreadsheet imports (imports.views), under /imports/ in config/urls.py. Every kind of import
has the same pages, addressed by its slug: /imports/staff/upload/, /imports/completions/upload/..."""

from django.urls import path, re_path

from . import views

app_name = "imports"

SHEET = r"(?P<file_format>csv|xlsx)"

urlpatterns = [
    path("", views.import_index, name="index"),
    path("agencies/<slug:slug>/", views.agency_history, name="agency_history"),
    path("agencies/<slug:slug>/job-titles/", views.job_title_mappings, name="job_titles"),
    path("<int:pk>/job-titles/", views.import_map_job_titles, name="map_job_titles"),
    re_path(rf"^agencies/(?P<slug>[-\w]+)/staff-list\.{SHEET}$", views.staff_export, name="staff_export"),
    path("<int:pk>/", views.import_status, name="status"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<int:pk>/file/", views.import_original_file, name="original_file"),
    re_path(r"^(?P<pk>\d+)/rows/(?P<section>[a-z_]+)/$", views.import_rows, name="rows"),
    re_path(rf"^(?P<pk>\d+)/failing-rows\.{SHEET}$", views.import_failing_rows_download, name="failing_rows"),
    re_path(rf"^(?P<pk>\d+)/problems\.{SHEET}$", views.import_errors_download, name="errors"),
    # The pages of each kind.
    path("<slug:kind>/", views.history, name="history"),
    path("<slug:kind>/upload/", views.upload, name="upload"),
    path("<slug:kind>/help/", views.import_help, name="help"),
    re_path(rf"^(?P<kind>[-\w]+)/template\.{SHEET}$", views.import_template, name="template"),
]
