"""Writing many staff rows with their history (imports.bulk).

On PostgreSQL the import writes rows through COPY and copies their history rows from them on the
server; elsewhere it uses simple_history's bulk helpers. Either way the history must be exactly
what simple_history's own helpers write, which these tests use as the reference.
"""

import datetime

import pytest
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from imports.bulk import bulk_change_with_history, bulk_insert_with_history
from tests import factories
from workforce.models import StaffMember, Team

# Columns that differ between the two agencies' copies by construction, or that Django's own
# bulk_create stamps with the clock rather than the import's time.
NOT_COMPARED = {"history_id", "id", "agency_id", "team_id", "created_at"}


def people(agency, role, team):
    return [
        {
            "agency_id": agency.pk,
            "staff_number": f"E{number}",
            "first_name": first,
            "last_name": "Patel",
            "email": f"{first.lower()}@example.org",
            "job_role_id": role.pk,
            "job_title": "Constable" if number % 2 else "",
            "team_id": team.pk if number % 2 else None,
            "line_manager_email": "sam@example.org",
            "start_date": datetime.date(2020, 1, number),
            "role_since": datetime.date(2020, 1, number),
            "left_on": datetime.date(2027, 1, 1) if number == 3 else None,
        }
        for number, first in enumerate(("Asha", "Ben", "Cara", "Dev"), start=1)
    ]


def history(agency):
    rows = StaffMember.history.filter(agency_id=agency.pk).order_by("history_id").values()
    return [{key: value for key, value in row.items() if key not in NOT_COMPARED} for row in rows]


@pytest.fixture
def scene(agency_a, agency_b, lead):
    role = factories.JobRoleFactory(name="Police officer")
    teams = {agency: Team.objects.create(agency=agency, name="North") for agency in (agency_a, agency_b)}
    return role, teams, lead, timezone.now()


@pytest.mark.django_db
def test_new_rows_get_the_history_rows_simple_history_writes(scene, agency_a, agency_b):
    role, teams, lead, when = scene
    written = bulk_insert_with_history(
        StaffMember, people(agency_a, role, teams[agency_a]), user=lead, reason="Import #1", when=when
    )
    reference = [StaffMember(**row) for row in people(agency_b, role, teams[agency_b])]
    bulk_create_with_history(
        reference, StaffMember, default_user=lead, default_change_reason="Import #1", default_date=when
    )

    assert history(agency_a) == history(agency_b)
    assert [row["history_type"] for row in history(agency_a)] == ["+"] * 4
    # Each row got its new id, and its history row in the order of the rows.
    ids = list(
        StaffMember.history.filter(agency_id=agency_a.pk).order_by("history_id").values_list("id", flat=True)
    )
    assert ids == [row["id"] for row in written]
    assert list(
        StaffMember.objects.filter(pk__in=ids).order_by("pk").values_list("staff_number", flat=True)
    ) == [
        "E1",
        "E2",
        "E3",
        "E4",
    ]


@pytest.mark.django_db
def test_changed_rows_get_history_rows_with_their_whole_new_state(scene, agency_a, agency_b):
    role, teams, lead, when = scene
    for agency in (agency_a, agency_b):
        bulk_insert_with_history(
            StaffMember, people(agency, role, teams[agency]), user=None, reason="Import #1", when=when
        )
    later = when + datetime.timedelta(days=1)

    def changed(agency):
        objs = list(StaffMember.objects.filter(agency=agency, staff_number__in=["E2", "E4"]).order_by("-pk"))
        for person in objs:
            person.job_title = "Sergeant"
            person.left_on = datetime.date(2026, 3, 4)
        return objs

    bulk_change_with_history(
        StaffMember, changed(agency_a), ["job_title", "left_on"], user=lead, reason="Import #2", when=later
    )
    bulk_update_with_history(
        changed(agency_b),
        StaffMember,
        ["job_title", "left_on"],
        default_user=lead,
        default_change_reason="Import #2",
        default_date=later,
    )

    ours, reference = history(agency_a), history(agency_b)
    key = lambda row: (row["history_type"], row["staff_number"])  # noqa: E731
    assert sorted(ours, key=key) == sorted(reference, key=key)
    assert {(row["staff_number"], row["job_title"], row["history_type"]) for row in ours[4:]} == {
        ("E2", "Sergeant", "~"),
        ("E4", "Sergeant", "~"),
    }
