"""The compliance pages (namespace "compliance"), under /compliance/."""

from django.urls import path

from ..views import compliance as compliance_views

app_name = "compliance"

urlpatterns = [
    path("", compliance_views.dashboard, name="dashboard"),
    path("people/", compliance_views.people, name="people"),
    path("targets/", compliance_views.targets, name="targets"),
    path("export/<slug:kind>.<slug:file_format>", compliance_views.export, name="export"),
]
