"""One table of completion cases, run through both routes: a completion file (tests/imports) and
a POST to /api/v1/completions/ (tests/api). Each case: a row (API field names), what is expected
(new, duplicate, or the error's field and message), and a setup name."""

import datetime

from tests import factories

TODAY = datetime.date(2026, 3, 4)

# field -> the file's heading
HEADINGS = {
    "email": "Email",
    "agency": "Agency",
    "staff_number": "Staff number",
    "module": "Module",
    "completed_on": "Completed on",
    "certificate_reference": "Certificate reference",
}


def by_email(completed_on="2025-03-04", module="HSB-101", email="asha@example.org"):
    return {"email": email, "module": module, "completed_on": completed_on}


CASES = [
    ("by email", {"email": "asha@example.org", "module": "HSB-101", "completed_on": "2025-03-04"}, "new"),
    (
        "by agency and staff number",
        {"agency": "agency-a", "staff_number": "E1", "module": "HSB-101", "completed_on": "2025-03-04"},
        "new",
    ),
    (
        "module by title",
        {
            "email": "asha@example.org",
            "module": "Understanding harmful sexual behaviour",
            "completed_on": "2025-03-04",
        },
        "new",
    ),
    ("UK date", {"email": "asha@example.org", "module": "HSB-101", "completed_on": "04/03/2025"}, "new"),
    (
        "before joining is fine",
        by_email("2001-03-04"),
        "new",
    ),
    (
        "already recorded",
        by_email("2024-01-10"),
        "duplicate",
    ),
    (
        "future date",
        {"email": "asha@example.org", "module": "HSB-101", "completed_on": "2026-03-05"},
        ("completed_on", "5 March 2026 is in the future. A completion date cannot be in the future."),
    ),
    (
        "unknown person",
        {"email": "nobody@example.org", "module": "HSB-101", "completed_on": "2025-03-04"},
        ("email", "No member of staff has this email."),
    ),
    (
        "unknown module",
        {"email": "asha@example.org", "module": "HSB-999", "completed_on": "2025-03-04"},
        ("module", "No module has this code or title. Use the module code, for example HSB-101."),
    ),
    (
        "unknown agency",
        {"agency": "nowhere", "staff_number": "E1", "module": "HSB-101", "completed_on": "2025-03-04"},
        ("agency", "No agency has this name."),
    ),
    (
        "unknown staff number",
        {"agency": "agency-a", "staff_number": "E404", "module": "HSB-101", "completed_on": "2025-03-04"},
        ("staff_number", "No one at Agency A has this staff number."),
    ),
    (
        "email in two agencies",
        {"email": "twice@example.org", "module": "HSB-101", "completed_on": "2025-03-04"},
        (
            "email",
            "This email belongs to current staff in 2 agencies (Agency A, Agency B). Give the agency and "
            "staff number instead, so we record the right person.",
        ),
    ),
    (
        "after leaving",
        {"email": "leaver@example.org", "module": "HSB-101", "completed_on": "2025-07-01"},
        ("completed_on", "Lee Vers left on 30 June 2025, before this date."),
    ),
    (
        "a date that does not exist",
        {"email": "asha@example.org", "module": "HSB-101", "completed_on": "31/02/2024"},
        ("completed_on", "This date does not exist: February 2024 has 29 days."),
    ),
    (
        "no one named",
        {"module": "HSB-101", "completed_on": "2025-03-04"},
        ("email", "Give the person's email, or both their agency and their staff number."),
    ),
]


def setup_world(agency_a, agency_b):
    """The people and records every case runs against."""
    module = factories.ModuleFactory(
        code="HSB-101", title="Understanding harmful sexual behaviour", validity_months=36
    )
    asha = factories.StaffMemberFactory(
        agency=agency_a, staff_number="E1", first_name="Asha", last_name="Patel", email="asha@example.org"
    )
    factories.StaffMemberFactory(
        agency=agency_a,
        first_name="Lee",
        last_name="Vers",
        email="leaver@example.org",
        left_on=datetime.date(2025, 6, 30),
    )
    factories.StaffMemberFactory(agency=agency_a, email="twice@example.org")
    factories.StaffMemberFactory(agency=agency_b, email="twice@example.org")
    factories.CompletionFactory(staff=asha, module=module, completed_on=datetime.date(2024, 1, 10))
    return asha, module
