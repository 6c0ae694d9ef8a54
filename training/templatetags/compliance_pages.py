"""Links and figures of the compliance pages: URLs that keep the page's filters, and percentages."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from ..selectors.compliance import floor_percent

register = template.Library()


@register.simple_tag
def people_url(filters, **overrides):
    """The people behind a figure: the page's filters, with some replaced (a value of "" removes
    one), e.g. {% people_url filters status="overdue" agency=agency.slug %}."""
    return _with_query(reverse("compliance:people"), filters, overrides)


@register.simple_tag
def export_url(kind, file_format, filters, **overrides):
    return _with_query(reverse("compliance:export", args=[kind, file_format]), filters, overrides)


@register.simple_tag
def dashboard_url(filters, **overrides):
    return _with_query(reverse("home"), filters, overrides)


def _with_query(url, filters, overrides):
    query = filters.query(**{name: (value if value != "" else None) for name, value in overrides.items()})
    return f"{url}?{urlencode(query)}" if query else url


@register.filter
def rate_text(summary):
    """The compliance rate as every page, export and email shows a rate: a whole percentage rounded
    down (training.selectors.compliance.floor_percent), so the headline is the heat map's figure."""
    percent = floor_percent(summary.valid, summary.required - summary.exempt)
    return "No figure" if percent is None else f"{percent}%"
