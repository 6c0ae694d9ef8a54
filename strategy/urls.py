from django.urls import path

from . import views

app_name = "strategy"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("settings/", views.settings_edit, name="settings"),
    path("frameworks/", views.framework_list, name="framework_list"),
    path("frameworks/install-default/", views.framework_install, name="framework_install"),
    path("frameworks/<int:pk>/", views.framework_detail, name="framework_detail"),
    path("frameworks/<int:pk>/edit/", views.framework_edit, name="framework_edit"),
    path("domains/<int:pk>/edit/", views.domain_edit, name="domain_edit"),
    path("domains/<int:domain_pk>/items/add/", views.item_add, name="item_add"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/domains/<int:domain_pk>/", views.round_rate_domain, name="round_rate_domain"),
    path("rounds/<int:pk>/complete/", views.round_complete, name="round_complete"),
    path("rounds/<int:pk>/reopen/", views.round_reopen, name="round_reopen"),
    path("rounds/<int:pk>/summary/", views.round_summary, name="round_summary"),
    path("rounds/<int:pk>/export.xlsx", views.round_export, name="round_export"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/new/", views.action_create, name="action_create"),
    path("actions/export.xlsx", views.action_export, name="action_export"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/progress/", views.action_progress, name="action_progress"),
    path("actions/update/<str:token>/", views.owner_update, name="owner_update"),
    # Old signed links (strategy.owner_links), read until they expire 45 days after sending.
    path("actions/<int:pk>/update/<str:token>/", views.owner_update, name="owner_update_legacy"),
]
