"""Subject access: the zip holds every record of the person and nobody else's."""

import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit import actions
from audit.models import AuditEvent
from courses.models import Booking
from courses.services import booking_cancel, booking_create
from imports.models import ImportRecord
from notifications.models import DigestOptOut, ReminderItem, ReminderMessage
from training.models import Completion
from workforce.models import StaffMember

from .conftest import TODAY, message_with_item, upcoming_session

pytestmark = pytest.mark.django_db

OTHERS = (
    "Gwendolyn",
    "Oldfield",
    "gwen.previous",
    "G-100",
    "Cuthbert",
    "Edgeworth",
    "C-200",
    "Dorothea",
    "Lateleaver",
    "D-300",
    "CERT-Oldfield",
    "CERT-Edgeworth",
    "on leave",
)


@pytest.fixture
def person(scene):
    """Priya, with an import that changed her record and an email to her about someone she
    manages (its text names that person, so it must not be in her zip)."""
    priya = scene["current"]
    record = ImportRecord.objects.create(
        kind="staff", agency=priya.agency, original_name="March list.csv", sha256="1" * 64, status="committed"
    )
    latest = priya.history.order_by("-history_date").first()
    priya.history.filter(history_id=latest.history_id).update(
        history_change_reason=f"Staff list import #{record.pk}"
    )
    ImportRecord.objects.create(kind="staff", agency=priya.agency, original_name="Other.csv", sha256="2" * 64)
    message_with_item(staff=scene["gone"], module=scene["module"], day=TODAY, recipient=priya.email)
    DigestOptOut.objects.create(email=priya.email, kind="manager_digest")
    DigestOptOut.objects.create(email=scene["gone"].email, kind="manager_digest")
    session = upcoming_session(scene["module"])
    booking_cancel(
        booking=booking_create(session=session, staff=priya), reason="Priya is on a course that day"
    )
    booking_create(session=session, staff=priya)
    return priya


def unzip(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    files = {name: archive.read(name) for name in archive.namelist()}
    return files, json.loads(files["data.json"])


def everything(files):
    return "\n".join(
        [
            *files,
            *(
                body.decode("utf-8", "replace")
                for name, body in files.items()
                if name.endswith((".json", ".html"))
            ),
        ]
    )


class TestTheZip:
    def test_it_holds_every_record_of_the_person(self, client, lead, person, scene):
        client.force_login(lead)
        response = client.post(reverse("privacy:staff_subject_access", kwargs={"pk": person.pk}))
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert "subject-access-agency-a-p-400-" in response["Content-Disposition"]
        # One event for the download, the specific one (not also a generic "downloaded a file").
        events = list(AuditEvent.objects.values_list("action", "user_id", "target_id"))
        assert [e for e in events if e[0] != actions.SIGNIN] == [
            (actions.SUBJECT_ACCESS, lead.pk, str(person.pk))
        ]
        files, data = unzip(response.content)
        assert {"data.json", "index.html"} <= set(files)
        assert data["person"]["staff_number"] == "P-400" and data["person"]["email"] == person.email
        assert data["person"]["line_manager_email"] == person.line_manager_email
        assert len(data["history"]) == person.history.count()
        assert {c["id"] for c in data["completions"]} == set(
            Completion.objects.filter(staff=person).values_list("id", flat=True)
        )
        assert data["assignments"][0]["reason"] == "Priya asked for it"
        assert {r["id"] for r in data["reminders"]} == set(
            ReminderItem.objects.filter(staff=person).values_list("id", flat=True)
        )
        assert {m["id"] for m in data["emails_to_them"]} == set(
            ReminderMessage.objects.filter(recipient=person.email).values_list("id", flat=True)
        )
        assert [i["original_name"] for i in data["imports"]] == ["March list.csv"]
        assert [(b["status"], b["cancel_reason"]) for b in data["bookings"]] == [
            ("cancelled", "Priya is on a course that day"),
            ("booked", ""),
        ]
        assert data["bookings"][0]["session"]["module"].startswith("HSB-101")
        assert len(data["booking_history"]) == Booking.history.filter(staff_id=person.pk).count() >= 3
        assert [row["kind"] for row in data["digest_opt_outs"]] == ["manager_digest"]
        certificate = Completion.objects.get(staff=person)
        path = data["completions"][0]["certificate_in_zip"]
        assert files[path] == certificate.certificate.open("rb").read()
        page = files["index.html"].decode()
        assert "Everything held about Priya Stillhere" in page and "CERT-Stillhere" in page
        assert "Bookings on training sessions (2)" in page and "Priya is on a course that day" in page

    def test_it_holds_nobody_else(self, client, lead, person, scene):
        client.force_login(lead)
        files, _data = unzip(
            client.post(reverse("privacy:staff_subject_access", kwargs={"pk": person.pk})).content
        )
        text = everything(files).lower()
        for other in (*OTHERS, scene["gone"].email, scene["day_after"].email, scene["on_cutoff"].email):
            assert other.lower() not in text, other
        assert "Other.csv" not in text

    def test_the_command_writes_the_same_zip(self, person, tmp_path):
        output = tmp_path / "priya.zip"
        call_command(
            "subject_access", "--agency", "agency-a", "--staff-number", "P-400", "--output", str(output)
        )
        files, data = unzip(output.read_bytes())
        assert data["person"]["first_name"] == "Priya"
        event = AuditEvent.objects.get(action=actions.SUBJECT_ACCESS)
        assert (event.actor, event.target_id) == ("manage.py subject_access", str(person.pk))
        assert "gwendolyn" not in everything(files).lower()

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (["--agency", "nowhere", "--staff-number", "P-400"], "No agency has the slug"),
            (["--agency", "agency-a", "--staff-number", "X-1"], "has nobody with staff number"),
            (["--agency", "agency-b", "--staff-number", "P-400"], "has nobody with staff number"),
        ],
    )
    def test_the_command_refuses_an_unknown_person_and_writes_nothing(
        self, person, tmp_path, arguments, message
    ):
        output = tmp_path / "out.zip"
        with pytest.raises(CommandError, match=message) as raised:
            call_command("subject_access", *arguments, "--output", str(output))
        assert raised.value.returncode == 2
        assert not output.exists()

    def test_a_missing_folder_is_refused(self, person, tmp_path):
        with pytest.raises(CommandError, match="does not exist"):
            call_command(
                "subject_access",
                "--agency",
                "agency-a",
                "--staff-number",
                "P-400",
                "--output",
                str(tmp_path / "no" / "x.zip"),
            )


class TestAccess:
    @pytest.mark.parametrize("persona", ["hr_a", "hr_b", "outsider"])
    def test_anyone_but_a_lead_gets_404(self, client, request, persona, person):
        client.force_login(request.getfixturevalue(persona))
        assert (
            client.post(reverse("privacy:staff_subject_access", kwargs={"pk": person.pk})).status_code == 404
        )

    def test_a_get_is_not_a_download(self, client, lead, person):
        client.force_login(lead)
        assert (
            client.get(reverse("privacy:staff_subject_access", kwargs={"pk": person.pk})).status_code == 405
        )

    def test_an_unknown_person_is_404(self, client, lead, person):
        client.force_login(lead)
        missing = StaffMember.objects.order_by("-pk").first().pk + 1
        assert client.post(reverse("privacy:staff_subject_access", kwargs={"pk": missing})).status_code == 404
