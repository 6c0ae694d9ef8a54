"""Reads of import records: who may see which, and an agency's or the partnership's history.

Scoped through workforce.access, the one access module: leads see every import; Agency HR the
imports of their own agencies (a kind without an agency, such as completion files, is a lead's
alone). A kind may let others see its own records too (ImportKind.visible_q: a session register
to the session's trainers). Another agency's import is a 404.
"""

from functools import reduce
from operator import or_

from django.db.models import Q
from django.shortcuts import get_object_or_404

from workforce import access

from . import kinds
from .models import ImportRecord


def visible_imports(user):
    """The agency's imports through workforce.access, and any a kind lets the user see besides
    (ImportKind.visible_q: a session's register to its trainers)."""
    scoped = access.scope(user, ImportRecord.objects.all(), agency="agency")
    extra = [q for kind in kinds.all_kinds() if (q := kind.visible_q(user)) is not None]
    if not extra:
        return scoped
    return ImportRecord.objects.filter(Q(pk__in=scoped.values("pk")) | reduce(or_, extra))


def get_visible_import_or_404(user, **lookup):
    return get_object_or_404(visible_imports(user).select_related("agency", "uploaded_by"), **lookup)


def import_history(*, user, agency=None, kind=ImportRecord.Kind.STAFF):
    records = visible_imports(user).filter(kind=kind).select_related("agency", "uploaded_by")
    if agency is not None:
        records = records.filter(agency=agency)
    return records.order_by("-created_at", "-id")
