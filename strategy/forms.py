from django import forms
from django.core.exceptions import ValidationError

from training.models import Module
from workforce.forms import date_field as forms_date_field
from workforce.models import Agency, JobRole, Tier

from .models import (
    Action,
    ActionStatus,
    AssessmentRound,
    Domain,
    Framework,
    Item,
    Rating,
    StrategySettings,
)

DATE_HINT = "For example, 27 3 2027"


def date_field(label, *, required=True, help_text=DATE_HINT):
    field = forms_date_field(label, required=required, help_text=help_text)
    field.error_messages["invalid"] = f"Enter the {label.lower()} as a real date, for example 4/3/2027."
    return field


class StrategySettingsForm(forms.ModelForm):
    class Meta:
        model = StrategySettings
        fields = [
            "lead_name",
            "lead_role",
            "lead_email",
            "sponsor_name",
            "sponsor_role",
            "sponsor_email",
            "round_interval_months",
        ]
        widgets = {"round_interval_months": forms.RadioSelect}
        help_texts = {
            "lead_name": "The person who champions HSB workforce development across the partnership.",
            "sponsor_name": "The senior leader who answers for the strategy at the partnership board.",
        }


class FrameworkForm(forms.ModelForm):
    class Meta:
        model = Framework
        fields = ["name", "description", "is_default"]


class DomainForm(forms.ModelForm):
    class Meta:
        model = Domain
        fields = ["name", "description", "position"]
        widgets = {"position": forms.NumberInput(attrs={"class": "govuk-input--width-3"})}


class ItemForm(forms.ModelForm):
    evidence_module = forms.ModelChoiceField(
        queryset=Module.objects.filter(active=True).order_by("code"),
        required=False,
        label="Evidence module",
        help_text="Optional: show this module's compliance rate beside the item.",
    )
    evidence_tier = forms.TypedChoiceField(
        choices=[("", "Any tier")] + list(Tier.choices),
        coerce=int,
        empty_value=None,
        required=False,
        label="Count staff in roles of tier",
    )
    evidence_job_role = forms.ModelChoiceField(
        queryset=JobRole.objects.order_by("name"),
        required=False,
        label="Or count staff in job role",
        empty_label="Any job role",
    )

    class Meta:
        model = Item
        fields = [
            "statement",
            "guidance",
            "position",
            "active",
            "evidence_module",
            "evidence_tier",
            "evidence_job_role",
        ]
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 2}),
            "guidance": forms.Textarea(attrs={"rows": 3}),
            "position": forms.NumberInput(attrs={"class": "govuk-input--width-3"}),
        }

    def __init__(self, *args, creating=False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["position"]
            del self.fields["active"]

    def clean(self):
        data = super().clean()
        if data.get("evidence_tier") is not None and data.get("evidence_job_role") is not None:
            self.add_error("evidence_job_role", "Choose a tier or a job role for the evidence, not both.")
        if data.get("evidence_module") is None and (
            data.get("evidence_tier") is not None or data.get("evidence_job_role") is not None
        ):
            self.add_error("evidence_module", "Choose the module whose compliance rate is the evidence.")
        return data


class RoundForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        help_text="For example, Baseline assessment 2026 or Annual review 2027.",
        error_messages={"required": "Enter a title for the round."},
    )
    framework = forms.ModelChoiceField(
        queryset=Framework.objects.all(),
        empty_label=None,
        error_messages={"required": "Choose the framework to assess against."},
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label="The whole partnership",
        label="Who the round assesses",
        help_text="Leave as the whole partnership unless one agency is assessing itself.",
    )
    assessed_on = date_field("Assessment date")


class ItemRatingForm(forms.Form):
    """The rating of one item: one of these per item on a domain's page, prefixed by the rating's
    id, so one POST saves the whole domain."""

    rating = forms.ChoiceField(
        choices=Rating.choices,
        required=False,
        widget=forms.RadioSelect,
        label="Rating",
    )
    evidence_note = forms.CharField(
        required=False,
        label="Evidence",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="What you looked at and what it showed.",
    )
    attachment = forms.FileField(
        required=False,
        label="Attach a file",
        help_text="PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx), up to 10 MB.",
    )

    def __init__(self, *, rating, **kwargs):
        self.rating_row = rating
        kwargs.setdefault("initial", {"rating": rating.rating, "evidence_note": rating.evidence_note})
        super().__init__(prefix=f"r{rating.pk}", **kwargs)


class ActionForm(forms.ModelForm):
    items = forms.ModelMultipleChoiceField(
        queryset=Item.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Checklist items this action answers",
        error_messages={"required": "Choose at least one checklist item that this action answers."},
    )
    due_on = date_field("Due date")
    review_on = date_field(
        "Review date",
        required=False,
        help_text="Leave empty for six months from today. "
        "The owner is reminded 14 days before the review and on the day.",
    )

    class Meta:
        model = Action
        fields = [
            "title",
            "description",
            "items",
            "assessment_round",
            "owner_name",
            "owner_email",
            "owner_agency",
            "due_on",
            "review_on",
            "status",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "status": forms.RadioSelect}
        error_messages = {
            "title": {"required": "Enter what the action is."},
            "owner_name": {"required": "Enter the name of the person who owns the action."},
            "owner_email": {
                "required": "Enter the owner's email address: their review reminders go there.",
                "invalid": "Enter the owner's email address in the correct format, like name@example.org",
            },
        }

    def __init__(self, *args, today, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.editing = editing
        self.fields["items"].queryset = Item.objects.filter(active=True).select_related("domain__framework")
        self.fields["owner_agency"].queryset = Agency.objects.order_by("name")
        self.fields["owner_agency"].empty_label = "No agency (partnership-wide)"
        self.fields["owner_agency"].label = "Owner's agency"
        self.fields["assessment_round"].queryset = AssessmentRound.objects.order_by("-assessed_on")
        self.fields["assessment_round"].empty_label = "None"
        self.fields["assessment_round"].label = "Raised by assessment round"
        if editing:
            # The status changes through progress notes; the round that raised it stays as it was.
            del self.fields["status"]
            del self.fields["assessment_round"]
            self.fields["review_on"].required = True
            self.fields["review_on"].help_text = DATE_HINT

    def clean_owner_email(self):
        return self.cleaned_data["owner_email"].strip().lower()

    def clean_review_on(self):
        review_on = self.cleaned_data["review_on"]
        changed = not self.editing or review_on != self.instance.review_on
        if review_on is not None and changed and review_on <= self.today:
            raise ValidationError("The review date must be in the future.")
        return review_on

    def item_groups(self):
        """The item checkboxes grouped by framework and domain, for the template."""
        selected = {
            str(value) for value in (self.data.getlist("items") if self.is_bound else self._initial_items())
        }
        groups = {}
        for item in self.fields["items"].queryset.order_by(
            "domain__framework__name", "domain__position", "position"
        ):
            key = (item.domain.framework.name, item.domain.name)
            groups.setdefault(key, []).append({"item": item, "checked": str(item.pk) in selected})
        return [{"framework": f, "domain": d, "items": items} for (f, d), items in groups.items()]

    def _initial_items(self):
        initial = self.initial.get("items") or []
        return [getattr(value, "pk", value) for value in initial]


class ProgressForm(forms.Form):
    status = forms.ChoiceField(
        choices=ActionStatus.choices,
        widget=forms.RadioSelect,
        label="Status now",
        error_messages={"required": "Choose the action's status."},
    )
    note = forms.CharField(
        label="Progress note",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="What has happened since the last update, and what happens next.",
        error_messages={"required": "Enter a progress note: what has happened since the last update."},
    )

    def __init__(self, *args, lead=False, **kwargs):
        super().__init__(*args, **kwargs)
        if lead:
            self.fields["next_review_on"] = date_field(
                "Next review date",
                required=False,
                help_text="Optional. Left empty, an update from 14 days before the review date counts "
                "as the review and the next one is six months on.",
            )


class OwnerUpdateForm(ProgressForm):
    author_name = forms.CharField(
        label="Your name",
        max_length=200,
        error_messages={"required": "Enter your name."},
    )


class ActionFilterForm(forms.Form):
    is_filter = True  # no "(optional)" after every label (config.forms)

    owner = forms.CharField(label="Owner", required=False, max_length=200, help_text="Name or email address")
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, empty_label="All agencies"
    )
    status = forms.ChoiceField(choices=[("", "Any status")] + list(ActionStatus.choices), required=False)
    overdue_review = forms.BooleanField(label="Only actions overdue for review", required=False)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies

    def filters(self):
        from .selectors import ActionFilters

        if not self.is_valid():
            return ActionFilters()
        data = self.cleaned_data
        return ActionFilters(
            owner=data["owner"].strip(),
            agency=data["agency"].pk if data["agency"] else None,
            status=data["status"],
            overdue_review=data["overdue_review"],
        )
