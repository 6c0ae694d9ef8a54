"""The contract every import kind keeps with the engine (imports.kinds): each registered kind is
run through the same steps, from its own upload template, as a new kind will be."""

import datetime

import pytest
from django.template.loader import get_template
from django.utils import timezone

from imports import kinds
from imports.models import ImportRecord
from imports.reading import open_sheet
from imports.services import import_commit, import_create, import_validate
from tests import factories
from training.catalogue import catalogue_install
from training.models import Completion
from workforce.models import StaffMember

KINDS = [kind.value for kind in kinds.all_kinds()]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def partnership(db):
    """The default catalogue, an agency, and the person every template's example row names."""
    catalogue_install(in_force_from=datetime.date(2024, 1, 1))
    agency = factories.AgencyFactory(slug="northshire-police")
    lead = factories.LeadFactory()
    staff_list = kinds.get("staff")
    _, data = staff_list.template("csv")
    record = import_create(
        kind="staff", actor=lead, agency=agency, upload=data, file_name="staff.csv", run_in_background=False
    )
    import_validate(import_record=record)
    import_commit(import_record=record, actor=lead)
    return agency, lead


def _register_scene(partnership):
    """A session of a classroom module that ended yesterday, with the person of every template's
    example row booked on it (the session register kind of courses)."""
    from courses.models import Booking, SessionPart, TrainingSession
    from training.models import Module

    agency, _lead = partnership
    person = StaffMember.objects.get(agency=agency, staff_number="E001234")
    module = Module.objects.exclude(delivery_mode="e_learning").order_by("code").first()
    ended = timezone.now() - datetime.timedelta(days=1)
    session = TrainingSession.objects.create(
        module=module,
        delivery_mode="classroom",
        venue="Hall",
        capacity=10,
        booked_count=1,
        booking_closes_at=ended - datetime.timedelta(days=3),
        starts_at=ended - datetime.timedelta(hours=6),
        ends_at=ended,
    )
    SessionPart.objects.create(session=session, starts_at=session.starts_at, ends_at=session.ends_at)
    Booking.objects.create(
        session=session, staff=person, module=module, status="booked", created_at=ended, booked_at=ended
    )
    return {"options": {"session": session.pk}}


# The things a kind's upload is for, beyond an agency: a kind needing more adds its scene here.
SCENES = {"register": _register_scene}


def _upload(kind, partnership, data, name, options=None):
    agency, lead = partnership
    return import_create(
        kind=kind.value,
        actor=lead,
        agency=agency if kind.has_agency else None,
        upload=data,
        file_name=name,
        run_in_background=False,
        **(options or {}),
    )


def _written():
    return StaffMember.objects.count(), StaffMember.history.count(), Completion.objects.count()


def test_both_kinds_this_app_owns_are_registered():
    assert {"staff", "completions"} <= set(KINDS)


@pytest.mark.parametrize("value", KINDS)
def test_a_kind_names_itself_and_has_its_templates(value):
    kind = kinds.get(value)
    assert kinds.by_slug(kind.slug) is kind
    assert kind.label and kind.noun and kind.plural_label and kind.none_yet and kind.headings
    assert any(column.required for column in kind.columns)
    assert (kind.value, kind.label) in kinds.kind_choices()
    for template in [*kind.templates.values(), *(section.template for section in kind.sections)]:
        get_template(template)
    assert [key for key, _label in kind.count_labels], "the figures above the preview"


@pytest.mark.parametrize("value", KINDS)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_is_read_back_with_every_column(db, value, file_format):
    kind = kinds.get(value)
    name, data = kind.template(file_format)
    assert name.endswith(f".{file_format}")
    sheet = open_sheet(data, name)
    assert sheet.headers == [column.header for column in kind.columns]
    assert len(list(sheet.rows)) == 1


@pytest.mark.parametrize("value", KINDS)
def test_the_template_imports_and_a_second_upload_changes_nothing(partnership, value):
    kind = kinds.get(value)
    _, data = kind.template("csv")
    options = SCENES[value](partnership) if value in SCENES else None
    if value != "staff":  # the partnership fixture has applied the staff template already
        first = _upload(kind, partnership, data, "first.csv", options)
        checked = import_validate(import_record=first)
        assert checked.ok, checked.errors
        assert import_commit(import_record=first, actor=partnership[1]).committed
    before = _written()
    again = _upload(kind, partnership, data, "again.csv", options)
    preview = import_validate(import_record=again)
    if kind.applies_once:  # a second upload is refused, and writes nothing
        again.refresh_from_db()
        assert again.status == ImportRecord.Status.INVALID and not preview.ok
        assert _written() == before
        return
    assert preview.ok and preview.rows == 1
    assert preview.fingerprint == import_validate(import_record=again).fingerprint
    outcome = import_commit(import_record=again, actor=partnership[1])
    assert outcome.committed and getattr(outcome, "new", 0) == 0
    assert _written() == before
    again.refresh_from_db()
    assert again.status == ImportRecord.Status.COMMITTED
    assert set(outcome.summary()) >= {"committed", "rows", "errors"}


@pytest.mark.parametrize("value", KINDS)
def test_an_empty_file_is_refused_and_writes_nothing(partnership, value):
    kind = kinds.get(value)
    options = SCENES[value](partnership) if value in SCENES else None
    before = _written()
    record = _upload(kind, partnership, b"", "empty.csv", options)
    preview = import_validate(import_record=record)
    record.refresh_from_db()
    assert record.status == ImportRecord.Status.INVALID
    assert [error["message"] for error in preview.errors] == ["The file is empty."]
    assert _written() == before
