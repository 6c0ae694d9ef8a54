import datetime
import io

import pytest
from openpyxl import load_workbook

from strategy import exports, selectors, services
from strategy.models import Action, Rating

from .conftest import TODAY

D = datetime.date
pytestmark = pytest.mark.django_db

DANGEROUS = ['=HYPERLINK("http://evil")', "+1+2", "-3", "@SUM(A1)", "\tTab", "\rReturn"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_inert_prefixes_formula_triggers(value):
    assert exports.inert(value) == "'" + value


@pytest.mark.parametrize("value", ["Plain", "", "1 = 1", 42, None, D(2026, 1, 1)])
def test_inert_leaves_other_values(value):
    assert exports.inert(value) == value


def cells(content, sheet):
    workbook = load_workbook(io.BytesIO(content))
    return [cell for row in workbook[sheet].iter_rows() for cell in row]


def test_round_export_is_inert_and_complete(make_round, lead):
    make_round(title="Baseline", assessed_on=D(2025, 10, 1), value=Rating.EMERGING, complete=True)
    assessment_round = make_round(title="=cmd|' /C calc'!A0", assessed_on=D(2026, 10, 1), value=Rating.PARTLY)
    rating = assessment_round.ratings.first()
    services.rating_update(rating=rating, actor=lead, value=Rating.FULLY, evidence_note="=1+1 is what we saw")
    content = exports.round_workbook(selectors.round_report(assessment_round, today=TODAY))
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Domains", "Items", "How scores work"]
    every = cells(content, "Domains") + cells(content, "Items")
    assert not any(cell.data_type == "f" for cell in every)
    texts = [cell.value for cell in every if isinstance(cell.value, str)]
    assert "'=cmd|' /C calc'!A0" in texts and "'=1+1 is what we saw" in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)
    items = list(workbook["Items"].iter_rows(min_row=2, values_only=True))
    assert len(items) == 24
    first = items[0]
    assert (first[2], first[3], first[7], first[8]) == ("Fully in place", 3, "Emerging", "Improved")
    domains = {row[0]: row for row in workbook["Domains"].iter_rows(min_row=6, values_only=True)}
    assert domains["Prevention"][1:3] == (67, "Amber")
    assert domains["Prevention"][6:8] == (33, "Improved")


def test_action_plan_export_is_inert(make_action, agency_a):
    make_action(
        title="-Delete everything",
        description="@evil",
        owner_name="+Owner",
        owner_agency=agency_a,
        review_on=D(2026, 11, 1),
    )
    actions = selectors.action_list(
        Action.objects.all(),
        filters=selectors.ActionFilters(),
        today=TODAY,
    )
    content = exports.action_plan_workbook(actions, today=TODAY)
    every = cells(content, "Action plan")
    assert not any(cell.data_type == "f" for cell in every)
    row = next(load_workbook(io.BytesIO(content))["Action plan"].iter_rows(min_row=2, values_only=True))
    assert row[0] == "'-Delete everything" and row[1] == "'@evil" and row[3] == "'+Owner"
    assert row[5] == "Agency A" and row[7] == "Not started" and row[9] == "Yes"
    assert row[8].date() == D(2026, 11, 1)
