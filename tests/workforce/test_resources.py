"""Catalogue spreadsheets: job roles by name, modules by code, requirements by role name and
module code, so an export from one installation imports into another."""

import pytest
import tablib

from tests import factories
from training.models import Module, Requirement
from training.resources import ModuleResource, RequirementResource
from workforce.models import JobRole
from workforce.resources import JobRoleResource


def dataset(headers, *rows):
    return tablib.Dataset(*rows, headers=headers)


@pytest.mark.django_db
class TestCatalogueResources:
    def test_job_roles_import_by_name_and_reimport_changes_nothing(self):
        data = dataset(
            ["name", "tier", "aliases", "description"], ["Youth worker", 1, "Youth support worker", ""]
        )
        result = JobRoleResource().import_data(data)
        assert not result.has_errors()
        assert JobRole.objects.get().alias_list() == ["Youth support worker"]
        again = JobRoleResource().import_data(data)
        assert again.totals["skip"] == 1
        assert JobRole.objects.count() == 1

    def test_modules_update_by_code(self):
        factories.ModuleFactory(code="HSB-101", title="Old title")
        data = dataset(
            [
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
            [
                "HSB-101",
                "Understanding harmful sexual behaviour",
                "",
                1,
                "prevention",
                "e_learning",
                "2 hours",
                36,
                60,
                1,
            ],
        )
        result = ModuleResource().import_data(data)
        assert not result.has_errors() and not result.has_validation_errors()
        assert Module.objects.get().title == "Understanding harmful sexual behaviour"

    def test_requirements_round_trip_by_role_name_and_module_code(self):
        requirement = factories.RequirementFactory(job_role__name="Youth worker", module__code="HSB-102")
        exported = RequirementResource().export()
        assert exported.dict[0]["job_role"] == "Youth worker"
        assert exported.dict[0]["module"] == "HSB-102"
        requirement.delete()
        result = RequirementResource().import_data(exported)
        assert not result.has_errors() and not result.has_validation_errors()
        imported = Requirement.objects.get()
        assert (imported.job_role.name, imported.module.code, imported.due_within_days) == (
            "Youth worker",
            "HSB-102",
            90,
        )

    def test_unknown_module_code_is_a_row_error_and_nothing_is_written(self):
        factories.JobRoleFactory(name="Youth worker")
        data = dataset(
            ["job_role", "module", "due_within_days", "starts_on"],
            ["Youth worker", "NOPE-1", 90, "2026-01-01"],
        )
        result = RequirementResource().import_data(data)
        assert result.has_errors() or result.has_validation_errors()
        assert not Requirement.objects.exists()
