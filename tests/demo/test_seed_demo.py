import datetime
import json
import os
import stat
import subprocess
import sys
from collections import defaultdict
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from training.compliance import add_months, expiry_date
from training.models import (
    Assignment,
    Completion,
    ComplianceSnapshot,
    Exemption,
    Module,
    PairState,
    Requirement,
    Verification,
)
from training.selectors.state import state_day, state_differences
from training.services import completion_record
from training.snapshots import compliance_snapshot_take
from workforce.access import AGENCY_HR_GROUP, LEAD_GROUP
from workforce.models import Agency, AgencyMembership, JobRole, StaffMember, Team
from workforce.services import staff_create

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STAFF = 60

# PRODUCT.md section 7, written out again here so that the catalogue is checked against the
# specification rather than against itself.
ROLES = {
    "Children's social worker": (2, "HSB-101 HSB-201 HSB-202"),
    "Social work team manager": (4, "HSB-101 HSB-201 HSB-202 HSB-401"),
    "Residential care worker": (2, "HSB-101 HSB-201 HSB-203"),
    "Early help practitioner": (2, "HSB-101 HSB-201 HSB-202"),
    "Police officer": (1, "HSB-101 HSB-102"),
    "Child abuse investigation officer": (2, "HSB-101 HSB-202 HSB-203"),
    "School nurse": (2, "HSB-101 HSB-201 HSB-203"),
    "Health visitor": (2, "HSB-101 HSB-201"),
    "GP or practice nurse": (1, "HSB-101 HSB-102"),
    "CAMHS clinician": (3, "HSB-101 HSB-201 HSB-202 HSB-301 HSB-303"),
    "Named safeguarding nurse": (4, "HSB-101 HSB-201 HSB-202 HSB-401"),
    "Teacher or school support staff": (1, "HSB-101"),
    "Designated safeguarding lead": (2, "HSB-101 HSB-201 HSB-204"),
    "Youth justice case manager": (3, "HSB-101 HSB-201 HSB-202 HSB-301 HSB-303"),
    "Youth worker": (1, "HSB-101 HSB-102"),
    "Specialist HSB practitioner": (3, "HSB-101 HSB-201 HSB-202 HSB-301 HSB-302 HSB-303"),
    "HSB strategic lead": (4, "HSB-101 HSB-102 HSB-401"),
}
MODULES = {
    "HSB-101": ("Understanding harmful sexual behaviour", 1, "prevention", "e_learning", "2 hours", 36),
    "HSB-102": ("Local HSB pathway and referral briefing", 1, "responses", "live_online", "90 minutes", 36),
    "HSB-201": ("Using a sexual behaviours traffic light tool", 2, "prevention", "classroom", "3 hours", 36),
    "HSB-202": (
        "Responding along the continuum: multi-agency workshop",
        2,
        "responses",
        "classroom",
        "1 day",
        36,
    ),
    "HSB-203": (
        "Technology-assisted harmful sexual behaviour",
        2,
        "prevention",
        "live_online",
        "3 hours",
        36,
    ),
    "HSB-204": (
        "Child-on-child sexual abuse for designated safeguarding leads",
        2,
        "responses",
        "live_online",
        "3 hours",
        24,
    ),
    "HSB-301": ("HSB assessment model: certified practitioner", 3, "assessment", "classroom", "3 days", 36),
    "HSB-302": ("HSB assessment for children under 12", 3, "assessment", "classroom", "2 days", 36),
    "HSB-303": (
        "Intervention and safety planning with families",
        3,
        "interventions",
        "classroom",
        "2 days",
        36,
    ),
    "HSB-401": (
        "Supervising HSB practice and leading the partnership audit",
        4,
        "development",
        "workshop",
        "half a day",
        36,
    ),
}
AGENCY_SECTORS = {
    "northshire-childrens-services": "childrens_social_care",
    "northshire-early-help": "early_help",
    "northshire-police": "police",
    "northshire-community-health": "community_health",
    "northshire-camhs": "mental_health",
    "northshire-schools": "education",
    "northshire-youth-justice": "youth_justice",
    "northshire-youth-trust": "voluntary",
}


@pytest.fixture(autouse=True)
def logins_file(settings, tmp_path):
    settings.DEMO_LOGINS_FILE = str(tmp_path / "demo-logins.txt")
    return Path(settings.DEMO_LOGINS_FILE)


def seed(*args):
    """Run seed_demo --json; return (parsed JSON, stdout text, stderr text)."""
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, "--json", stdout=out, stderr=err)
    return json.loads(out.getvalue()), out.getvalue(), err.getvalue()


@pytest.fixture
def seeded():
    totals, _, _ = seed("--staff", str(STAFF), "--seed", "7")
    return totals


def snapshot():
    """Every row seed_demo writes, as plain values (ids included: a second run must not add any)."""
    User = get_user_model()
    return {
        "agencies": sorted(Agency.objects.values_list()),
        "teams": sorted(Team.objects.values_list()),
        "roles": sorted(JobRole.objects.values_list()),
        "modules": sorted(Module.objects.values_list()),
        "requirements": sorted(Requirement.objects.values_list()),
        "staff": sorted(StaffMember.objects.values_list()),
        "completions": sorted(Completion.objects.values_list()),
        "exemptions": sorted(Exemption.objects.values_list()),
        "assignments": sorted(Assignment.objects.values_list()),
        "users": sorted(User.objects.values_list("username", "password", "is_staff")),
        "memberships": sorted(AgencyMembership.objects.values_list("user__username", "agency__slug")),
        "staff_history": StaffMember.history.count(),
        "completion_history": Completion.history.count(),
    }


# --- the command ------------------------------------------------------------------------------


def test_json_is_one_object_with_the_totals_in_the_database(seeded):
    assert seeded == {
        "agencies": Agency.objects.count(),
        "job_roles": JobRole.objects.count(),
        "modules": Module.objects.count(),
        "requirements": Requirement.objects.count(),
        "staff": StaffMember.objects.count(),
        "completions": Completion.objects.count(),
    }
    assert seeded["staff"] == STAFF
    assert seeded["completions"] > STAFF


def test_the_maintained_compliance_state_is_built_for_today_and_equals_the_rules(seeded):
    today = timezone.localdate()
    assert state_day() == today
    assert PairState.objects.count() > STAFF
    assert state_differences(on=today) == []


def test_todays_snapshots_are_the_figures_after_every_demo_write(seeded):
    """The trend's last bar is the dashboard's own figure: the snapshots are taken after the
    sessions' registers record their completions."""
    today = timezone.localdate()
    fields = (
        "scope",
        "agency_id",
        "module_id",
        "tier",
        "compliant",
        "expired",
        "overdue",
        "people_compliant",
    )
    taken = sorted(ComplianceSnapshot.objects.filter(taken_on=today).values_list(*fields), key=str)
    assert taken
    compliance_snapshot_take(on=today)
    assert sorted(ComplianceSnapshot.objects.filter(taken_on=today).values_list(*fields), key=str) == taken


def test_json_mode_keeps_messages_and_logins_off_stdout():
    _, out, err = seed("--staff", "0")
    assert len(out.strip().splitlines()) == 1
    assert "Catalogue: added 17 job roles, 10 modules and 54 requirements" in err
    assert "username: lead" in err


def test_a_second_run_changes_nothing(seeded, logins_file):
    before = snapshot()
    first_logins = logins_file.read_text()

    totals, _, err = seed("--staff", str(STAFF), "--seed", "7")

    assert totals == seeded
    assert snapshot() == before
    assert logins_file.read_text() == first_logins
    assert "already in place" in err
    assert "already have staff, so no staff were added" in err
    # The logins are printed again, with the passwords set the first time.
    assert first_logins.strip() in err


def test_a_different_staff_number_on_a_second_run_adds_nobody(seeded):
    totals, _, _ = seed("--staff", "500")
    assert totals == seeded


def test_staff_zero_makes_only_the_catalogue_agencies_and_demo_users():
    totals, _, _ = seed("--staff", "0")

    assert totals == {
        "agencies": 8,
        "job_roles": 17,
        "modules": 10,
        "requirements": 54,
        "staff": 0,
        "completions": 0,
    }
    assert Team.objects.count() == 0
    assert set(Requirement.objects.values_list("starts_on", flat=True)) == {timezone.localdate()}


def test_requirements_start_three_years_back_by_default_when_there_are_staff():
    seed("--staff", "10")
    expected = add_months(timezone.localdate(), -36)
    assert set(Requirement.objects.values_list("starts_on", flat=True)) == {expected}


def test_in_force_from_sets_when_requirements_start():
    seed("--staff", "0", "--in-force-from", "2024-09-02")
    assert set(Requirement.objects.values_list("starts_on", flat=True)) == {datetime.date(2024, 9, 2)}
    assert Requirement.objects.filter(due_within_days=90).count() == 54


@pytest.mark.parametrize("value", ["2024-02-30", "04/03/2026", "20240301", "soon"])
def test_a_bad_in_force_from_is_refused_before_anything_is_written(value):
    with pytest.raises(CommandError) as error:
        seed("--in-force-from", value)

    assert error.value.returncode == 2
    assert str(error.value) == (
        f"--in-force-from must be a real date written YYYY-MM-DD, for example 2026-03-04, not {value!r}."
    )
    assert not Agency.objects.exists()
    assert not JobRole.objects.exists()
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("value", ["-1", "many"])
def test_a_bad_staff_count_is_refused(value):
    with pytest.raises(CommandError) as error:
        seed("--staff", value)
    assert error.value.returncode == 2
    assert str(error.value) == f"--staff must be a whole number of 0 or more, not {value!r}."
    assert not Agency.objects.exists()


def test_a_bad_date_exits_with_status_2_from_the_command_line(tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp_path / 'never-created.sqlite3'}",
        DEMO_LOGINS_FILE=str(tmp_path / "logins.txt"),
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "seed_demo", "--in-force-from", "31/02/2024", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--in-force-from must be a real date written YYYY-MM-DD" in result.stderr
    assert not (tmp_path / "logins.txt").exists()


# --- the catalogue ----------------------------------------------------------------------------


def test_catalogue_is_the_one_in_the_specification():
    seed("--staff", "0")

    roles = {role.name: role for role in JobRole.objects.all()}
    assert {name: role.tier for name, role in roles.items()} == {
        name: tier for name, (tier, _) in ROLES.items()
    }
    pairs = set(Requirement.objects.values_list("job_role__name", "module__code"))
    assert pairs == {(name, code) for name, (_, codes) in ROLES.items() for code in codes.split()}
    modules = {
        m.code: (m.title, m.tier, m.domain, m.delivery_mode, m.duration, m.validity_months)
        for m in Module.objects.all()
    }
    assert modules == MODULES
    assert set(Module.objects.values_list("renewal_window_days", "active")) == {(60, True)}
    assert all(module.description for module in Module.objects.all())


def test_job_roles_have_spreadsheet_aliases_that_name_one_role_each():
    seed("--staff", "0")
    owners = defaultdict(set)
    for role in JobRole.objects.all():
        assert role.alias_list(), role.name
        for name in [role.name, *role.alias_list()]:
            owners[name.lower()].add(role.name)
    assert {name for name, roles in owners.items() if len(roles) > 1} == set()
    assert owners["dsl"] == {"Designated safeguarding lead"}
    assert owners["teacher"] == {"Teacher or school support staff"}
    assert owners["teaching assistant"] == {"Teacher or school support staff"}
    assert owners["social worker"] == {"Children's social worker"}
    assert owners["pc"] == {"Police officer"}


def test_an_existing_catalogue_is_left_as_it_is():
    seed("--staff", "0", "--in-force-from", "2024-01-01")
    Module.objects.filter(code="HSB-101").update(title="Our own HSB basics", validity_months=12, active=False)
    Requirement.objects.filter(job_role__name="Teacher or school support staff").delete()
    JobRole.objects.filter(name="Youth worker").update(aliases="")

    totals, _, _ = seed("--staff", "0", "--in-force-from", "2025-01-01")

    module = Module.objects.get(code="HSB-101")
    assert (module.title, module.validity_months, module.active) == ("Our own HSB basics", 12, False)
    assert not Requirement.objects.filter(job_role__name="Teacher or school support staff").exists()
    assert JobRole.objects.get(name="Youth worker").aliases == ""
    assert totals["requirements"] == 53
    assert set(Requirement.objects.values_list("starts_on", flat=True)) == {datetime.date(2024, 1, 1)}


def test_a_missing_module_is_added_with_its_requirements():
    seed("--staff", "0", "--in-force-from", "2024-01-01")
    Requirement.objects.filter(module__code="HSB-204").delete()
    Module.objects.filter(code="HSB-204").delete()

    seed("--staff", "0", "--in-force-from", "2025-01-01")

    requirement = Requirement.objects.get(module__code="HSB-204")
    assert requirement.job_role.name == "Designated safeguarding lead"
    assert requirement.starts_on == datetime.date(2025, 1, 1)


# --- agencies and demo users ------------------------------------------------------------------


def test_the_eight_agencies_have_their_slugs_sectors_and_contacts():
    seed("--staff", "0")
    agencies = Agency.objects.all()
    assert {a.slug: a.sector for a in agencies} == AGENCY_SECTORS
    for agency in agencies:
        assert agency.active
        assert agency.hr_contact_email.startswith("hr@")
        assert agency.training_lead_email.endswith(".example.org")
    police = Agency.objects.get(slug="northshire-police")
    assert police.hr_contact_email == "hr@police.northshire.example.org"


def test_demo_users_can_sign_in_with_the_written_passwords(logins_file):
    _, _, err = seed("--staff", "0")

    text = logins_file.read_text()
    assert stat.S_IMODE(logins_file.stat().st_mode) == 0o600
    assert "Sign in at http://" in text and "/accounts/login/" in text
    passwords = dict(
        line.split("username: ")[1].split("  password: ")
        for line in text.splitlines()
        if "password: " in line
    )
    User = get_user_model()
    lead, hr = User.objects.get(username="lead"), User.objects.get(username="hr")
    assert lead.check_password(passwords["lead"])
    assert hr.check_password(passwords["hr"])
    assert passwords["lead"] != passwords["hr"]
    assert lead.is_staff and not lead.is_superuser
    assert list(lead.groups.values_list("name", flat=True)) == [LEAD_GROUP]
    assert list(hr.groups.values_list("name", flat=True)) == [AGENCY_HR_GROUP]
    assert list(hr.agency_memberships.values_list("agency__slug", flat=True)) == [
        "northshire-childrens-services"
    ]
    assert text.strip() in err


def test_a_second_run_without_the_logins_file_keeps_passwords_and_says_so(logins_file):
    seed("--staff", "0")
    hashes = sorted(get_user_model().objects.values_list("password", flat=True))
    logins_file.unlink()

    _, _, err = seed("--staff", "0")

    assert sorted(get_user_model().objects.values_list("password", flat=True)) == hashes
    assert "manage.py changepassword lead" in err
    assert not logins_file.exists()


# --- the staff and their histories ------------------------------------------------------------


def test_the_same_seed_gives_the_same_people_and_another_seed_does_not():
    def people():
        return sorted(
            StaffMember.objects.values_list(
                "agency__slug",
                "staff_number",
                "first_name",
                "last_name",
                "email",
                "job_role__name",
                "start_date",
            )
        )

    def completions():
        return sorted(Completion.objects.values_list("staff__staff_number", "module__code", "completed_on"))

    def clear():
        from courses.models import Booking, TrainingSession

        for model in (Booking, TrainingSession, Completion, Exemption, Assignment, StaffMember):
            model.objects.all().delete()

    seed("--staff", "40", "--seed", "3")
    first = people(), completions()
    clear()
    seed("--staff", "40", "--seed", "3")
    assert (people(), completions()) == first
    clear()
    seed("--staff", "40", "--seed", "4")
    assert people() != first[0]


def test_every_expiry_is_what_the_rules_give_in_order(seeded):
    """The stored expiry of each completion is what completion_record computes when the history is
    recorded in date order: from the latest counted expiry before it (renewal without drift)."""
    by_pair = defaultdict(list)
    for completion in Completion.objects.select_related("module").order_by("completed_on", "id"):
        by_pair[completion.staff_id, completion.module_id].append(completion)

    renewals_without_drift = 0
    for history in by_pair.values():
        counted = []
        for completion in history:
            earlier = [c.expires_on for c in counted if c.completed_on <= completion.completed_on]
            previous = None if not earlier or None in earlier else max(earlier)
            module = completion.module
            expected = expiry_date(
                completed_on=completion.completed_on,
                validity_months=module.validity_months,
                renewal_window_days=module.renewal_window_days,
                previous_expiry=previous,
            )
            assert completion.expires_on == expected, completion
            if previous is not None and expected == add_months(previous, module.validity_months):
                renewals_without_drift += 1
            if completion.verification == Verification.VERIFIED:
                counted.append(completion)
    assert renewals_without_drift >= 1


def test_completions_respect_the_recording_rules(seeded):
    today = timezone.localdate()
    for completion in Completion.objects.select_related("staff"):
        assert completion.completed_on <= today
        left_on = completion.staff.left_on
        assert left_on is None or completion.completed_on <= left_on
        if completion.source != "self_declared":
            assert completion.verification == Verification.VERIFIED
    # A person's completions are only for modules their role requires.
    required = set(Requirement.objects.values_list("job_role_id", "module_id"))
    assert {
        (c.staff.job_role_id, c.module_id) for c in Completion.objects.select_related("staff")
    } <= required


def test_emails_are_lower_case_and_unique_among_each_agencys_current_staff(seeded):
    today = timezone.localdate()
    seen = set()
    for person in StaffMember.objects.exclude(email=""):
        assert person.email == person.email.lower()
        assert person.line_manager_email == person.line_manager_email.lower()
        if person.left_on is None or person.left_on > today:
            assert (person.agency_id, person.email) not in seen
            seen.add((person.agency_id, person.email))


def test_job_roles_fit_each_agencys_sector(seeded):
    roles = defaultdict(set)
    for slug, role in StaffMember.objects.values_list("agency__slug", "job_role__name"):
        roles[slug].add(role)
    assert roles["northshire-police"] <= {
        "Police officer",
        "Child abuse investigation officer",
        "HSB strategic lead",
    }
    assert roles["northshire-schools"] <= {"Teacher or school support staff", "Designated safeguarding lead"}
    assert "Police officer" not in set().union(
        *(r for slug, r in roles.items() if slug != "northshire-police")
    )
    assert all(roles[slug] for slug in AGENCY_SECTORS)


def test_the_demo_shows_every_kind_of_history(seeded):
    today = timezone.localdate()
    staff = StaffMember.objects.all()
    current = staff.exclude(left_on__lte=today).exclude(start_date__gt=today)

    assert staff.filter(left_on__lte=today).exists()  # leavers
    assert staff.filter(start_date__gt=today).exists()  # future starters
    assert staff.filter(start_date__gt=today - datetime.timedelta(days=90), start_date__lte=today).exists()
    assert staff.filter(email="").exists()  # unreachable
    assert staff.exclude(line_manager_email="").exists()
    assert staff.exclude(line_manager_email="").count() < staff.count()
    assert Completion.objects.filter(source="self_declared", verification=Verification.PENDING).exists()
    assert Exemption.objects.filter(ends_on__isnull=True).exists()
    assert Exemption.objects.filter(ends_on__isnull=False).exists()

    shared = current.exclude(email="").values("email").annotate(agencies=Count("agency", distinct=True))
    assert shared.filter(agencies=2).count() == 1

    statuses = pair_statuses(current, today)
    assert {"compliant", "renewal_due", "expired", "due", "overdue"} <= statuses


def pair_statuses(current, today):
    """The plain statuses of every required pair of current staff (exemptions aside)."""
    best = {}
    for staff_id, module_id, expires_on in Completion.objects.filter(
        verification=Verification.VERIFIED
    ).values_list("staff_id", "module_id", "expires_on"):
        best[staff_id, module_id] = max(best.get((staff_id, module_id), expires_on), expires_on)
    by_role = defaultdict(list)
    for requirement in Requirement.objects.select_related("module"):
        by_role[requirement.job_role_id].append(requirement)
    statuses = set()
    for person in current:
        for requirement in by_role[person.job_role_id]:
            expires_on = best.get((person.pk, requirement.module_id))
            if expires_on is None:
                dates = [d for d in (person.start_date, person.role_since, requirement.starts_on) if d]
                due_on = max(dates) + datetime.timedelta(days=requirement.due_within_days)
                statuses.add("due" if today < due_on else "overdue")
            elif expires_on <= today:
                statuses.add("expired")
            elif expires_on <= today + datetime.timedelta(days=requirement.module.renewal_window_days):
                statuses.add("renewal_due")
            else:
                statuses.add("compliant")
    return statuses


def test_seeded_rows_have_their_created_history_and_leave_room_for_ordinary_writes(seeded):
    assert StaffMember.history.filter(history_type="+").count() == seeded["staff"]
    assert Completion.history.filter(history_type="+").count() == seeded["completions"]
    assert set(StaffMember.history.values_list("history_change_reason", flat=True)) == {"Demo data"}

    # Ids were taken from the tables' own sequences, so ordinary saves carry on after them.
    person = StaffMember.objects.filter(left_on__isnull=True).exclude(email="").first()
    newcomer = staff_create(
        agency=person.agency,
        staff_number="NEW-1",
        first_name="Ada",
        last_name="Lovelace",
        email="ada.lovelace@example.org",
        job_role=person.job_role,
    )
    completion = completion_record(
        staff=newcomer,
        module=Module.objects.get(code="HSB-101"),
        completed_on=timezone.localdate(),
        source="manual",
    )
    assert newcomer.pk > max(StaffMember.objects.exclude(pk=newcomer.pk).values_list("pk", flat=True))
    assert completion.pk > max(Completion.objects.exclude(pk=completion.pk).values_list("pk", flat=True))
