from django import forms

from .rules import DIGEST_KINDS, Kind

DIGEST_HELP = {
    Kind.MANAGER_DIGEST: "Monday mornings: the people you line-manage whose HSB training needs attention.",
    Kind.AGENCY_DIGEST: (
        "On the 1st of each month: your agency's compliance, who is overdue and who cannot be reached."
    ),
}


class DigestPreferencesForm(forms.Form):
    """One checkbox per digest: ticked means "send it to me"."""

    def __init__(self, *args, receiving: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in sorted(DIGEST_KINDS):
            self.fields[kind] = forms.BooleanField(
                label=f"Send me the {Kind(kind).label.lower()}",
                help_text=DIGEST_HELP[kind],
                required=False,
                initial=receiving[kind],
            )

    def choices(self) -> dict[str, bool]:
        return {kind: bool(self.cleaned_data.get(kind)) for kind in DIGEST_KINDS}
