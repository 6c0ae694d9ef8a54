"""Forms of the spreadsheet import pages (imports.views): upload a file, confirm a preview.

The file itself is checked by the import services in the background; these forms only refuse what
can be told at once (no file, an empty file, a file over the size limit) and the person's choices.
"""

from django import forms
from django.core.exceptions import ValidationError

from .reading import MAX_DATA_ROWS, MAX_FILE_BYTES

ACCEPTED_TYPES = (
    ".xlsx,.xls,.ods,.csv,application/vnd.ms-excel,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
)
MAX_MEGABYTES = MAX_FILE_BYTES // (1024 * 1024)


def limits_text():
    return f"XLSX, XLS, ODS or CSV, up to {MAX_MEGABYTES} MB and {MAX_DATA_ROWS:,} rows."


class SpreadsheetField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {
                "required": "Choose the spreadsheet to upload.",
                "empty": "The selected file is empty. Choose the spreadsheet again, or a different one.",
                "invalid": "The selected file could not be uploaded. Try again.",
                "missing": "The selected file could not be uploaded. Try again.",
            },
        )
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is not None and upload.size > MAX_FILE_BYTES:
            size = upload.size / (1024 * 1024)
            raise ValidationError(
                f"The selected file must be smaller than {MAX_MEGABYTES} MB (it is {size:.1f} MB). "
                "Remove columns we do not use, or split it into two files.",
                code="too_big",
            )
        return upload


class StaffUploadForm(forms.Form):
    """A staff list for one agency. `agencies` (a queryset) are those the person may upload into;
    with only one there is nothing to choose, and the field is left out."""

    agency = forms.ModelChoiceField(
        queryset=None,
        label="Agency",
        empty_label="Choose an agency",
        help_text="The agency whose staff the file lists.",
        error_messages={
            "required": "Choose the agency whose staff list this is.",
            "invalid_choice": "Choose one of the agencies in the list.",
        },
    )
    file = SpreadsheetField(label="Staff list spreadsheet", help_text=limits_text())
    complete_list = forms.BooleanField(
        label="This file is our complete staff list",
        required=False,
        help_text=(
            "Tick this if the file lists everyone who works for the agency today. Anyone on the "
            "tracker who is not in the file will be recorded as having left on the day you confirm. "
            "You will see who before anything changes. Leave it unticked for a file of new starters "
            "or changes only."
        ),
    )

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(agencies)
        self.fixed_agency = choices[0] if len(choices) == 1 else None
        if self.fixed_agency is not None:
            del self.fields["agency"]
            help_text = self.fields["complete_list"].help_text
            self.fields["complete_list"].help_text = help_text.replace(
                "works for the agency", f"works for {self.fixed_agency.name}"
            )
        else:
            self.fields["agency"].queryset = agencies

    def chosen_agency(self):
        return self.fixed_agency or self.cleaned_data["agency"]

    def import_options(self):
        """What the engine's import_create takes from this form besides the file."""
        return {"agency": self.chosen_agency(), "complete_list": self.cleaned_data["complete_list"]}


class CompletionUploadForm(forms.Form):
    file = SpreadsheetField(label="Completion file", help_text=limits_text())

    def import_options(self):
        return {}


def percent_text(share):
    """18% rather than 18.4%, but never "10%" for a share just above the 10% threshold."""
    text = f"{share:.0%}"
    return f"{share:.1%}" if text == "10%" and share > 0.10 else text


class ConfirmImportForm(forms.Form):
    """Confirm a checked file. `fingerprint` pins the preview the person read: if the preview
    changed since (a refused commit stores a new one), they must read it again."""

    fingerprint = forms.CharField(widget=forms.HiddenInput, required=False)
    confirm_mass_leavers = forms.BooleanField(required=False)

    def __init__(self, *args, preview, agency_name="", **kwargs):
        kwargs.setdefault("initial", {"fingerprint": preview.fingerprint})
        super().__init__(*args, **kwargs)
        self.preview = preview
        if getattr(preview, "needs_mass_leaver_confirmation", False):
            one = preview.leavers == 1
            people = f"{preview.leavers:,} {'person' if one else 'people'}"
            statement = f"{people} ({percent_text(preview.leaver_share)}) {'has' if one else 'have'}"
            field = self.fields["confirm_mass_leavers"]
            field.required = True
            field.label = f"I confirm that {statement} left {agency_name}"
            field.help_text = (
                f"That is more than 1 in 10 of the agency's {preview.current_staff:,} current staff. "
                "If the file is not everyone, upload it again without ticking “complete staff list”."
            )
            field.error_messages["required"] = (
                f"Tick the box to confirm that {statement} left {agency_name}, or upload a different file."
            )
        else:
            del self.fields["confirm_mass_leavers"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("fingerprint") != self.preview.fingerprint:
            raise ValidationError(
                "The preview changed after you opened this page. Check the changes below and confirm again.",
                code="stale",
            )
        return cleaned

    def confirmation(self):
        """What the person confirmed, as the engine's import_request_commit takes it."""
        if "confirm_mass_leavers" not in self.fields:
            return {}
        return {"confirm_mass_leavers": bool(self.cleaned_data.get("confirm_mass_leavers"))}


class JobTitleMappingForm(forms.Form):
    """One job role choice per job title: `titles` is [(title, number of people, suggestions)].
    A title left at "Choose a job role" stays unmapped."""

    def __init__(self, *args, titles, job_roles, initial_roles=None, allow_remove=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.titles = []
        choices = [("", "Choose a job role")] + [(str(role.pk), role.name) for role in job_roles]
        if allow_remove:
            choices.insert(1, ("remove", "Remove this mapping"))
        self.roles = {str(role.pk): role for role in job_roles}
        for index, (title, people, suggestions) in enumerate(titles):
            name = f"title_{index}"
            hint = f"{people:,} {'person' if people == 1 else 'people'}" if people is not None else ""
            if suggestions:
                hint += ("; " if hint else "") + "closest: " + ", ".join(suggestions)
            self.fields[name] = forms.ChoiceField(
                label=title, choices=choices, required=False, help_text=hint
            )
            if initial_roles and title in initial_roles:
                self.initial[name] = str(initial_roles[title])
            self.titles.append((name, title))

    def mappings(self):
        """{title: JobRole or None (remove)} for the titles given a choice."""
        chosen = {}
        for name, title in self.titles:
            value = self.cleaned_data.get(name)
            if value == "remove":
                chosen[title] = None
            elif value:
                chosen[title] = self.roles[value]
        return chosen
