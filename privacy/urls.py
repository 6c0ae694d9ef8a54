from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.notice, name="notice"),
    path("edit/", views.notice_edit, name="notice_edit"),
    path("retention/", views.retention, name="retention"),
    path("staff/<int:pk>/erase/", views.staff_erase, name="staff_erase"),
    path("staff/<int:pk>/subject-access/", views.staff_subject_access, name="staff_subject_access"),
]
