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

from workforce.admin import LeadOnlyAdmin, adopt

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
class ModuleAdmin(LeadOnlyAdmin, ImportExportModelAdmin, SimpleHistoryAdmin):
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


@admin.register(Requirement)
class RequirementAdmin(LeadOnlyAdmin, ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [RequirementResource]
    list_display = ["job_role", "module", "due_within_days", "starts_on"]
    list_filter = ["job_role__tier", "module", "job_role"]
    list_select_related = ["job_role", "module"]
    search_fields = ["job_role__name", "module__code", "module__title"]
    autocomplete_fields = ["job_role", "module"]
    allow_delete = True


@admin.register(Assignment)
class AssignmentAdmin(LeadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["staff", "module", "assigned_on", "due_on", "reason"]
    list_filter = ["module", "staff__agency"]
    list_select_related = ["staff", "module"]
    search_fields = ["staff__first_name", "staff__last_name", "staff__staff_number", "module__code"]
    autocomplete_fields = ["staff", "module"]
    readonly_fields = ["assigned_by", "created_at"]
    allow_delete = True

    def save_model(self, request, obj, form, change):
        if not change:
            obj.assigned_by = request.user
        super().save_model(request, obj, form, change)


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
class CompletionAdmin(LeadOnlyAdmin, SimpleHistoryAdmin):
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

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = services.completion_record(
            staff=obj.staff,
            module=obj.module,
            completed_on=obj.completed_on,
            source=obj.source,
            actor=request.user,
            certificate_reference=obj.certificate_reference,
            notes=obj.notes,
        )
        adopt(obj, saved)

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


@admin.register(Exemption)
class ExemptionAdmin(LeadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["staff", "module", "reason", "starts_on", "ends_on"]
    list_filter = ["reason", "module", "staff__agency"]
    list_select_related = ["staff", "module"]
    search_fields = ["staff__first_name", "staff__last_name", "staff__staff_number", "details"]
    autocomplete_fields = ["staff", "module"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
