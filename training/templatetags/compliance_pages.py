"""Links and figures of the compliance pages: URLs that keep the page's filters, and percentages."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

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
    """The compliance rate to a tenth of a percent, rounded down (never a misleading 100%)."""
    denominator = summary.required - summary.exempt
    if not denominator:
        return "No figure"
    tenths = summary.valid * 1000 // denominator
    return f"{tenths // 10}.{tenths % 10}%"
