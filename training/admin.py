"""Admin for the training catalogue and records, for partnership leads (see workforce/admin.py).

Completions are recorded through training.services.completion_record, so their expiry date is
computed by the one implementation of the rules (renewal without drift included) and can never be
typed in. Once recorded, a completion's facts are fixed: history is never overwritten; a wrong
completion is corrected by recording the right one (self-declared ones are rejected instead).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from workforce.admin import JobRoleAdmin, LeadOnlyAdmin, ServiceAdmin, StaffMemberAdmin
from workforce.models import JobRole, StaffMember

from . import services
from .models import (
    Assignment,
    Completion,
    CompletionSource,
    Exemption,
    Module,
    Requirement,
    Verification,
)
from .resources import ModuleResource, RequirementResource


@admin.register(Module)
class ModuleAdmin(ServiceAdmin, LeadOnlyAdmin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [ModuleResource]
    list_display = [
        "code",
        "title",
        "tier",
        "domain",
        "delivery_mode",
        "duration",
        "validity_months",
        "renewal_window_days",
        "active",
    ]
    list_display_links = ["code", "title"]
    list_filter = ["active", "tier", "domain", "delivery_mode"]
    search_fields = ["code", "title"]

    def create(self, request, fields):
        return services.module_create(actor=request.user, **fields)

    def update(self, request, obj, changes):
        services.module_update(module=obj, actor=request.user, **changes)


class RequirementServices(ServiceAdmin):
    def create(self, request, fields):
        return services.requirement_create(actor=request.user, **fields)

    def update(self, request, obj, changes):
        services.requirement_update(requirement=obj, actor=request.user, **changes)

    def delete(self, request, obj):
        services.requirement_delete(requirement=obj, actor=request.user)


@admin.register(Requirement)
class RequirementAdmin(RequirementServices, LeadOnlyAdmin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [RequirementResource]
    list_display = ["job_role", "module", "due_within_days", "starts_on"]
    list_filter = ["job_role__tier", "module", "job_role"]
    list_select_related = ["job_role", "module"]
    search_fields = ["job_role__name", "module__code", "module__title"]
    autocomplete_fields = ["job_role", "module"]
    allow_delete = True


class AssignmentServices(ServiceAdmin):
    def create(self, request, fields):
        return services.assignment_create(actor=request.user, **fields)

    def update(self, request, obj, changes):
        services.assignment_update(assignment=obj, actor=request.user, **changes)

    def delete(self, request, obj):
        services.assignment_delete(assignment=obj, actor=request.user)


@admin.register(Assignment)
class AssignmentAdmin(AssignmentServices, LeadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["staff", "module", "assigned_on", "due_on", "reason"]
    list_filter = ["module", "staff__agency"]
    list_select_related = ["staff", "module"]
    search_fields = ["staff__first_name", "staff__last_name", "staff__staff_number", "module__code"]
    autocomplete_fields = ["staff", "module"]
    readonly_fields = ["assigned_by", "created_at"]
    allow_delete = True


class _DryRun(Exception):
    pass


class CompletionAddForm(forms.ModelForm):
    """Asks completion_record itself whether it would accept the completion, so the lead sees its
    message on the form rather than an error page, and the rules live only in the service."""

    source = forms.ChoiceField(
        choices=[
            (CompletionSource.MANUAL, CompletionSource.MANUAL.label),
            (CompletionSource.REGISTER, CompletionSource.REGISTER.label),
            (CompletionSource.IMPORT, CompletionSource.IMPORT.label),
        ],
        help_text="Self-declared completions come from staff members' own records.",
    )

    class Meta:
        model = Completion
        fields = ["staff", "module", "completed_on", "source", "certificate_reference", "notes"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # A dry run: record inside a transaction that is always rolled back. CompletionAdmin's
        # save_model records it for real.
        try:
            with transaction.atomic():
                services.completion_record(
                    staff=cleaned["staff"],
                    module=cleaned["module"],
                    completed_on=cleaned["completed_on"],
                    source=cleaned["source"],
                )
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Completion)
class CompletionAdmin(ServiceAdmin, LeadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["staff", "module", "completed_on", "expires_on", "source", "verification"]
    list_filter = ["verification", "source", "module", "staff__agency"]
    list_select_related = ["staff", "module"]
    search_fields = [
        "staff__first_name",
        "staff__last_name",
        "staff__staff_number",
        "staff__email",
        "module__code",
        "certificate_reference",
    ]
    autocomplete_fields = ["staff", "module"]
    date_hierarchy = "completed_on"
    actions = ["verify_selected"]
    fixed_fields = [
        "staff",
        "module",
        "completed_on",
        "expires_on",
        "source",
        "verification",
        "certificate_link",
        "recorded_by",
        "recorded_at",
        "verified_by",
        "verified_at",
        "rejection_reason",
    ]

    @admin.display(description="Certificate")
    def certificate_link(self, obj):
        """Through the scoped download view, never the storage's own address (media is not served)."""
        if not obj.certificate:
            return "-"
        return format_html(
            '<a href="{}">Open the certificate</a>', reverse("records:certificate", args=[obj.pk])
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CompletionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(CompletionAddForm.Meta.fields)
        return self.fixed_fields + ["certificate_reference", "notes"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.fixed_fields

    def create(self, request, fields):
        return services.completion_record(
            staff=fields["staff"],
            module=fields["module"],
            completed_on=fields["completed_on"],
            source=fields["source"],
            actor=request.user,
            certificate_reference=fields.get("certificate_reference", ""),
            notes=fields.get("notes", ""),
        )

    def update(self, request, obj, changes):
        services.completion_annotate(completion=obj, actor=request.user, **changes)

    @admin.action(description="Verify the selected self-declared completions")
    def verify_selected(self, request, queryset):
        verified = 0
        for completion in queryset.filter(verification=Verification.PENDING).select_related(
            "staff", "module"
        ):
            try:
                services.completion_verify(completion=completion, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{completion}: {' '.join(error.messages)}", messages.ERROR)
            else:
                verified += 1
        self.message_user(request, f"Verified {verified} completion{'s' if verified != 1 else ''}.")


class ExemptionForm(forms.ModelForm):
    """Asks the service whether the exemption would overlap another for the same module, so the
    lead reads its message on the form (in the admin page and in a person's inline rows)."""

    def clean(self):
        cleaned = super().clean()
        staff = cleaned.get("staff") or getattr(self.instance, "staff", None)
        if self.errors or staff is None or cleaned.get("starts_on") is None:
            return cleaned
        candidate = Exemption(
            pk=self.instance.pk,
            staff=staff,
            module=cleaned.get("module"),
            starts_on=cleaned["starts_on"],
            ends_on=cleaned.get("ends_on"),
        )
        try:
            services.exemption_check_overlap(candidate)
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


class ExemptionServices(ServiceAdmin):
    form = ExemptionForm

    def create(self, request, fields):
        return services.exemption_create(actor=request.user, **fields)

    def update(self, request, obj, changes):
        services.exemption_update(exemption=obj, actor=request.user, **changes)


@admin.register(Exemption)
class ExemptionAdmin(ExemptionServices, LeadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["staff", "module", "reason", "starts_on", "ends_on"]
    list_filter = ["reason", "module", "staff__agency"]
    list_select_related = ["staff", "module"]
    search_fields = ["staff__first_name", "staff__last_name", "staff__staff_number", "details"]
    autocomplete_fields = ["staff", "module"]
    readonly_fields = ["created_by", "created_at"]


# ---------------------------------------------------------------------------------------------
# A person's training and a job role's requirements, on the workforce app's own admin pages
# ---------------------------------------------------------------------------------------------


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


class ExemptionInline(ExemptionServices, LeadOnlyAdmin, admin.TabularInline):
    model = Exemption

    extra = 0
    fields = ["module", "reason", "details", "starts_on", "ends_on"]
    autocomplete_fields = ["module"]


class AssignmentInline(AssignmentServices, LeadOnlyAdmin, admin.TabularInline):
    model = Assignment

    extra = 0
    fields = ["module", "assigned_on", "due_on", "reason"]
    autocomplete_fields = ["module"]
    allow_delete = True


class RequirementInline(RequirementServices, LeadOnlyAdmin, admin.TabularInline):
    model = Requirement

    extra = 0
    autocomplete_fields = ["module"]
    allow_delete = True


class StaffMemberTrainingAdmin(StaffMemberAdmin):
    inlines = [*StaffMemberAdmin.inlines, CompletionInline, ExemptionInline, AssignmentInline]


class JobRoleRequirementsAdmin(JobRoleAdmin):
    inlines = [*JobRoleAdmin.inlines, RequirementInline]


admin.site.unregister(StaffMember)
admin.site.register(StaffMember, StaffMemberTrainingAdmin)
admin.site.unregister(JobRole)
admin.site.register(JobRole, JobRoleRequirementsAdmin)
