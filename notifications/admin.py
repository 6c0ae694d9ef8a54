"""Admin for leads: module reminder policies (editable, validated), the outbox (read-only)."""

from django import forms
from django.contrib import admin

from workforce.admin import LeadOnlyAdmin

from . import rules, services
from .models import DigestOptOut, PlannerRun, ReminderItem, ReminderMessage, ReminderPolicy

POLICY_FIELDS = [
    "module",
    "due_soon_days",
    "overdue_every_days",
    "overdue_max",
    "renewal_soon_days",
    "expired_every_days",
    "expired_max",
    "escalation_after_days",
]


class ReminderPolicyForm(forms.ModelForm):
    class Meta:
        model = ReminderPolicy
        fields = POLICY_FIELDS

    def clean(self):
        cleaned = super().clean()
        if self.errors or cleaned.get("module") is None:
            return cleaned
        candidate = ReminderPolicy(**{name: cleaned.get(name) for name in POLICY_FIELDS})
        # Errors by field land on the field; the module's own window problem goes on top.
        services.reminder_policy_validate(candidate)
        return cleaned


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(LeadOnlyAdmin, admin.ModelAdmin):
    # Deleting a policy puts the module back on the partnership defaults; its history is kept.
    allow_delete = True
    form = ReminderPolicyForm
    list_display = ["module", "due_soon", "overdue", "renew_soon", "expired", "escalation", "updated_at"]
    readonly_fields = ["renewal_window", "updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["module", "renewal_window"]}),
        ("Never completed", {"fields": ["due_soon_days", "overdue_every_days", "overdue_max"]}),
        ("Renewal", {"fields": ["renewal_soon_days", "expired_every_days", "expired_max"]}),
        ("Line manager", {"fields": ["escalation_after_days"]}),
        ("Changes", {"fields": ["updated_at", "updated_by"]}),
    ]

    def _effective(self, obj):
        return rules.policy_for(obj, renewal_window_days=obj.module.renewal_window_days)

    @admin.display(description="renewal window")
    def renewal_window(self, obj):
        if obj is None or obj.module_id is None:
            return "The module's own renewal window (set on the module)."
        return f"{obj.module.renewal_window_days} days before expiry (set on the module)"

    @admin.display(description="due soon (days before)")
    def due_soon(self, obj):
        return rules.format_days(self._effective(obj).due_soon_days)

    @admin.display(description="overdue")
    def overdue(self, obj):
        policy = self._effective(obj)
        return f"{policy.overdue_max} × every {policy.overdue_every_days} days"

    @admin.display(description="renew soon (days before)")
    def renew_soon(self, obj):
        return rules.format_days(self._effective(obj).renewal_soon_days)

    @admin.display(description="expired")
    def expired(self, obj):
        policy = self._effective(obj)
        return f"{policy.expired_max} × every {policy.expired_every_days} days"

    @admin.display(description="escalation after")
    def escalation(self, obj):
        return f"{self._effective(obj).escalation_after_days} days"

    def save_model(self, request, obj, form, change):
        services.reminder_policy_save(policy=obj, actor=request.user)


class ReadOnlyAdmin(LeadOnlyAdmin, admin.ModelAdmin):
    """The outbox is written by the engine only; leads read it here (and on the outbox page)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderItem)
class ReminderItemAdmin(ReadOnlyAdmin):
    list_display = [
        "planned_for",
        "kind",
        "recipient",
        "staff",
        "module",
        "cycle_date",
        "stage",
        "status",
        "attempts",
    ]
    list_filter = ["status", "kind", "planned_for"]
    search_fields = ["recipient", "staff__staff_number", "staff__last_name", "module__code"]
    list_select_related = ["staff", "module"]
    date_hierarchy = "planned_for"


@admin.register(ReminderMessage)
class ReminderMessageAdmin(ReadOnlyAdmin):
    list_display = ["day", "recipient", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "day"]
    search_fields = ["recipient", "subject"]
    date_hierarchy = "day"


@admin.register(PlannerRun)
class PlannerRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "started_at", "finished_at", "skipped", "messages"]


@admin.register(DigestOptOut)
class DigestOptOutAdmin(LeadOnlyAdmin, admin.ModelAdmin):
    # A lead may remove an opt-out when the recipient asks for the digest back.
    allow_delete = True
    list_display = ["email", "kind", "created_at"]
    search_fields = ["email"]
