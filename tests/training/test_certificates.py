"""Self-declared completions with a certificate: the type judged from the content, the size limit,
storage under a random name that no URL serves, and downloads only for the lead, Agency HR of the
person's agency and the person themselves."""

import datetime

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from tests import factories
from tests.training.records_fixtures import (
    EXE_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    login,
    sign_in,
    stored_files,
    upload,
)
from training import certificates
from training.compliance import Status
from training.models import Completion, CompletionSource, Verification
from training.selectors.records import person_pairs
from training.services import completion_record

pytestmark = pytest.mark.django_db


def declare(client, staff, module, file, completed_on="1/3/2026"):
    return client.post(
        reverse("records:my_declare", kwargs={"pk": staff.pk}),
        {"module": module.pk, "completed_on": completed_on, "certificate": file, "notes": "Run by the NSPCC"},
    )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PDF_BYTES, certificates.PDF),
        (PNG_BYTES, certificates.PNG),
        (JPEG_BYTES, certificates.JPEG),
        (EXE_BYTES, None),
        (b"<html><script>alert(1)</script>", None),
        (b"PDF-1.4 without the percent sign", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_first_bytes(head, expected):
    assert certificates.sniff(head) is expected


class TestDeclaring:
    def test_the_declaration_form_offers_required_modules_first(self, client, staff_a, required):
        factories.ModuleFactory(code="HSB-999", title="Retired", active=False)
        factories.ModuleFactory(code="HSB-203", title="Technology-assisted HSB")
        sign_in(client, staff_a)
        page = client.get(reverse("records:my_declare", kwargs={"pk": staff_a.pk}))
        assert page.status_code == 200
        text = page.text
        assert '<optgroup label="Required of you">' in text
        assert text.index("HSB-101") < text.index('<optgroup label="Other modules">') < text.index("HSB-203")
        assert "HSB-999" not in text, "retired modules are not offered"

    def test_a_pdf_waits_for_verification_and_does_not_count(self, client, staff_a, required, media):
        sign_in(client, staff_a)
        response = declare(client, staff_a, required, upload("My Certificate (final).pdf"))
        assert response.status_code == 302
        assert response.url == reverse("records:my_record", kwargs={"pk": staff_a.pk})
        completion = Completion.objects.get()
        assert completion.source == CompletionSource.SELF_DECLARED
        assert completion.verification == Verification.PENDING
        assert completion.recorded_by is None
        assert completion.notes == "Run by the NSPCC"
        [stored] = stored_files(media)
        assert stored.relative_to(media).parts[0] == "certificates"
        assert stored.suffix == ".pdf"
        assert "Certificate" not in stored.name and len(stored.stem) == 32, "a random name, not theirs"
        assert stored.read_bytes() == PDF_BYTES
        [pair] = person_pairs(staff=staff_a, today=timezone.localdate())
        assert pair.status is Status.OVERDUE, "an unverified declaration does not count"
        record = client.get(response.url)
        assert "Waiting for verification" in record.text
        assert "has been sent for checking" in record.text

    def test_png_content_with_a_pdf_name_is_kept_as_the_png_it_is(self, client, staff_a, required, media):
        sign_in(client, staff_a)
        assert declare(client, staff_a, required, upload("scan.pdf", PNG_BYTES)).status_code == 302
        [stored] = stored_files(media)
        assert stored.suffix == ".png"
        response = client.get(reverse("records:certificate", kwargs={"pk": Completion.objects.get().pk}))
        assert response["Content-Type"] == "image/png"

    def test_a_jpeg_photo_is_accepted(self, client, staff_a, required, media):
        sign_in(client, staff_a)
        assert (
            declare(client, staff_a, required, upload("photo.JPG", JPEG_BYTES, "image/jpeg")).status_code
            == 302
        )
        assert stored_files(media)[0].suffix == ".jpg"

    def test_a_program_renamed_pdf_is_refused_and_nothing_is_written(self, client, staff_a, required, media):
        sign_in(client, staff_a)
        response = declare(client, staff_a, required, upload("certificate.pdf", EXE_BYTES))
        assert response.status_code == 200
        assert "The certificate must be a PDF, PNG or JPEG file" in response.text
        assert "whatever its name says" in response.text
        assert "There is a problem" in response.text
        assert not Completion.objects.exists()
        assert stored_files(media) == []

    def test_a_file_over_10_mb_is_refused_and_nothing_is_written(self, client, staff_a, required, media):
        sign_in(client, staff_a)
        big = PDF_BYTES + b"0" * (certificates.MAX_BYTES + 1 - len(PDF_BYTES))
        response = declare(client, staff_a, required, upload("big.pdf", big))
        assert response.status_code == 200
        assert "The certificate must be 10 MB or smaller" in response.text
        assert not Completion.objects.exists()
        assert stored_files(media) == []

    def test_an_empty_file_and_a_missing_file_are_refused(self, client, staff_a, required, media):
        sign_in(client, staff_a)
        assert "The file you chose is empty" in declare(client, staff_a, required, upload("e.pdf", b"")).text
        missing = client.post(
            reverse("records:my_declare", kwargs={"pk": staff_a.pk}),
            {"module": required.pk, "completed_on": "1/3/2026"},
        )
        assert "Choose your certificate file" in missing.text
        assert not Completion.objects.exists()
        assert stored_files(media) == []

    def test_a_future_date_or_a_retired_module_is_refused(self, client, staff_a, required, media):
        retired = factories.ModuleFactory(code="HSB-999", active=False)
        sign_in(client, staff_a)
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        future = declare(client, staff_a, required, upload(), completed_on=f"{tomorrow:%d/%m/%Y}")
        assert "The completion date cannot be in the future" in future.text
        wrong = declare(client, staff_a, retired, upload())
        assert "Select the training module you completed" in wrong.text
        assert not Completion.objects.exists()
        assert stored_files(media) == []

    def test_a_second_declaration_for_the_same_day_is_refused_without_a_file(
        self, client, staff_a, required, media
    ):
        sign_in(client, staff_a)
        declare(client, staff_a, required, upload())
        again = declare(client, staff_a, required, upload("again.pdf"))
        assert "is already recorded for" in again.text
        assert Completion.objects.count() == 1
        assert len(stored_files(media)) == 1

    def test_the_service_refuses_bad_content_too(self, staff_a, module, media):
        with pytest.raises(Exception) as error:
            completion_record(
                staff=staff_a,
                module=module,
                completed_on=datetime.date(2026, 1, 5),
                source=CompletionSource.SELF_DECLARED,
                certificate=upload("x.pdf", EXE_BYTES),
                today=datetime.date(2026, 3, 1),
            )
        assert "must be a PDF, PNG or JPEG" in str(error.value)
        assert not Completion.objects.exists()
        assert stored_files(media) == []


class TestDownloading:
    @pytest.fixture
    def declared(self, staff_a, module, media):
        return completion_record(
            staff=staff_a,
            module=module,
            completed_on=datetime.date(2026, 1, 5),
            source=CompletionSource.SELF_DECLARED,
            certificate=upload(),
            today=datetime.date(2026, 3, 1),
        )

    def url(self, completion):
        return reverse("records:certificate", kwargs={"pk": completion.pk})

    def test_the_lead_downloads_it(self, client, lead, declared):
        response = login(client, lead).get(self.url(declared))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert "certificate-hsb-101-" in response["Content-Disposition"]

    def test_agency_hr_of_the_persons_agency_downloads_it(self, client, hr_a, declared):
        assert login(client, hr_a).get(self.url(declared)).status_code == 200

    def test_agency_hr_of_another_agency_gets_404(self, client, hr_b, declared):
        assert login(client, hr_b).get(self.url(declared)).status_code == 404

    def test_an_outsider_gets_404_and_a_visitor_is_asked_to_sign_in(self, client, outsider, declared):
        anonymous = client.get(self.url(declared))
        assert anonymous.status_code == 302
        assert anonymous.url.startswith(reverse("login"))
        assert login(client, outsider).get(self.url(declared)).status_code == 404

    def test_the_person_downloads_their_own_and_nobody_elses(
        self, client, staff_a, staff_b, declared, module
    ):
        theirs = completion_record(
            staff=staff_b,
            module=module,
            completed_on=datetime.date(2026, 1, 5),
            source=CompletionSource.SELF_DECLARED,
            certificate=upload(),
            today=datetime.date(2026, 3, 1),
        )
        sign_in(client, staff_a)
        assert client.get(self.url(declared)).status_code == 200
        assert client.get(self.url(theirs)).status_code == 404

    def test_no_url_serves_the_media_folder(self, client, lead, declared):
        path = "/media/" + declared.certificate.name
        with pytest.raises(Resolver404):
            resolve(path)
        assert login(client, lead).get(path).status_code == 404
