"""The Django admin, for partnership leads only.

Who gets in is decided once, on the admin site: an active staff account of a partnership lead
(workforce.access.is_lead). Agency HR users are sent to the admin login page. Inside, every model
admin grants leads what the model allows (LeadOnlyAdmin), so leads need no per-model Django
permissions, and querysets are empty for anyone else should the site check ever be loosened.

Domain writes go through the services where the admin creates or changes staff members and
completions, so validation, e-mail normalisation, role dates and expiry dates stay in one place.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from training.models import Assignment, Completion, Exemption, Requirement

from . import access, services
from .models import Agency, AgencyMembership, JobRole, StaffMember, Team
from .resources import JobRoleResource
from .selectors import current_on_q, leavers_on_q


def admin_site_has_permission(request):
    user = request.user
    return user.is_active and user.is_staff and access.is_lead(user)


admin.site.has_permission = admin_site_has_permission


class LeadOnlyAdmin(admin.options.BaseModelAdmin):
    """Leads may view, add and change; nothing is deleted unless `allow_delete` (history is kept)."""

    allow_delete = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if access.is_lead(request.user) else queryset.none()

    def has_module_permission(self, request):
        return access.is_lead(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_lead(request.user)

    def has_add_permission(self, request, *args):
        return access.is_lead(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_lead(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and access.is_lead(request.user)


def adopt(obj, saved):
    """Make the admin's unsaved `obj` the row a service saved, so the admin logs and redirects to it."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class AgencyMembershipInline(LeadOnlyAdmin, admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]
    allow_delete = True
    verbose_name = "Agency HR user"
    verbose_name_plural = "Agency HR users (people who see and upload this agency's staff list)"


class TeamInline(LeadOnlyAdmin, admin.TabularInline):
    model = Team
    extra = 0
    fields = ["name"]
    show_change_link = True


@admin.register(Agency)
class AgencyAdmin(LeadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["name", "slug", "sector", "hr_contact_email", "training_lead_email", "active"]
    list_filter = ["sector", "active"]
    search_fields = ["name", "slug", "hr_contact_email", "training_lead_email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AgencyMembershipInline, TeamInline]


@admin.register(Team)
class TeamAdmin(LeadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "agency"]
    list_filter = ["agency"]
    list_select_related = ["agency"]
    search_fields = ["name", "agency__name"]
    autocomplete_fields = ["agency"]
    allow_delete = True


class RequirementInline(LeadOnlyAdmin, admin.TabularInline):
    model = Requirement

    extra = 0
    autocomplete_fields = ["module"]
    allow_delete = True


@admin.register(JobRole)
class JobRoleAdmin(LeadOnlyAdmin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [JobRoleResource]
    list_display = ["name", "tier"]
    list_filter = ["tier"]
    search_fields = ["name", "aliases"]
    inlines = [RequirementInline]


class StaffStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("current", "Current staff"), ("leavers", "Leavers"), ("future", "Not started yet")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "current":
            return queryset.filter(current_on_q(today))
        if self.value() == "leavers":
            return queryset.filter(leavers_on_q(today))
        if self.value() == "future":
            return queryset.filter(start_date__gt=today)
        return queryset


class CompletionInline(LeadOnlyAdmin, admin.TabularInline):
    """Read-only: completions are recorded through the Completion admin (and its service)."""

    model = Completion

    extra = 0
    fields = ["module", "completed_on", "expires_on", "source", "verification"]
    readonly_fields = fields
    show_change_link = True
    ordering = ["-completed_on"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("module")


class ExemptionInline(LeadOnlyAdmin, admin.TabularInline):
    model = Exemption

    extra = 0
    fields = ["module", "reason", "details", "starts_on", "ends_on"]
    autocomplete_fields = ["module"]


class AssignmentInline(LeadOnlyAdmin, admin.TabularInline):
    model = Assignment

    extra = 0
    fields = ["module", "assigned_on", "due_on", "reason"]
    autocomplete_fields = ["module"]
    allow_delete = True


class StaffMemberAdminForm(forms.ModelForm):
    def clean_email(self):
        return services.normalise_email(self.cleaned_data["email"])

    def clean_line_manager_email(self):
        return services.normalise_email(self.cleaned_data["line_manager_email"])


@admin.register(StaffMember)
class StaffMemberAdmin(LeadOnlyAdmin, SimpleHistoryAdmin):
    form = StaffMemberAdminForm
    list_display = [
        "last_name",
        "first_name",
        "staff_number",
        "agency",
        "job_role",
        "team",
        "email",
        "start_date",
        "left_on",
    ]
    list_display_links = ["last_name", "first_name"]
    list_filter = [StaffStatusFilter, "agency", "job_role__tier", "job_role"]
    list_select_related = ["agency", "job_role", "team"]
    search_fields = ["first_name", "last_name", "staff_number", "email", "line_manager_email"]
    autocomplete_fields = ["agency", "job_role", "team", "user"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["agency", "staff_number", "first_name", "last_name", "email"]}),
        ("Role", {"fields": ["job_role", "job_title", "team", "line_manager_email"]}),
        ("Dates", {"fields": ["start_date", "role_since", "left_on"]}),
        ("Account", {"fields": ["user", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [CompletionInline, ExemptionInline, AssignmentInline]

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in services.STAFF_FIELDS}
        if change:
            changed = {name: value for name, value in fields.items() if name in form.changed_data}
            services.staff_update(staff=obj, actor=request.user, **changed)
            if "user" in form.changed_data:
                obj.save(update_fields=["user"])
        else:
            saved = services.staff_create(agency=obj.agency, actor=request.user, user=obj.user, **fields)
            adopt(obj, saved)


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(LeadOnlyAdmin, admin.ModelAdmin):
    list_display = ["user", "agency", "created_at"]
    list_filter = ["agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__email", "agency__name"]
    autocomplete_fields = ["user", "agency"]
    allow_delete = True


class UserMembershipInline(LeadOnlyAdmin, admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["agency"]
    readonly_fields = ["created_at"]
    allow_delete = True
    verbose_name = "Agency this user is HR for"
    verbose_name_plural = "Agencies this user is HR for"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(LeadOnlyAdmin, UserAdmin):
    """Leads manage the accounts of other leads and agency HR; only a superuser touches a superuser."""

    inlines = [UserMembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions", "last_login", "date_joined"]
        return readonly
