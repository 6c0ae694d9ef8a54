from django import forms

from .. import sources


class DigestPreferencesForm(forms.Form):
    """One checkbox per digest that concerns the address (`receiving`: kind -> on): ticked means
    "send it to me"."""

    def __init__(self, *args, receiving: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in receiving:
            spec = sources.reminder_kind(kind)
            self.fields[kind] = forms.BooleanField(
                label=f"Send me the {spec.label.lower()}",
                help_text=spec.description,
                required=False,
                initial=receiving[kind],
            )

    def choices(self) -> dict[str, bool]:
        return {kind: bool(self.cleaned_data.get(kind)) for kind in self.fields}
