from django import forms

from .services import REASON_MAX


class EraseForm(forms.Form):
    reason = forms.CharField(
        label="Why this person's data is being erased",
        max_length=REASON_MAX,
        help_text="For example: asked by email to the partnership lead on 3 December 2026. Kept with "
        "the record of the erasure, so do not write their name or other details about them.",
        error_messages={"required": "Enter the reason for erasing this person's personal data."},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PrivacyNoticeForm(forms.Form):
    text = forms.CharField(
        label="Text of the privacy notice",
        max_length=20_000,
        help_text="Plain text. Leave a blank line between paragraphs. Start a line with '## ' for a "
        "heading and with '- ' for a bullet point. Nothing else is formatted.",
        error_messages={"required": "Enter the text of the privacy notice."},
        widget=forms.Textarea(attrs={"rows": 24}),
    )
