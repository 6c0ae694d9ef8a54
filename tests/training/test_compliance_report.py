"""python manage.py compliance_report: the JSON of PRODUCT.md section 8, the table, and bad arguments."""

import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests import factories
from training.models import CompletionSource, Verification

D = datetime.date
ROOT = Path(__file__).resolve().parents[2]
STATUS_KEYS = ["compliant", "renewal_due", "expired", "due", "overdue", "exempt"]


def counts(compliant=0, renewal_due=0, expired=0, due=0, overdue=0, exempt=0):
    return {
        "compliant": compliant,
        "renewal_due": renewal_due,
        "expired": expired,
        "due": due,
        "overdue": overdue,
        "exempt": exempt,
    }


@pytest.fixture
def partnership(db):
    """Agencies A and B (active) and C (inactive); a role requiring HSB-101 (36 months), HSB-102
    (never expires) and a retired module."""
    agency_a = factories.AgencyFactory(slug="agency-a", name="Agency A")
    agency_b = factories.AgencyFactory(slug="agency-b", name="Agency B")
    agency_c = factories.AgencyFactory(slug="agency-c", name="Agency C", active=False)
    role = factories.JobRoleFactory(name="Social worker")
    m101 = factories.ModuleFactory(code="HSB-101", validity_months=36)
    m102 = factories.ModuleFactory(code="HSB-102", validity_months=None)
    retired = factories.ModuleFactory(code="HSB-999", active=False)
    for module in (m101, m102, retired):
        factories.RequirementFactory(job_role=role, module=module, starts_on=D(2020, 1, 1))

    def person(agency, **fields):
        return factories.StaffMemberFactory(agency=agency, job_role=role, **fields)

    def completed(staff, module, on, expires):
        factories.CompletionFactory(
            staff=staff,
            module=module,
            completed_on=on,
            expires_on=expires,
            source=CompletionSource.MANUAL,
            verification=Verification.VERIFIED,
        )

    alice, bob = person(agency_a), person(agency_a)
    person(agency_a, left_on=D(2025, 12, 31))
    carl = person(agency_b, role_since=D(2026, 1, 1))
    erin = person(agency_b)
    dora = person(agency_c)
    completed(alice, m101, D(2025, 1, 1), D(2028, 1, 1))
    completed(bob, m101, D(2022, 1, 1), D(2025, 1, 1))
    factories.ExemptionFactory(staff=bob, module=m102, starts_on=D(2025, 1, 1), ends_on=None)
    completed(carl, m101, D(2023, 4, 1), D(2026, 4, 1))
    completed(erin, m101, D(2023, 6, 1), D(2026, 6, 1))
    completed(erin, m102, D(2024, 1, 1), None)
    completed(dora, m101, D(2025, 1, 1), D(2028, 1, 1))
    factories.CompletionFactory(
        staff=alice,
        module=m102,
        completed_on=D(2026, 3, 1),
        source=CompletionSource.SELF_DECLARED,
        verification=Verification.PENDING,
    )


def report(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("compliance_report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def json_report(*args):
    out, _ = report("--json", *args)
    return json.loads(out)


def test_json_report_for_the_whole_partnership(partnership):
    data = json_report("--on", "2026-03-04")
    assert list(data) == ["on", "pairs", "rate", "people", "by_agency", "by_module"]
    assert data["on"] == "2026-03-04"
    assert list(data["pairs"]) == STATUS_KEYS
    # Alice compliant/overdue (her self-declaration is unverified), Bob expired/exempt, Carl renewal
    # due/due (new to the role on 1 January), Erin compliant twice. The leaver, the inactive agency
    # and the retired module are not counted.
    assert data["pairs"] == counts(compliant=3, renewal_due=1, expired=1, due=1, overdue=1, exempt=1)
    assert data["rate"] == 0.5714  # 4 valid of 7 not exempt, rounded to 4 places
    assert data["people"] == {"total": 4, "compliant": 1}
    assert data["by_agency"] == {
        "agency-a": counts(compliant=1, expired=1, overdue=1, exempt=1),
        "agency-b": counts(compliant=2, renewal_due=1, due=1),
    }
    assert data["by_module"] == {
        "HSB-101": counts(compliant=2, renewal_due=1, expired=1),
        "HSB-102": counts(compliant=1, due=1, overdue=1, exempt=1),
    }


def test_json_is_exactly_one_object_on_stdout(partnership):
    out, err = report("--json", "--on", "2026-03-04")
    assert out.count("\n") <= 1
    assert isinstance(json.loads(out), dict)
    assert err == ""


def test_agency_filter(partnership):
    data = json_report("--on", "2026-03-04", "--agency", "agency-b")
    assert data["pairs"] == counts(compliant=2, renewal_due=1, due=1)
    assert data["rate"] == 0.75
    assert data["people"] == {"total": 2, "compliant": 1}
    assert list(data["by_agency"]) == ["agency-b"]
    assert data["by_module"] == {
        "HSB-101": counts(compliant=1, renewal_due=1),
        "HSB-102": counts(compliant=1, due=1),
    }


def test_naming_an_inactive_agency_reports_it(partnership):
    data = json_report("--on", "2026-03-04", "--agency", "agency-c")
    assert data["pairs"] == counts(compliant=1, overdue=1)
    assert data["by_agency"] == {"agency-c": counts(compliant=1, overdue=1)}


def test_report_on_a_past_date_sees_only_what_had_happened(partnership):
    data = json_report("--on", "2024-06-01")
    assert data["on"] == "2024-06-01"
    # Alice's 2025 completion had not happened; Bob's exemption had not begun and his completion
    # was still valid; the leaver was still on the staff list.
    assert data["pairs"] == counts(compliant=4, due=1, overdue=5)
    assert data["rate"] == 0.4
    assert data["people"] == {"total": 5, "compliant": 1}


def test_rate_is_null_when_nobody_is_required(db):
    factories.AgencyFactory(slug="empty")
    data = json_report("--on", "2026-03-04")
    assert data["pairs"] == counts()
    assert data["rate"] is None
    assert data["people"] == {"total": 0, "compliant": 0}
    assert data["by_agency"] == {"empty": counts()}


def test_on_defaults_to_today_in_london(partnership):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (British Summer Time).
    with time_machine.travel(datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC), tick=False):
        data = json_report()
    assert data["on"] == "2026-07-01"


def test_table_without_json(partnership):
    out, _ = report("--on", "2026-03-04")
    assert "Compliance on 4 March 2026, the whole partnership" in out
    assert "Rate: 57%" in out
    assert "People compliant: 1 of 4" in out
    lines = out.splitlines()
    agency_b = next(line for line in lines if line.startswith("agency-b"))
    assert agency_b.split() == ["agency-b", "2", "1", "0", "1", "0", "0", "75%"]
    assert any(line.startswith("HSB-102") for line in lines)
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--on", "04/03/2026"],
            "--on must be a date written YYYY-MM-DD, for example 2026-03-04 (got '04/03/2026').",
        ),
        (["--on", "2026-02-30"], "--on 2026-02-30 is not a real date."),
        (
            ["--agency", "nowhere"],
            "There is no agency with the slug 'nowhere'. Known agencies: agency-a, agency-b",
        ),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(partnership, args, message):
    with pytest.raises(CommandError) as caught:
        report("--json", *args)
    assert message in str(caught.value)
    assert caught.value.returncode == 2


def test_bad_date_from_the_command_line_exits_2_with_nothing_on_stdout():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "manage.py", "compliance_report", "--json", "--on", "2026-13-01"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--on 2026-13-01 is not a real date." in result.stderr
