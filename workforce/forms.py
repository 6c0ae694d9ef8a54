"""Forms of the workforce pages, and the date input every form uses for a date a person types."""

import datetime

from django import forms
from django.core.exceptions import ValidationError

from .selectors import StaffStatus

DATE_PARTS = ("day", "month", "year")
DATE_HINT = "For example, 27 3 2026"


class GovukDateInput(forms.Widget):
    """GOV.UK's date input: three boxes, day, month and year, in a fieldset (the field's label is its
    legend). The day box carries the field's id, so an error summary link lands on it.

    A single value under the field's own name (`?since=1/3/2026`, an old bookmark, a test, an API-like
    post) is still read, as the plain date box read it."""

    template_name = "workforce/widgets/date_input.html"
    use_fieldset = True
    widths = {"day": 2, "month": 2, "year": 4}

    def value_from_datadict(self, data, files, name):
        if any(f"{name}_{part}" in data for part in DATE_PARTS):
            return [data.get(f"{name}_{part}", "") for part in DATE_PARTS]
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not any(f"{name}_{part}" in data for part in DATE_PARTS)

    def id_for_label(self, id_):
        return id_

    @staticmethod
    def _parts(value):
        if isinstance(value, datetime.date):
            return [str(value.day), str(value.month), str(value.year)]
        if isinstance(value, list | tuple):
            return [str(part or "") for part in value]
        if isinstance(value, str) and value.strip():
            try:
                day = forms.DateField().to_python(value)
            except ValidationError:
                return ["", "", ""]
            return GovukDateInput._parts(day)
        return ["", "", ""]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, None, attrs)
        attrs = context["widget"]["attrs"]
        invalid = attrs.get("aria-invalid") == "true"
        base_id = attrs.get("id") or f"id_{name}"
        context["widget"]["parts"] = [
            {
                "label": part.capitalize(),
                "name": f"{name}_{part}",
                "id": base_id if part == "day" else f"{base_id}_{part}",
                "value": shown,
                "width": self.widths[part],
                "invalid": invalid,
                "autocomplete": attrs.get("autocomplete", ""),
            }
            for part, shown in zip(DATE_PARTS, self._parts(value), strict=True)
        ]
        context["widget"]["group_id"] = f"{base_id}_group"
        return context


class GovukDateField(forms.DateField):
    """A date typed as day, month and year (GovukDateInput), checked with GOV.UK's messages: "Date
    of completion must include a month", "... must be a real date". A single typed date (4/3/2026,
    2026-03-04) is read as before."""

    widget = GovukDateInput

    def to_python(self, value):
        if not isinstance(value, list | tuple):
            return super().to_python(value)
        parts = dict(zip(DATE_PARTS, (str(part or "").strip() for part in value), strict=True))
        if not any(parts.values()):
            return None
        missing = [part for part in DATE_PARTS if not parts[part]]
        if missing:
            raise ValidationError(
                f"{self._name()} must include a {' and '.join(missing)}.", code="incomplete"
            )
        try:
            day, month, year = (int(parts[part]) for part in DATE_PARTS)
            if year < 1000:
                raise ValueError("two-digit year")
            return datetime.date(year, month, day)
        except ValueError:
            raise ValidationError(f"{self._name()} must be a real date.", code="invalid_date") from None

    def _name(self):
        label = str(self.label or "The date")
        return label[:1].upper() + label[1:]


def date_field(label, *, required=True, help_text=DATE_HINT, **kwargs):
    """A GovukDateField with the tracker's messages: "Enter the completion date." when empty."""
    return GovukDateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=GovukDateInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter the {label.lower()} as a real date, for example 4/3/2026.",
        },
        **kwargs,
    )


class StaffSearchForm(forms.Form):
    """The search box above an agency's staff list (a GET form: results can be bookmarked)."""

    q = forms.CharField(
        label="Search staff",
        required=False,
        max_length=200,
        help_text="Name, staff number or email address",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    status = forms.ChoiceField(choices=StaffStatus.choices, required=False, widget=forms.HiddenInput)

    def clean_status(self):
        return self.cleaned_data["status"] or StaffStatus.CURRENT

    def filters(self):
        """(q, status) to search with; an invalid query falls back to the whole current list."""
        if self.is_valid():
            return self.cleaned_data["q"].strip(), self.cleaned_data["status"]
        return "", StaffStatus.CURRENT


class SigninLinkRequestForm(forms.Form):
    """A staff member asks for a sign-in link to their own record (workforce.signin)."""

    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        help_text="The address your agency's HR team has for you, for example name@agency.example.org",
        error_messages={
            "required": "Enter your work email address.",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false", "class": "govuk-!-width-two-thirds"}
        ),
    )
