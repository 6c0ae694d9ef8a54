"""The admin as a lead uses it: writes through the services, expiry never typed in, history kept,
catalogue import and export buttons."""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from training.models import Completion, CompletionSource, Verification
from workforce.models import StaffMember


@pytest.fixture
def admin_client(client, lead):
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
    return client


@pytest.mark.django_db
class TestCompletionAdmin:
    def test_adding_a_completion_computes_its_expiry(self, admin_client, lead, staff_a):
        module = factories.ModuleFactory(code="HSB-101", validity_months=36)
        response = admin_client.post(
            reverse("admin:training_completion_add"),
            {
                "staff": staff_a.pk,
                "module": module.pk,
                "completed_on": "04/03/2025",
                "source": CompletionSource.MANUAL,
                "certificate_reference": "",
                "notes": "",
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        completion = Completion.objects.get()
        assert completion.expires_on == datetime.date(2028, 3, 4)
        assert completion.recorded_by == lead
        assert completion.verification == Verification.VERIFIED
        assert completion.history.get().history_user == lead

    def test_a_future_date_is_refused_and_nothing_written(self, admin_client, staff_a):
        module = factories.ModuleFactory()
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        response = admin_client.post(
            reverse("admin:training_completion_add"),
            {
                "staff": staff_a.pk,
                "module": module.pk,
                "completed_on": tomorrow.strftime("%d/%m/%Y"),
                "source": CompletionSource.MANUAL,
            },
        )
        assert response.status_code == 200
        assert "A completion date cannot be in the future." in response.text
        assert not Completion.objects.exists()

    def test_a_duplicate_is_refused_and_nothing_written(self, admin_client, staff_a):
        existing = factories.CompletionFactory(staff=staff_a, completed_on=datetime.date(2025, 3, 4))
        response = admin_client.post(
            reverse("admin:training_completion_add"),
            {
                "staff": staff_a.pk,
                "module": existing.module.pk,
                "completed_on": "04/03/2025",
                "source": CompletionSource.MANUAL,
            },
        )
        assert response.status_code == 200
        assert (
            f"{existing.module.code} on 04/03/2025 is already recorded for {staff_a.full_name}."
            in response.text
        )
        assert Completion.objects.count() == 1

    def test_expiry_and_dates_cannot_be_edited(self, admin_client, staff_a):
        completion = factories.CompletionFactory(staff=staff_a, expires_on=datetime.date(2028, 3, 4))
        url = reverse("admin:training_completion_change", args=[completion.pk])
        form = admin_client.get(url).context["adminform"].form
        assert "expires_on" not in form.fields and "completed_on" not in form.fields
        admin_client.post(url, {"certificate_reference": "CERT-1", "notes": "", "expires_on": "01/01/2099"})
        completion.refresh_from_db()
        assert completion.certificate_reference == "CERT-1"
        assert completion.expires_on == datetime.date(2028, 3, 4)

    def test_a_certificate_opens_through_the_scoped_download_never_the_media_address(
        self, admin_client, staff_a
    ):
        completion = factories.CompletionFactory(staff=staff_a)
        Completion.objects.filter(pk=completion.pk).update(certificate="certificates/2026/cert.pdf")
        page = admin_client.get(reverse("admin:training_completion_change", args=[completion.pk])).text
        assert f'href="{reverse("records:certificate", args=[completion.pk])}"' in page
        assert "/media/" not in page

    def test_verify_action_verifies_only_pending(self, admin_client, staff_a):
        pending = factories.CompletionFactory(
            staff=staff_a, source=CompletionSource.SELF_DECLARED, verification=Verification.PENDING
        )
        rejected = factories.CompletionFactory(
            staff=staff_a,
            completed_on=datetime.date(2025, 1, 1),
            source=CompletionSource.SELF_DECLARED,
            verification=Verification.REJECTED,
        )
        admin_client.post(
            reverse("admin:training_completion_changelist"),
            {"action": "verify_selected", "_selected_action": [pending.pk, rejected.pk]},
        )
        pending.refresh_from_db()
        rejected.refresh_from_db()
        assert pending.verification == Verification.VERIFIED and pending.expires_on is not None
        assert rejected.verification == Verification.REJECTED

    def test_completions_are_never_deleted(self, admin_client, staff_a):
        completion = factories.CompletionFactory(staff=staff_a)
        response = admin_client.get(reverse("admin:training_completion_delete", args=[completion.pk]))
        assert response.status_code == 403
        assert Completion.objects.filter(pk=completion.pk).exists()


@pytest.mark.django_db
class TestStaffAdmin:
    def test_adding_staff_goes_through_the_service(self, admin_client, lead, agency_a):
        role = factories.JobRoleFactory()
        response = admin_client.post(
            reverse("admin:workforce_staffmember_add"),
            {
                "agency": agency_a.pk,
                "staff_number": "N100",
                "first_name": "Asha",
                "last_name": "Patel",
                "email": "Asha.Patel@Example.org",
                "job_role": role.pk,
                "start_date": "04/03/2024",
                **inline_management(),
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        staff = StaffMember.objects.get()
        assert staff.email == "asha.patel@example.org"
        assert staff.role_since == datetime.date(2024, 3, 4)
        assert staff.history.get().history_user == lead

    def test_the_staff_change_page_shows_completions_read_only(self, admin_client, staff_a):
        factories.CompletionFactory(staff=staff_a, module__code="HSB-777")
        response = admin_client.get(reverse("admin:workforce_staffmember_change", args=[staff_a.pk]))
        assert "HSB-777" in response.text
        assert 'name="completions-0-completed_on"' not in response.text

    def test_staff_are_never_deleted(self, admin_client, staff_a):
        response = admin_client.get(reverse("admin:workforce_staffmember_delete", args=[staff_a.pk]))
        assert response.status_code == 403


def inline_management():
    data = {}
    for prefix in ("completions", "exemptions", "assignments"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


@pytest.mark.django_db
class TestCatalogueImportExport:
    @pytest.mark.parametrize("model", ["workforce_jobrole", "training_module", "training_requirement"])
    def test_catalogue_changelists_offer_import_and_export(self, admin_client, model):
        response = admin_client.get(reverse(f"admin:{model}_changelist"))
        assert reverse(f"admin:{model}_import") in response.text
        assert reverse(f"admin:{model}_export") in response.text

    def test_agency_hr_cannot_reach_import(self, client, hr_a):
        hr_a.is_staff = True
        hr_a.save()
        client.force_login(hr_a)
        response = client.get(reverse("admin:training_module_import"))
        assert response.url.startswith(reverse("admin:login"))


LIVE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]


def _admin_export(admin_client, model, fields, label):
    page = admin_client.get(reverse(f"admin:{model}_export"))
    value = re.search(rf'<option value="(\d+)">\s*{label}\s*</option>', page.text).group(1)
    data = {"format": value, "resource": "0", **{name: "on" for name in fields}}
    response = admin_client.post(reverse(f"admin:{model}_export"), data)
    assert response.status_code == 200
    return response.content


@pytest.mark.django_db
class TestCatalogueExportsAreInert:
    """The admin's export buttons follow the app's own rule: no cell a spreadsheet would run."""

    def test_job_role_csv_and_xlsx_exports_write_no_live_formula(self, admin_client):
        for text in LIVE:
            factories.JobRoleFactory(name=text, description=text)
        fields = ["jobroleresource_name", "jobroleresource_description"]
        csv_text = _admin_export(admin_client, "workforce_jobrole", fields, "csv").decode("utf-8-sig")
        cells = [cell for row in csv.reader(io.StringIO(csv_text)) for cell in row]
        for text in LIVE:
            assert "'" + text in cells
            assert text not in cells
        xlsx = _admin_export(admin_client, "workforce_jobrole", fields, "xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
        values = [cell.value for row in sheet.iter_rows() for cell in row]
        assert not [
            value for value in values if isinstance(value, str) and value.startswith(("=", "+", "-", "@"))
        ]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    def test_module_and_requirement_exports_are_inert(self, admin_client):
        module = factories.ModuleFactory(title="=1+2", description="@cmd")
        factories.RequirementFactory(module=module)
        module_csv = _admin_export(admin_client, "training_module", ["moduleresource_title"], "csv")
        assert "'=1+2" in module_csv.decode("utf-8-sig")
        assert "\n=1+2" not in module_csv.decode("utf-8-sig")
        page = admin_client.get(reverse("admin:training_requirement_export"))
        fields = re.findall(r'name="(requirementresource_[a-z_]+)"', page.text)
        requirement_csv = _admin_export(admin_client, "training_requirement", fields, "csv")
        for row in csv.reader(io.StringIO(requirement_csv.decode("utf-8-sig"))):
            assert not [cell for cell in row if cell.startswith(("=", "+", "-", "@"))]

    def test_an_inert_export_imports_again_unchanged(self):
        from workforce.models import JobRole
        from workforce.resources import JobRoleResource

        factories.JobRoleFactory(name="=Youth worker", aliases="", description="+ one")
        exported = JobRoleResource().export()
        assert exported.dict[0]["name"] == "'=Youth worker"
        JobRole.objects.all().delete()
        result = JobRoleResource().import_data(exported)
        assert not result.has_errors()
        role = JobRole.objects.get()
        assert (role.name, role.description) == ("=Youth worker", "+ one")
