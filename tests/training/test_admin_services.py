"""The admin writes only through the services: catalogue pages, inline rows on a person's and a
job role's pages, the spreadsheet import of the catalogue, and the catalogue loader. Each write
names the lead on its history row, and a refusal shows its message and writes nothing."""

import datetime

import pytest
import tablib
from django.urls import reverse

from tests import factories
from training.catalogue import catalogue_install
from training.models import Assignment, Exemption, ExemptionReason, Module, Requirement
from training.resources import ModuleResource
from workforce.models import JobRole, StaffMember

D = datetime.date


@pytest.fixture
def admin_client(client, lead):
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
    return client


def management(*prefixes, initial=None, total=None):
    """The management forms of a change page's inlines: `total` rows, `initial` of them existing."""
    data = {}
    for prefix in prefixes:
        data[f"{prefix}-TOTAL_FORMS"] = str((total or {}).get(prefix, 0))
        data[f"{prefix}-INITIAL_FORMS"] = str((initial or {}).get(prefix, 0))
    return data


def staff_form(staff):
    return {
        "agency": staff.agency_id,
        "staff_number": staff.staff_number,
        "first_name": staff.first_name,
        "last_name": staff.last_name,
        "email": staff.email,
        "job_role": staff.job_role_id,
        "job_title": staff.job_title,
        "line_manager_email": staff.line_manager_email,
    }


@pytest.mark.django_db
class TestCatalogue:
    def test_a_module_added_and_changed_names_the_lead_in_its_history(self, admin_client, lead):
        values = {
            "code": "HSB-900",
            "title": "A new module",
            "tier": 1,
            "domain": "prevention",
            "delivery_mode": "e_learning",
            "validity_months": 24,
            "renewal_window_days": 60,
            "active": "on",
        }
        response = admin_client.post(reverse("admin:training_module_add"), values)
        assert response.status_code == 302
        module = Module.objects.get(code="HSB-900")
        response = admin_client.post(
            reverse("admin:training_module_change", args=[module.pk]), {**values, "validity_months": 12}
        )
        assert response.status_code == 302
        module.refresh_from_db()
        assert module.validity_months == 12
        assert [(row.history_type, row.history_user) for row in module.history.order_by("history_id")] == [
            ("+", lead),
            ("~", lead),
        ]

    def test_a_requirement_added_and_removed_on_the_job_role_page(self, admin_client, lead):
        role = factories.JobRoleFactory(name="Youth worker")
        module = factories.ModuleFactory()
        url = reverse("admin:workforce_jobrole_change", args=[role.pk])
        role_form = {"name": role.name, "tier": role.tier, "aliases": "", "description": ""}
        response = admin_client.post(
            url,
            {
                **role_form,
                **management("requirements", total={"requirements": 1}),
                "requirements-0-module": module.pk,
                "requirements-0-due_within_days": 30,
                "requirements-0-starts_on": "01/01/2026",
            },
        )
        assert response.status_code == 302, response.context["inline_admin_formsets"]
        requirement = Requirement.objects.get()
        assert (requirement.job_role, requirement.due_within_days) == (role, 30)
        assert requirement.history.get().history_user == lead
        response = admin_client.post(
            url,
            {
                **role_form,
                **management("requirements", total={"requirements": 1}, initial={"requirements": 1}),
                "requirements-0-id": requirement.pk,
                "requirements-0-job_role": role.pk,
                "requirements-0-module": module.pk,
                "requirements-0-due_within_days": 30,
                "requirements-0-starts_on": "01/01/2026",
                "requirements-0-DELETE": "on",
            },
        )
        assert response.status_code == 302
        assert not Requirement.objects.exists()
        assert Requirement.history.order_by("-history_id").first().history_type == "-"

    def test_a_job_role_change_names_the_lead(self, admin_client, lead):
        role = factories.JobRoleFactory(name="Youth worker", tier=1)
        response = admin_client.post(
            reverse("admin:workforce_jobrole_change", args=[role.pk]),
            {
                "name": "Youth worker",
                "tier": 2,
                "aliases": "",
                "description": "",
                **management("requirements"),
            },
        )
        assert response.status_code == 302
        assert role.history.latest("history_id").history_user == lead

    def test_the_catalogue_spreadsheet_import_saves_through_the_service(self, lead):
        factories.ModuleFactory(code="HSB-101", title="Old title", validity_months=36)
        dataset = tablib.Dataset(
            ["HSB-101", "Understanding HSB", "", 1, "prevention", "e_learning", "2 hours", 24, 60, True],
            headers=[
                "code",
                "title",
                "description",
                "tier",
                "domain",
                "delivery_mode",
                "duration",
                "validity_months",
                "renewal_window_days",
                "active",
            ],
        )
        result = ModuleResource().import_data(dataset, raise_errors=True, user=lead)
        assert result.totals["update"] == 1
        module = Module.objects.get(code="HSB-101")
        assert (module.title, module.validity_months) == ("Understanding HSB", 24)
        assert module.history.latest("history_id").history_user == lead

    def test_the_catalogue_loader_names_who_installed_it(self, lead):
        catalogue_install(in_force_from=D(2026, 1, 1), actor=lead)
        assert {row.history_user for row in Module.history.all()} == {lead}
        assert {row.history_user for row in Requirement.history.all()} == {lead}
        assert {row.history_user for row in JobRole.history.all()} == {lead}


@pytest.mark.django_db
class TestPersonInlines:
    PREFIXES = ("completions", "exemptions", "assignments")

    def test_an_assignment_added_on_the_person_page_goes_through_the_service(
        self, admin_client, lead, staff_a
    ):
        module = factories.ModuleFactory()
        response = admin_client.post(
            reverse("admin:workforce_staffmember_change", args=[staff_a.pk]),
            {
                **staff_form(staff_a),
                **management(*self.PREFIXES, total={"assignments": 1}),
                "assignments-0-module": module.pk,
                "assignments-0-assigned_on": "01/03/2026",
                "assignments-0-due_on": "01/06/2026",
                "assignments-0-reason": "Moving to the specialist team",
            },
        )
        assert response.status_code == 302
        assignment = Assignment.objects.get()
        assert (assignment.staff, assignment.assigned_by) == (staff_a, lead)
        assert assignment.history.get().history_user == lead

    def test_an_overlapping_exemption_is_refused_with_its_message_and_nothing_written(
        self, admin_client, staff_a
    ):
        module = factories.ModuleFactory()
        Exemption.objects.create(
            staff=staff_a, module=module, reason=ExemptionReason.LONG_TERM_ABSENCE, starts_on=D(2026, 1, 1)
        )
        response = admin_client.post(
            reverse("admin:workforce_staffmember_change", args=[staff_a.pk]),
            {
                **staff_form(staff_a),
                **management(*self.PREFIXES, total={"exemptions": 1}),
                "exemptions-0-module": module.pk,
                "exemptions-0-reason": ExemptionReason.OTHER,
                "exemptions-0-starts_on": "01/02/2026",
            },
        )
        assert response.status_code == 200
        assert "An exemption for this module already covers part of these dates." in response.text
        assert Exemption.objects.count() == 1
        assert StaffMember.history.count() == 1

    def test_an_exemption_changed_in_its_own_page_keeps_the_overlap_rule(self, admin_client, lead, staff_a):
        module = factories.ModuleFactory()
        first = Exemption.objects.create(
            staff=staff_a, module=module, reason="other", starts_on=D(2026, 1, 1), ends_on=D(2026, 1, 31)
        )
        second = Exemption.objects.create(
            staff=staff_a, module=module, reason="other", starts_on=D(2026, 3, 1)
        )
        url = reverse("admin:training_exemption_change", args=[second.pk])
        values = {"staff": staff_a.pk, "module": module.pk, "reason": "other", "details": ""}
        response = admin_client.post(url, {**values, "starts_on": "15/01/2026"})
        assert "An exemption for this module already covers part of these dates." in response.text
        second.refresh_from_db()
        assert second.starts_on == D(2026, 3, 1)
        response = admin_client.post(url, {**values, "starts_on": "01/02/2026"})
        assert response.status_code == 302
        second.refresh_from_db()
        assert second.starts_on == D(2026, 2, 1) and first.ends_on == D(2026, 1, 31)
        assert second.history.latest("history_id").history_user == lead
