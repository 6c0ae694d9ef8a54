"""The Django admin, for partnership leads only.

Who gets in is decided once, on the admin site: an active staff account of a partnership lead
(workforce.access.is_lead). Agency HR users are sent to the admin login page. Inside, every model
admin grants leads what the model allows (LeadOnlyAdmin), so leads need no per-model Django
permissions, and querysets are empty for anyone else should the site check ever be loosened.

Every write goes through the owning app's services (ServiceAdmin and ServiceInline), so
validation, e-mail normalisation, role dates, expiry dates and the history rows stay in one place:
the admin never saves a domain object itself. Other apps extend the admins registered here with
their own inlines (training adds a person's completions, exemptions and assignments, and a job
role's requirements) by registering a subclass.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from . import access, services
from .models import Agency, AgencyMembership, JobRole, StaffMember, Team
from .resources import JobRoleResource
from .rules import current_on_q, leavers_on_q


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


class ServiceInlines:
    """A model admin whose inlines write through their own services: each inline that is a
    ServiceAdmin gets its rows created, changed and deleted by its `create`, `update` and
    `delete`; an inline that is not one is read-only (or writes nothing of the domain)."""

    def save_formset(self, request, form, formset, change):
        inline = next(
            (
                each
                for each in self.get_inline_instances(request, form.instance)
                if each.model is formset.model
            ),
            None,
        )
        if not isinstance(inline, ServiceAdmin):
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            inline.delete(request, obj)
        edited = _edited_fields(formset)
        for obj in formset.new_objects:
            adopt(obj, inline.create(request, {name: getattr(obj, name) for name in edited}))
        for obj, changed in formset.changed_objects:
            inline.update(request, obj, {name: getattr(obj, name) for name in changed})
        return None


class ServiceAdmin(ServiceInlines):
    """A model admin (or inline) whose writes are calls to services. Subclasses implement
    `create(request, fields)` -> the saved object, `update(request, obj, changes)` and, where
    deletion is allowed, `delete(request, obj)`; `fields` and `changes` are the form's cleaned
    values of the model's own fields."""

    def create(self, request, fields):
        raise NotImplementedError

    def update(self, request, obj, changes):
        raise NotImplementedError

    def delete(self, request, obj):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            self.update(request, obj, _form_values(form, obj, only=form.changed_data))
        else:
            adopt(obj, self.create(request, _form_values(form, obj)))

    def delete_model(self, request, obj):
        self.delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete(request, obj)


def _form_values(form, obj, only=None):
    """The model fields a form edits, as the form cleaned them."""
    names = {field.name for field in obj._meta.concrete_fields}
    return {
        name: value
        for name, value in form.cleaned_data.items()
        if name in names and (only is None or name in only)
    }


def _edited_fields(formset):
    """The model fields an inline's rows set: those of its form, and the link to the parent."""
    names = {field.name for field in formset.model._meta.concrete_fields}
    return [name for name in formset.form.base_fields if name in names] + [formset.fk.name]


def adopt(obj, saved):
    """Make the admin's unsaved `obj` the row a service saved, so the admin logs and redirects to it."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class MembershipServices(ServiceAdmin):
    def create(self, request, fields):
        return services.agency_membership_grant(
            user=fields["user"], agency=fields["agency"], actor=request.user
        )

    def update(self, request, obj, changes):
        """A membership moved to another user or agency: the old one goes, the new one comes."""
        services.agency_membership_revoke(
            membership=AgencyMembership.objects.get(pk=obj.pk), actor=request.user
        )
        adopt(obj, services.agency_membership_grant(user=obj.user, agency=obj.agency, actor=request.user))

    def delete(self, request, obj):
        services.agency_membership_revoke(membership=obj, actor=request.user)


class AgencyMembershipInline(MembershipServices, LeadOnlyAdmin, admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]
    allow_delete = True
    verbose_name = "Agency HR user"
    verbose_name_plural = "Agency HR users (people who see and upload this agency's staff list)"


class TeamServices(ServiceAdmin):
    def create(self, request, fields):
        return services.team_create(agency=fields["agency"], name=fields["name"], actor=request.user)

    def update(self, request, obj, changes):
        services.team_rename(team=obj, name=obj.name, actor=request.user)

    def delete(self, request, obj):
        services.team_delete(team=obj, actor=request.user)


class TeamInline(TeamServices, LeadOnlyAdmin, admin.TabularInline):
    model = Team
    extra = 0
    fields = ["name"]
    show_change_link = True


@admin.register(Agency)
class AgencyAdmin(ServiceAdmin, LeadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["name", "slug", "sector", "hr_contact_email", "training_lead_email", "active"]
    list_filter = ["sector", "active"]
    search_fields = ["name", "slug", "hr_contact_email", "training_lead_email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AgencyMembershipInline, TeamInline]

    def create(self, request, fields):
        return services.agency_create(actor=request.user, **fields)

    def update(self, request, obj, changes):
        services.agency_update(agency=obj, actor=request.user, **changes)


@admin.register(Team)
class TeamAdmin(TeamServices, LeadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "agency"]
    list_filter = ["agency"]
    list_select_related = ["agency"]
    search_fields = ["name", "agency__name"]
    autocomplete_fields = ["agency"]
    allow_delete = True


@admin.register(JobRole)
class JobRoleAdmin(ServiceAdmin, LeadOnlyAdmin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [JobRoleResource]
    list_display = ["name", "tier"]
    list_filter = ["tier"]
    search_fields = ["name", "aliases"]

    def create(self, request, fields):
        return services.job_role_create(actor=request.user, **fields)

    def update(self, request, obj, changes):
        services.job_role_update(job_role=obj, actor=request.user, **changes)


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


class StaffMemberAdminForm(forms.ModelForm):
    def clean_email(self):
        return services.normalise_email(self.cleaned_data["email"])

    def clean_line_manager_email(self):
        return services.normalise_email(self.cleaned_data["line_manager_email"])


@admin.register(StaffMember)
class StaffMemberAdmin(ServiceAdmin, LeadOnlyAdmin, SimpleHistoryAdmin):
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

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in services.STAFF_FIELDS}
        if change:
            changed = {name: value for name, value in fields.items() if name in form.changed_data}
            if "user" in form.changed_data:
                changed["user"] = obj.user
            services.staff_update(staff=obj, actor=request.user, **changed)
        else:
            saved = services.staff_create(agency=obj.agency, actor=request.user, user=obj.user, **fields)
            adopt(obj, saved)


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(MembershipServices, LeadOnlyAdmin, admin.ModelAdmin):
    list_display = ["user", "agency", "created_at"]
    list_filter = ["agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__email", "agency__name"]
    autocomplete_fields = ["user", "agency"]
    allow_delete = True


class UserMembershipInline(MembershipServices, LeadOnlyAdmin, admin.TabularInline):
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
class TrackerUserAdmin(ServiceInlines, LeadOnlyAdmin, UserAdmin):
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
