"""What every app's emails share. On the lowest floor so that each app's emails can use it."""

from django.template import Context
from django.template.loader import get_template


def subject_render(template_name: str, context: dict) -> str:
    """An email subject is plain text: rendered with autoescape off (so "O'Brien" stays "O'Brien",
    never "O&#x27;Brien") and folded onto one line."""
    text = get_template(template_name).template.render(Context(context, autoescape=False))
    return " ".join(text.split())
