from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<slug:slug>/staff/", views.agency_staff, name="agency_staff"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("people/", views.search, name="search"),
    path("people/act/", views.bulk_action, name="bulk_action"),
    path("staff/<int:pk>/remind/", views.staff_remind, name="staff_remind"),
    path("staff/<int:pk>/signin-link/", views.staff_signin_link, name="staff_signin_link"),
    path("data-quality/", views.data_quality, name="data_quality"),
    path("audit-log/", views.audit_log, name="audit_log"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/progress/", views.export_job_progress, name="export_job_progress"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export_job_download"),
]
