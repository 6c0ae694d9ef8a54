"""Pages that apps higher up add to a staff member's own record (the staff navigation), through a
small registry this app owns: it never names them. An app registers its pages from its
AppConfig.ready() (courses adds "Book a place" and "Your bookings")."""

from dataclasses import dataclass

from django.urls import reverse

_PAGES = []


@dataclass(frozen=True)
class SelfPage:
    key: str  # the page's nav_staff_active
    label: str
    url_name: str  # takes the staff record's pk


def register_page(page):
    if all(each.key != page.key for each in _PAGES):
        _PAGES.append(page)
    return page


def pages(*, staff_pk, active=None):
    return [
        {
            "label": page.label,
            "href": reverse(page.url_name, kwargs={"pk": staff_pk}),
            "active": page.key == active,
        }
        for page in _PAGES
    ]
