"""The Django admin for the strategy, for partnership leads (workforce.admin.LeadOnlyAdmin).

Frameworks, domains and statements can be edited here as well as on the strategy pages, through
the same services (workforce.admin.ServiceAdmin). Rounds and actions are made on the strategy
pages (creating a round makes its rating rows; an action's status changes with a progress note),
so here they are for reading, with their history.
"""

from django.contrib import admin

from workforce.admin import LeadOnlyAdmin, ServiceAdmin

from . import services
from .models import (
    Action,
    AssessmentRound,
    Attachment,
    Domain,
    Framework,
    Item,
    ItemRating,
    ProgressNote,
    StrategySettings,
)

ITEM_FIELDS = [
    "position",
    "statement",
    "guidance",
    "active",
    "evidence_module",
    "evidence_tier",
    "evidence_job_role",
]


class ReadOnlyAdmin(LeadOnlyAdmin):
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StrategySettings)
class StrategySettingsAdmin(LeadOnlyAdmin, admin.ModelAdmin):
    list_display = ["__str__", "lead_name", "sponsor_name", "round_interval_months"]
    exclude = ["updated_by"]

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not StrategySettings.objects.exists()

    def save_model(self, request, obj, form, change):
        values = {name: getattr(obj, name) for name in services.SETTINGS_FIELDS}
        saved = services.strategy_settings_update(actor=request.user, **values)
        obj.pk = saved.pk


class DomainServices(ServiceAdmin):
    def create(self, request, fields):
        return services.domain_create(actor=request.user, **fields)

    def update(self, request, obj, changes):
        services.domain_update(
            domain=obj, actor=request.user, name=obj.name, description=obj.description, position=obj.position
        )


class DomainInline(DomainServices, LeadOnlyAdmin, admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["position", "name", "description"]
    show_change_link = True


@admin.register(Framework)
class FrameworkAdmin(ServiceAdmin, LeadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "is_default", "created_at"]
    inlines = [DomainInline]

    def create(self, request, fields):
        return services.framework_create(actor=request.user, **fields)

    def update(self, request, obj, changes):
        services.framework_update(
            framework=obj,
            actor=request.user,
            name=obj.name,
            description=obj.description,
            is_default=obj.is_default,
        )


class ItemServices(ServiceAdmin):
    def create(self, request, fields):
        item = services.item_create(
            domain=fields["domain"],
            actor=request.user,
            statement=fields["statement"],
            guidance=fields.get("guidance", ""),
            evidence_module=fields.get("evidence_module"),
            evidence_tier=fields.get("evidence_tier"),
            evidence_job_role=fields.get("evidence_job_role"),
        )
        # A position or an inactive state chosen here, where the form asks for them.
        return self._update(request, item, fields)

    def update(self, request, obj, changes):
        self._update(request, obj, {name: getattr(obj, name) for name in ITEM_FIELDS})

    def _update(self, request, item, values):
        return services.item_update(
            item=item,
            actor=request.user,
            statement=values["statement"],
            guidance=values.get("guidance", ""),
            position=values.get("position") or item.position,
            active=values.get("active", item.active),
            evidence_module=values.get("evidence_module"),
            evidence_tier=values.get("evidence_tier"),
            evidence_job_role=values.get("evidence_job_role"),
        )


class ItemInline(ItemServices, LeadOnlyAdmin, admin.StackedInline):
    model = Item
    extra = 1
    fields = ITEM_FIELDS


@admin.register(Domain)
class DomainAdmin(DomainServices, LeadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "framework", "position"]
    list_filter = ["framework"]
    inlines = [ItemInline]


@admin.register(Item)
class ItemAdmin(ItemServices, LeadOnlyAdmin, admin.ModelAdmin):
    list_display = ["statement", "domain", "position", "active", "evidence_module", "evidence_tier"]
    list_filter = ["domain__framework", "domain", "active"]
    search_fields = ["statement"]
    list_select_related = ["domain", "evidence_module"]
    fields = ["domain", *ITEM_FIELDS]


class ItemRatingInline(ReadOnlyAdmin, admin.TabularInline):
    model = ItemRating
    extra = 0
    fields = ["item", "rating", "evidence_note", "evidence_valid", "evidence_required"]
    readonly_fields = fields


@admin.register(AssessmentRound)
class AssessmentRoundAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["title", "agency", "assessed_on", "status"]
    list_filter = ["status", "framework"]
    inlines = [ItemRatingInline]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["original_name", "rating", "content_type", "size", "uploaded_at"]


class ProgressNoteInline(ReadOnlyAdmin, admin.TabularInline):
    model = ProgressNote
    extra = 0
    fields = ["created_at", "author_name", "via", "status_before", "status_after", "note"]
    readonly_fields = fields


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["title", "owner_name", "owner_agency", "status", "due_on", "review_on"]
    list_filter = ["status", "owner_agency"]
    search_fields = ["title", "owner_name", "owner_email"]
    inlines = [ProgressNoteInline]
