"""One rounding of rates everywhere (a whole percentage rounded down: floor_percent), and small
groups in the heat map marked and muted so that "0%, 0 of 1" does not shout like "64%, 92 of 142"."""

import datetime
from types import SimpleNamespace

import pytest

from strategy.selectors import Evidence
from training.management.commands.compliance_report import render_table
from training.selectors.compliance import SMALL_GROUP_BELOW, Cell, floor_percent, legend
from training.templatetags.compliance_pages import rate_text


def summary(valid, required, exempt=0):
    return SimpleNamespace(valid=valid, required=required, exempt=exempt)


@pytest.mark.parametrize(
    ("valid", "required", "exempt", "text"),
    [
        (2, 3, 0, "66%"),
        (299, 300, 0, "99%"),
        (300, 300, 0, "100%"),
        (4, 10, 1, "44%"),
        (0, 0, 0, "No figure"),
    ],
)
def test_the_headline_rate_is_the_heat_maps_rounding(valid, required, exempt, text):
    assert rate_text(summary(valid, required, exempt)) == text
    expected = floor_percent(valid, required - exempt)
    assert text == ("No figure" if expected is None else f"{expected}%")


def test_action_plan_evidence_rounds_the_same_way():
    assert Evidence(valid=2, required=3, on=datetime.date(2026, 3, 4)).percent_display == 66
    assert Evidence(valid=299, required=300, on=datetime.date(2026, 3, 4)).percent_display == 99


def test_the_compliance_report_text_rounds_the_same_way():
    counts = {"compliant": 199, "renewal_due": 100, "expired": 1, "due": 0, "overdue": 0, "exempt": 5}
    report = {
        "on": "2026-03-04",
        "rate": 299 / 300,
        "pairs": counts,
        "people": {"total": 10, "compliant": 9},
        "by_agency": {"agency-a": counts},
        "by_module": {},
    }
    text = render_table(report)
    assert "Rate: 99%" in text, "never a misleading 100% (or 99.7%) beside the pages' 99%"
    [agency_line] = [line for line in text.splitlines() if line.startswith("agency-a")]
    assert agency_line.split()[-1] == "99%"


class FakeSummary(SimpleNamespace):
    def count(self, status):
        return 0


@pytest.mark.parametrize(
    ("required", "small"), [(0, False), (1, True), (SMALL_GROUP_BELOW - 1, True), (SMALL_GROUP_BELOW, False)]
)
def test_a_group_of_fewer_than_five_is_small(required, small):
    cell = Cell(FakeSummary(valid=0, required=required, exempt=0))
    assert cell.small is small


def test_the_key_explains_small_groups():
    assert ("small", f"Fewer than {SMALL_GROUP_BELOW} required: too few to compare") in legend(None)
