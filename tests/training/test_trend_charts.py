"""The 12-month trend charts (SVG, with a target line and a table of the same figures) on the
dashboard (the partnership and each tier for a lead; an agency, module or tier when filtered), on
an agency's page and in the module view: the chart and its table hold exactly the snapshots'
numbers, and partnership-wide trends are for leads only."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from tests.training.compliance_fixtures import ON
from training import charts
from training.compliance import add_months
from training.models import ComplianceSnapshot, ComplianceTarget, SnapshotScope, TargetScope
from training.selectors.engine import compliance_statuses, compliance_summary
from training.selectors.targets import rate_percent
from training.snapshots import compliance_snapshot_backfill, compliance_snapshot_take, snapshot_summary
from workforce.models import AgencyMembership, Tier

DASHBOARD = reverse("compliance:dashboard")
SVG = "{http://www.w3.org/2000/svg}"

pytestmark = pytest.mark.usefixtures("on_day")


def section(page: str, key: str) -> str:
    """The HTML of one trend (training/compliance/includes/trend.html)."""
    match = re.search(
        rf'<section class="app-trend" aria-labelledby="trend-{key}-heading">(.*?)</section>', page, re.S
    )
    assert match, f"no trend {key!r} on the page"
    return match.group(1)


def chart(html: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg .*?</svg>", html, re.S).group(0))  # noqa: S314 - our own page


def svg_texts(svg: ET.Element, css_class: str) -> list[str]:
    return [element.text for element in svg.iter(f"{SVG}text") if element.get("class") == css_class]


def table_rates(html: str) -> list[str]:
    """The Rate column of the table, oldest month first ("" for a month without a snapshot)."""
    rates = []
    for row in re.findall(r"<tr class=\"govuk-table__row\">\s*<th scope=\"row\"(.*?)</tr>", html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rates.append("" if cells[0] == "No snapshot" else cells[0])
    return rates


def snapshot_rates(scope, **subject) -> dict:
    """The month (first day) -> the rate of that month's latest snapshot, as the pages round it."""
    found = {}
    for snapshot in ComplianceSnapshot.objects.filter(scope=scope, **subject).order_by("taken_on"):
        found[snapshot.taken_on.replace(day=1)] = rate_percent(snapshot_summary(snapshot))
    return found


def months():
    first = add_months(ON.replace(day=1), -11)
    return [add_months(first, index) for index in range(12)]


def assert_chart_is_the_snapshots(html, scope, target, **subject):
    rates = snapshot_rates(scope, **subject)
    expected = [rates.get(month) for month in months()]
    if all(rate is None for rate in expected):
        assert "No figures for " in html and "<svg" not in html and "<table" not in html
        return
    assert table_rates(html) == ["" if rate is None else f"{rate}%" for rate in expected]
    svg = chart(html)
    assert svg.get("role") == "img" and svg.get("viewBox").startswith("0 0 ")
    assert svg.get("width") == "100%"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id and svg.find(f"{SVG}desc").get("id") == desc_id
    bars = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("class") == "app-chart__bar"]
    assert len(bars) == sum(rate is not None for rate in expected)
    assert svg_texts(svg, "app-chart__value") == [str(rate) for rate in expected if rate is not None]
    assert svg_texts(svg, "app-chart__label") == [f"{month:%b}" for month in months()]
    assert f"Target {target}%" in ET.tostring(svg, encoding="unicode")
    assert f"(target {target}%)" in html


@pytest.fixture
def year(scene):
    compliance_snapshot_backfill(months=12, today=ON)
    # A month without any snapshot (no nightly run): a gap in the chart and the table.
    ComplianceSnapshot.objects.filter(taken_on=add_months(ON, -4)).delete()
    return scene


def test_the_leads_dashboard_charts_the_partnership_and_each_tier(client, lead, year):
    ComplianceTarget.objects.create(scope=TargetScope.TIER, tier=Tier.PRACTITIONER, percent=75)
    client.force_login(lead)
    response = client.get(DASHBOARD)
    page = response.text
    assert [trend.key for trend in response.context["trends"]] == [
        "partnership",
        *[f"tier-{tier.value}" for tier in Tier],
    ]
    assert_chart_is_the_snapshots(section(page, "partnership"), SnapshotScope.PARTNERSHIP, 90)
    for tier in Tier:
        target = 75 if tier == Tier.PRACTITIONER else 90
        assert_chart_is_the_snapshots(
            section(page, f"tier-{tier.value}"), SnapshotScope.TIER, target, tier=tier
        )
    # The gap is a dash in the chart and "No snapshot" in the table, not a zero.
    whole = section(page, "partnership")
    assert table_rates(whole)[7] == "" and len(svg_texts(chart(whole), "app-chart__none")) == 1
    # The practitioner tier is the social workers': today's bar is the engine's figure for them.
    today = rate_percent(compliance_summary(compliance_statuses(on=ON, tier=Tier.PRACTITIONER)))
    assert table_rates(section(page, "tier-2"))[-1] == f"{today}%" == "50%"
    # Nobody is in tier 3 in the scene: no chart, and a sentence saying why.
    assert "No figures for tier 3 Specialist in the last 12 months" in section(page, "tier-3")


def test_the_target_line_is_drawn_at_the_target():
    points = [("Jan", 50), ("Feb", None), ("Mar", 100)]
    drawn = charts.bar_chart(points, target=80, width=charts.PAGE_WIDTH)
    assert drawn.width == charts.PAGE_WIDTH and drawn.plot_right == charts.PAGE_WIDTH - charts.RIGHT
    assert drawn.target_y == round(charts.TOP + (charts.HEIGHT - charts.TOP - charts.BOTTOM) * 0.2, 1)
    assert [bar.percent for bar in drawn.with_figures] == [50, 100]
    assert (
        drawn.bars[2].y == charts.TOP and drawn.bars[2].height == charts.HEIGHT - charts.BOTTOM - charts.TOP
    )


def test_a_filter_by_agency_module_or_tier_charts_that_scope(client, lead, year):
    ComplianceTarget.objects.create(scope=TargetScope.MODULE, module=year.hsb201, percent=60)
    client.force_login(lead)
    page = client.get(DASHBOARD, {"agency": year.agency_b.slug}).text
    assert_chart_is_the_snapshots(section(page, "agency"), SnapshotScope.AGENCY, 90, agency=year.agency_b)
    assert 'id="trend-partnership-heading"' not in page

    response = client.get(DASHBOARD, {"module": year.hsb201.code})
    assert [trend.key for trend in response.context["trends"]] == ["module"]
    assert_chart_is_the_snapshots(
        section(response.text, "module"), SnapshotScope.MODULE, 60, module=year.hsb201
    )
    assert "HSB-201 Using a traffic light tool" in section(response.text, "module")

    response = client.get(DASHBOARD, {"tier": "1"})
    assert [trend.key for trend in response.context["trends"]] == ["tier-1"]


def test_agency_hr_see_only_their_agencys_chart(client, hr_a, year):
    client.force_login(hr_a)
    for data in ({}, {"tier": "2"}, {"module": year.hsb101.code}):
        response = client.get(DASHBOARD, data)
        assert [trend.key for trend in response.context["trends"]] == ["agency"], data
        html = section(response.text, "agency")
        assert_chart_is_the_snapshots(html, SnapshotScope.AGENCY, 90, agency=year.agency_a)
        assert "the whole partnership" not in html and 'id="trend-tier-' not in response.text


def test_another_agencys_trend_is_a_404_for_agency_hr(client, hr_a, year):
    client.force_login(hr_a)
    assert client.get(DASHBOARD, {"agency": year.agency_b.slug}).status_code == 404
    assert client.get(reverse("agency_staff", args=[year.agency_b.slug])).status_code == 404


def test_hr_of_two_agencies_are_asked_to_choose_one_rather_than_shown_the_partnership(client, hr_a, year):
    AgencyMembership.objects.create(user=hr_a, agency=year.agency_b)
    client.force_login(hr_a)
    response = client.get(DASHBOARD)
    assert response.context["trends"] == []
    assert "Choose one agency in the filter to see its trend." in response.text
    assert "app-chart" not in response.text
    page = client.get(DASHBOARD, {"agency": year.agency_b.slug}).text
    assert_chart_is_the_snapshots(section(page, "agency"), SnapshotScope.AGENCY, 90, agency=year.agency_b)


def test_the_agency_page_charts_that_agency(client, hr_a, lead, year):
    for user in (hr_a, lead):
        client.force_login(user)
        page = client.get(reverse("agency_staff", args=[year.agency_a.slug])).text
        assert 'href="#trend">Trend over 12 months</a>' in page
        assert_chart_is_the_snapshots(section(page, "agency"), SnapshotScope.AGENCY, 90, agency=year.agency_a)


def test_before_any_snapshot_the_dashboard_says_so(client, lead, scene):
    client.force_login(lead)
    page = client.get(DASHBOARD).text
    assert "No figures for the whole partnership in the last 12 months" in page
    assert "app-chart" not in page


def test_a_tier_filter_compares_with_the_tiers_snapshot_of_a_month_ago(client, lead, scene):
    compliance_snapshot_take(on=add_months(ON, -1))
    client.force_login(lead)
    against = client.get(DASHBOARD, {"tier": "2"}).context["against_target"]
    assert against.previous_on == add_months(ON, -1)
    assert against.previous_percent == rate_percent(
        snapshot_summary(ComplianceSnapshot.objects.get(scope=SnapshotScope.TIER, tier=2))
    )
