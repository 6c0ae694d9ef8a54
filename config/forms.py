"""The one way the tracker renders forms: GOV.UK Frontend markup for every Django form.

settings.FORM_RENDERER points at GovukFormRenderer, so with no per-form code:

- ``{{ form }}`` renders templates/forms/form.html: every field as a GOV.UK form group;
- ``{{ form.email.as_field_group }}`` renders one field (templates/forms/field.html): label (with
  "(optional)" when not required), hint from ``help_text``, error message, and the widget with
  GOV.UK classes, which GovukBoundField adds (``govuk-input``, ``govuk-input--error``...);
- base.html shows the error summary (templates/includes/form_errors.html) at the top of the page
  whenever the context's ``form`` has errors, and prefixes the page title with "Error: ". A page with
  a form under another name includes that template itself: ``{% include "includes/form_errors.html"
  with form=other_form %}``.

Write forms with ``<form method="post" novalidate>`` so that the server's messages, not the
browser's, are shown. Width classes (``govuk-input--width-10``) can still be set in widget attrs;
GovukBoundField adds to them rather than replacing them.

The admin keeps its own templates; it only sees the extra class names, which its CSS ignores.
"""

from django.forms import Field
from django.forms import widgets as forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting


def widget_kind(widget):
    """The GOV.UK component that draws a widget. Subclasses first: the order matters."""
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.HiddenInput | forms.MultipleHiddenInput):
        return "hidden"
    if isinstance(widget, forms.FileInput):
        return "file"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.MultiWidget):
        return "multi"
    if isinstance(widget, forms.Input):
        return "input"
    return "other"


# kind -> (class of the control, extra class when the field has an error)
CONTROL_CLASSES = {
    "input": ("govuk-input", "govuk-input--error"),
    "textarea": ("govuk-textarea", "govuk-textarea--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "file": ("govuk-file-upload", "govuk-file-upload--error"),
    "checkbox": ("govuk-checkboxes__input", None),
    "checkboxes": ("govuk-checkboxes__input", None),
    "radios": ("govuk-radios__input", None),
}


REQUIRED_MESSAGE = str(Field.default_error_messages["required"])
REQUIRED_VERBS = {"select": "Select", "radios": "Select", "checkboxes": "Select", "file": "Choose"}


def _lower_first(text):
    """ "New password" -> "new password", but "HR contact" stays as it is (an abbreviation)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


class GovukBoundField(BoundField):
    @property
    def govuk_kind(self):
        return widget_kind(self.field.widget)

    @property
    def govuk_optional(self):
        """Say "(optional)" after labels of optional text, choice and file fields (GOV.UK pattern);
        never after a search box or in a filter form (`is_filter = True`), optional by nature."""
        if self.field.required or getattr(self.field.widget, "input_type", None) == "search":
            return False
        if getattr(self.form, "is_filter", False):
            return False
        return self.govuk_kind in {"input", "textarea", "select", "file"}

    @property
    def govuk_errors(self):
        """The field's errors, with Django's bare "This field is required." saying which field,
        since the error summary lists it away from its label ("Enter new password confirmation")."""
        return [self._say_which_field(str(error)) for error in self.errors]

    def _say_which_field(self, message):
        if message != REQUIRED_MESSAGE or not self.label:
            return message
        kind = self.govuk_kind
        if kind == "checkbox":
            return f"Tick “{self.label}” to continue."
        return f"{REQUIRED_VERBS.get(kind, 'Enter')} {_lower_first(str(self.label))}."

    @property
    def govuk_error_target(self):
        """The id an error summary link jumps to: the first option of a group, nothing if hidden."""
        if self.is_hidden or not self.auto_id:
            return ""
        if self.govuk_kind in {"radios", "checkboxes"}:
            return f"{self.auto_id}_0"
        return self.id_for_label or self.auto_id

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        classes = CONTROL_CLASSES.get(widget_kind(widget or self.field.widget))
        if classes:
            control, error = classes
            existing = (widget or self.field.widget).attrs.get("class", "")
            wanted = [existing, attrs.get("class") or "", control, (error or "") if self.errors else ""]
            attrs["class"] = " ".join(dict.fromkeys(c for c in " ".join(wanted).split() if c))
        return attrs


class GovukFormRenderer(TemplatesSetting):
    """Looks templates up in the project's TEMPLATES, so templates/forms/ overrides Django's."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
    bound_field_class = GovukBoundField
