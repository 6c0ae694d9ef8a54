"""A session's register uploaded as a spreadsheet (courses.register_kind, an import kind): the
preview, then confirming through register_confirm; every refusal row by row with nothing
written; the lead or the session's trainer only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Booking, TrainingSession
from imports import tasks
from imports.models import ImportRecord
from imports.services import import_commit, import_create, import_validate
from tests import factories
from tests.imports.spreadsheet_files import csv_bytes, xlsx_bytes
from tests.training.records_fixtures import login
from training.models import Completion

pytestmark = pytest.mark.django_db

HEADERS = ["Email", "Staff number", "Agency", "Attendance"]
Status = ImportRecord.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def walk_in(agency_a, role):
    return factories.StaffMemberFactory(
        agency=agency_a, job_role=role, first_name="Wanda", last_name="Walker", staff_number="W77"
    )


def good_rows(people_a, person_b, walk_in):
    return [
        [people_a[0].email, "", "", "Attended"],
        ["", people_a[1].staff_number, "", "no-show"],
        [person_b.email, "", "", "yes"],
        ["", walk_in.staff_number, walk_in.agency.name, "Attended"],
    ]


def checked(session, rows, *, actor, xlsx=False):
    content = xlsx_bytes(rows, headers=HEADERS) if xlsx else csv_bytes(rows, headers=HEADERS)
    record = import_create(
        kind="register",
        actor=actor,
        upload=content,
        file_name="register.xlsx" if xlsx else "register.csv",
        options={"session": session.pk},
        run_in_background=False,
    )
    preview = import_validate(import_record=record)
    record.refresh_from_db()
    return record, preview


def written():
    return (
        Completion.objects.count(),
        sorted(Booking.objects.values_list("status", flat=True)),
        TrainingSession.objects.filter(register_confirmed_at__isnull=False).count(),
    )


def messages(preview):
    return [(error["row"], error["message"]) for error in preview.errors]


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
def test_the_preview_then_confirming_records_the_register(delivered, people_a, person_b, walk_in, lead, xlsx):
    record, preview = checked(delivered, good_rows(people_a, person_b, walk_in), actor=lead, xlsx=xlsx)
    assert preview.ok, preview.errors
    assert (preview.attended, preview.no_shows, preview.walk_ins, preview.new) == (2, 1, 1, 3)
    assert [row["name"] for row in preview.walk_in_rows] == [walk_in.full_name]
    assert Completion.objects.count() == 0, "the preview writes nothing"

    outcome = import_commit(import_record=record, actor=lead)

    assert outcome.committed
    delivered.refresh_from_db()
    assert delivered.status == "delivered" and delivered.register_confirmed_by == lead
    statuses = {b.staff_id: (b.status, b.walk_in) for b in delivered.bookings.all()}
    assert statuses == {
        people_a[0].pk: ("attended", False),
        people_a[1].pk: ("no_show", False),
        person_b.pk: ("attended", False),
        walk_in.pk: ("attended", True),
    }
    completions = Completion.objects.filter(source="register")
    assert sorted(completions.values_list("staff_id", flat=True)) == sorted(
        [people_a[0].pk, person_b.pk, walk_in.pk]
    )
    assert set(completions.values_list("completed_on", flat=True)) == {delivered.ends_at.date()}


def refused(session, rows, *, actor):
    before = written()
    record, preview = checked(session, rows, actor=actor)
    assert record.status == Status.INVALID
    assert written() == before
    return messages(preview)


def test_an_unknown_person_and_a_bad_value_are_refused_by_row(delivered, people_a, person_b, walk_in, lead):
    rows = good_rows(people_a, person_b, walk_in)
    rows[2] = ["nobody@example.org", "", "", "Attended"]
    rows[3] = ["", walk_in.staff_number, walk_in.agency.name, "maybe"]
    found = refused(delivered, rows, actor=lead)
    assert (4, "No member of staff has this email.") in found
    assert any(row == 5 and "Write Attended or No-show." in message for row, message in found)
    assert any(row is None and "Mark everyone booked: 1 booked" in message for row, message in found)


def test_a_walk_in_booked_on_another_session_is_refused(
    delivered, people_a, person_b, walk_in, lead, make_session
):
    other = make_session(days=10)
    Booking.objects.create(
        session=other, staff=walk_in, module=other.module, status="booked", created_at=other.created_at
    )
    found = refused(delivered, good_rows(people_a, person_b, walk_in), actor=lead)
    assert found == [
        (
            5,
            f"{walk_in.full_name} is booked on another session of HSB-202, on {other.starts_at.day} "
            f"{other.starts_at:%B %Y}. Mark them on that session's register, or cancel that booking first.",
        )
    ]


def test_a_session_not_yet_held_is_refused(make_session, people_a, person_b, walk_in, lead):
    future = make_session(days=5)
    found = refused(future, [[people_a[0].email, "", "", "Attended"]], actor=lead)
    assert found[0] == (
        None,
        f"HSB-202 on {future.starts_at.day} {future.starts_at:%B %Y} has not been held yet: "
        "upload its register once it has started.",
    )


def test_a_register_confirmed_already_is_refused(delivered, people_a, person_b, walk_in, lead):
    record, _ = checked(delivered, good_rows(people_a, person_b, walk_in), actor=lead)
    import_commit(import_record=record, actor=lead)
    found = refused(delivered, good_rows(people_a, person_b, walk_in), actor=lead)
    assert len(found) == 1 and "was confirmed on" in found[0][1] and "it is confirmed once" in found[0][1]


def test_a_no_show_not_booked_and_a_person_twice_are_refused(delivered, people_a, person_b, walk_in, lead):
    rows = good_rows(people_a, person_b, walk_in)
    rows[3][3] = "No-show"
    rows.append([person_b.email, "", "", "Attended"])
    found = refused(delivered, rows, actor=lead)
    assert (5, f"{walk_in.full_name} was not booked on this session, so cannot be a no-show.") in found
    assert (6, f"{person_b.full_name} is on the register twice (rows 4 and 6).") in found


def test_a_leaver_before_the_session_is_refused_by_row(delivered, people_a, person_b, walk_in, lead):
    person_b.left_on = delivered.starts_at.date() - __import__("datetime").timedelta(days=5)
    person_b.save()
    found = refused(delivered, good_rows(people_a, person_b, walk_in), actor=lead)
    assert [row for row, _m in found] == [4] and "left on" in found[0][1]


def test_a_file_without_email_or_staff_number_is_refused(delivered, lead):
    before = written()
    record = import_create(
        kind="register",
        actor=lead,
        upload=b"Name,Attendance\nAsha,Attended\n",
        file_name="r.csv",
        options={"session": delivered.pk},
        run_in_background=False,
    )
    preview = import_validate(import_record=record)
    assert 'The register needs an "Email" column or a "Staff number" column' in preview.errors[0]["message"]
    assert written() == before


def test_a_register_changed_after_the_preview_writes_nothing(
    delivered, people_a, person_b, walk_in, lead, make_session
):
    """The lead confirmed the register on its page meanwhile: the upload's confirmation is refused."""
    from courses import services

    record, _ = checked(delivered, good_rows(people_a, person_b, walk_in), actor=lead)
    booked = [b.pk for b in delivered.bookings.all()]
    services.register_confirm(session=delivered, attended=booked, no_show=[], actor=lead)
    before = written()
    with pytest.raises(Exception, match="changed after the preview"):
        import_commit(import_record=record, actor=lead)
    assert written() == before


# --- access ------------------------------------------------------------------------------------


def upload(client, session, rows, capture):
    data = {"session": session.pk, "file": SimpleUploadedFile("r.csv", csv_bytes(rows, headers=HEADERS))}
    with capture(execute=False):
        return client.post(reverse("imports:upload", args=["registers"]), data)


def test_the_trainer_uploads_and_confirms_on_the_pages(
    client, delivered, people_a, person_b, walk_in, django_capture_on_commit_callbacks, monkeypatch
):
    trainer = factories.UserFactory(username="tara", email="tara@example.org")
    login(client, trainer)
    page = client.get(reverse("imports:upload", args=["registers"]) + f"?session={delivered.pk}")
    assert page.status_code == 200
    assert f'<option value="{delivered.pk}" selected>' in page.content.decode()
    queued = []
    monkeypatch.setattr(tasks.import_validate_task, "delay", lambda pk: queued.append(pk))
    monkeypatch.setattr(tasks.import_commit_task, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:upload", args=["registers"]),
            {
                "session": delivered.pk,
                "file": SimpleUploadedFile(
                    "r.csv", csv_bytes(good_rows(people_a, person_b, walk_in), headers=HEADERS)
                ),
            },
        )
    record = ImportRecord.objects.get()
    assert response.status_code == 302 and queued == [record.pk]
    tasks.import_validate_task.run(record.pk)
    status = client.get(reverse("imports:status", kwargs={"pk": record.pk})).content.decode()
    assert "Check the register, then confirm" in status and walk_in.full_name in status
    record.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:confirm", kwargs={"pk": record.pk}),
            {"fingerprint": record.preview["fingerprint"]},
        )
    tasks.import_commit_task.run(record.pk)
    record.refresh_from_db()
    assert record.status == Status.COMMITTED and record.confirmed_by == trainer
    assert Completion.objects.filter(source="register").count() == 3


def test_another_trainer_hr_and_outsiders_cannot_upload_or_see_it(
    client,
    delivered,
    people_a,
    person_b,
    walk_in,
    lead,
    hr_a,
    outsider,
    make_session,
    django_capture_on_commit_callbacks,
):
    record, _ = checked(delivered, good_rows(people_a, person_b, walk_in), actor=lead)
    elsewhere = make_session(days=3)
    elsewhere.trainers.all().delete()
    elsewhere.trainers.create(name="Omar", email="omar@example.org")
    omar = factories.UserFactory(username="omar", email="omar@example.org")
    login(client, omar)
    page = upload(
        client, delivered, good_rows(people_a, person_b, walk_in), django_capture_on_commit_callbacks
    )
    assert page.status_code == 200 and "Choose one of the sessions in the list." in page.content.decode()
    assert ImportRecord.objects.count() == 1
    assert client.get(reverse("imports:status", kwargs={"pk": record.pk})).status_code == 404
    for user in (hr_a, outsider):
        client.logout()
        login(client, user)
        assert client.get(reverse("imports:upload", args=["registers"])).status_code == 404
        assert client.get(reverse("imports:status", kwargs={"pk": record.pk})).status_code == 404
    from django.http import Http404

    with pytest.raises(Http404):
        import_create(
            kind="register",
            actor=omar,
            upload=b"x",
            file_name="r.csv",
            options={"session": delivered.pk},
            run_in_background=False,
        )
    assert ImportRecord.objects.count() == 1


def test_the_status_page_lists_each_refused_row_and_offers_no_confirmation(
    client, delivered, people_a, person_b, walk_in, lead
):
    rows = good_rows(people_a, person_b, walk_in)
    rows[0][3] = "perhaps"
    before = written()
    record, _ = checked(delivered, rows, actor=lead)
    page = login(client, lead).get(reverse("imports:status", kwargs={"pk": record.pk})).content.decode()
    assert "Write Attended or No-show." in page and "perhaps" in page
    assert "Mark everyone booked: 1 booked on this session is not in the file" in page
    assert "Confirm the register" not in page
    confirm = client.post(reverse("imports:confirm", kwargs={"pk": record.pk}), {"fingerprint": ""})
    assert confirm.status_code == 302
    assert written() == before
