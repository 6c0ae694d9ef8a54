"""Reads of import records: who may see which, and an agency's or the partnership's history.

Scoped through workforce.access, the one access module: leads see every import; Agency HR the
imports of their own agencies (a kind without an agency, such as completion files, is a lead's
alone). Another agency's import is a 404.
"""

from workforce import access

from .models import ImportRecord


def visible_imports(user):
    return access.scope(user, ImportRecord.objects.all(), agency="agency")


def get_visible_import_or_404(user, **lookup):
    return access.get_scoped_or_404(
        user, ImportRecord.objects.select_related("agency", "uploaded_by"), agency="agency", **lookup
    )


def import_history(*, user, agency=None, kind=ImportRecord.Kind.STAFF):
    records = visible_imports(user).filter(kind=kind).select_related("agency", "uploaded_by")
    if agency is not None:
        records = records.filter(agency=agency)
    return records.order_by("-created_at", "-id")
