from django import template

from .. import selfservice

register = template.Library()


@register.simple_tag
def staff_self_pages(staff, active=None):
    """The pages other apps add to a staff member's own record (workforce.selfservice)."""
    if staff is None or not getattr(staff, "pk", None):
        return []
    return selfservice.pages(staff_pk=staff.pk, active=active)
