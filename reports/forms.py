from django import forms

from workforce.models import Agency


class BoardReportForm(forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label="The whole partnership",
        to_field_name="slug",
        label="Agency",
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )
    on = forms.DateField(
        label="Date",
        required=False,
        help_text="The figures as they stood on this day, for example 31/03/2026. Blank: today.",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={"invalid": "Enter the date as day/month/year, for example 31/03/2026"},
    )
