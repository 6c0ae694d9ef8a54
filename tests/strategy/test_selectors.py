"""Round reports (scores, comparison with the previous round) and live evidence, which must match
compliance_report for the same scope and date."""

import datetime
import io
import json

import pytest
from django.core.management import call_command

from strategy import selectors, services
from strategy.models import Rating
from tests.factories import AgencyFactory, StaffMemberFactory
from training.models import CompletionSource, ExemptionReason, Module
from training.services import completion_record, exemption_create
from workforce.models import JobRole

from .conftest import TODAY, rate_all

D = datetime.date
pytestmark = pytest.mark.django_db
ASSESSED = D(2026, 10, 1)


def report_of(assessment_round):
    return selectors.round_report(assessment_round, today=TODAY)


def domain(report, name):
    return next(row for row in report.domains if row.domain.name == name)


def item_row(report, item):
    return next(row for d in report.domains for row in d.rows if row.item.pk == item.pk)


def test_domain_scores_and_rag_in_a_round(make_round):
    # Responses (5 items): 3, 3, 2, N/A, 0 -> 8 of 12 points = 67%, amber.
    # Assessment (4 items): all Not in place -> 0%, red. Development: all Fully -> green.
    overrides = {
        (1, 1): Rating.FULLY,
        (1, 2): Rating.FULLY,
        (1, 3): Rating.PARTLY,
        (1, 4): Rating.NOT_APPLICABLE,
        (1, 5): Rating.NOT_IN_PLACE,
        **{(3, n): Rating.NOT_IN_PLACE for n in range(1, 5)},
        **{(5, n): Rating.FULLY for n in range(1, 7)},
    }
    report = report_of(make_round(value=Rating.EMERGING, overrides=overrides))
    responses = domain(report, "Responses").score
    assert (responses.points, responses.scored, responses.not_applicable) == (8, 4, 1)
    assert (responses.percent_display, responses.rag) == (67, "amber")
    assert (domain(report, "Assessment").score.percent_display, domain(report, "Assessment").score.rag) == (
        0,
        "red",
    )
    assert domain(report, "Development").score.rag == "green"
    assert domain(report, "Prevention").score.percent_display == 33  # all Emerging
    assert report.baseline and report.previous is None


def test_comparison_with_previous_round_per_item_and_domain(make_round, items):
    make_round(
        title="Baseline",
        assessed_on=D(2025, 10, 1),
        value=Rating.PARTLY,
        overrides={(1, 1): Rating.EMERGING, (1, 2): Rating.FULLY, (1, 4): Rating.NOT_APPLICABLE},
        complete=True,
    )
    second = make_round(
        title="Second",
        assessed_on=ASSESSED,
        value=Rating.PARTLY,
        overrides={
            (1, 1): Rating.FULLY,  # Emerging -> Fully: improved
            (1, 2): Rating.PARTLY,  # Fully -> Partly: declined
            (1, 4): Rating.FULLY,  # N/A -> Fully: not comparable
            **{(2, n): Rating.FULLY for n in range(1, 5)},  # Prevention up
        },
    )
    report = report_of(second)
    assert report.previous.title == "Baseline" and not report.baseline
    assert item_row(report, items[1, 1]).change == "improved"
    assert item_row(report, items[1, 2]).change == "declined"
    assert item_row(report, items[1, 3]).change == "unchanged"
    assert item_row(report, items[1, 4]).change == "not_comparable"
    # Responses: before 1+3+2+2 = 8 of 12 (N/A out); now 3+2+2+3+2 = 12 of 15: 67% -> 80%.
    responses = domain(report, "Responses")
    assert (responses.previous.percent_display, responses.score.percent_display) == (67, 80)
    assert responses.change == "improved"
    assert domain(report, "Prevention").change == "improved"
    assert domain(report, "Assessment").change == "unchanged"


def test_domain_change_compares_exact_ratios(make_round):
    # 2 of 3 points (one Partly) against 4 of 6 (two Partly): equal, so unchanged, not a float wobble.
    make_round(
        title="Before",
        assessed_on=D(2025, 10, 1),
        value=Rating.NOT_APPLICABLE,
        overrides={(3, 1): Rating.PARTLY},
        complete=True,
    )
    second = make_round(
        assessed_on=ASSESSED,
        value=Rating.NOT_APPLICABLE,
        overrides={(3, 1): Rating.PARTLY, (3, 2): Rating.PARTLY},
    )
    assert domain(report_of(second), "Assessment").change == "unchanged"


def test_previous_round_is_same_scope_and_completed(make_round, agency_a):
    partnership = make_round(
        title="Partnership", assessed_on=D(2025, 6, 1), value=Rating.PARTLY, complete=True
    )
    make_round(
        title="Agency A old", assessed_on=D(2025, 7, 1), agency=agency_a, value=Rating.PARTLY, complete=True
    )
    make_round(title="Unfinished", assessed_on=D(2025, 9, 1), value=Rating.PARTLY)
    later = make_round(title="Later", assessed_on=ASSESSED)
    assert selectors.previous_round(later) == partnership
    agency_round = make_round(title="Agency A new", assessed_on=ASSESSED, agency=agency_a)
    assert selectors.previous_round(agency_round).title == "Agency A old"


def test_round_report_query_count_is_fixed(make_round, django_assert_max_num_queries):
    make_round(title="Before", assessed_on=D(2025, 10, 1), value=Rating.PARTLY, complete=True)
    second = make_round(assessed_on=ASSESSED, value=Rating.FULLY)
    # ratings + attachments + previous round + its ratings + baseline check + evidence (9 for
    # compliance_pairs), whatever the number of items.
    with django_assert_max_num_queries(16):
        report = report_of(second)
    assert report.total == 24


# ---------------------------------------------------------------------------------------------
# Live evidence against compliance_report
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def workforce(catalogue):
    """Agency A: tier 1 staff only (teachers, police officers). Agency B: designated safeguarding
    leads only. Completions current, expired, recent and missing, and one exemption."""
    agency_a = AgencyFactory(name="Agency A", slug="agency-a")
    agency_b = AgencyFactory(name="Agency B", slug="agency-b")
    teacher = JobRole.objects.get(name="Teacher or school support staff")
    police = JobRole.objects.get(name="Police officer")
    dsl = JobRole.objects.get(name="Designated safeguarding lead")
    hsb101 = Module.objects.get(code="HSB-101")
    hsb201 = Module.objects.get(code="HSB-201")
    people_a = [StaffMemberFactory(agency=agency_a, job_role=teacher if n % 3 else police) for n in range(9)]
    people_b = [StaffMemberFactory(agency=agency_b, job_role=dsl) for n in range(5)]
    done = {0: D(2025, 1, 10), 1: D(2023, 1, 10), 2: D(2026, 8, 1), 4: D(2023, 11, 20), 6: D(2024, 5, 5)}
    for index, when in done.items():
        completion_record(
            staff=people_a[index],
            module=hsb101,
            completed_on=when,
            source=CompletionSource.MANUAL,
            today=TODAY,
        )
    exemption_create(
        staff=people_a[8], module=hsb101, reason=ExemptionReason.LONG_TERM_ABSENCE, starts_on=D(2026, 1, 1)
    )
    for index, when in {0: D(2025, 2, 1), 1: D(2022, 12, 1), 3: D(2026, 9, 1)}.items():
        completion_record(
            staff=people_b[index],
            module=hsb201,
            completed_on=when,
            source=CompletionSource.MANUAL,
            today=TODAY,
        )
    StaffMemberFactory(agency=agency_a, job_role=teacher, start_date=D(2020, 1, 1), left_on=D(2026, 1, 1))
    return agency_a, agency_b


def compliance_report(*, on, agency=None):
    out = io.StringIO()
    args = ["compliance_report", "--json", "--on", on.isoformat()]
    if agency is not None:
        args += ["--agency", agency.slug]
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def expected_evidence(counts):
    valid = counts["compliant"] + counts["renewal_due"]
    return valid, sum(counts.values()) - counts["exempt"]


@pytest.mark.parametrize("on", [ASSESSED, D(2025, 6, 30)])
def test_live_evidence_matches_compliance_report(framework, items, workforce, lead, on):
    agency_a, agency_b = workforce
    checks = [
        (agency_a, items[5, 1], "HSB-101"),  # tier 1: everyone in agency A
        (agency_b, items[5, 2], "HSB-201"),  # designated safeguarding leads: everyone in agency B
        (None, items[5, 2], "HSB-201"),  # partnership-wide: only DSLs are required to do HSB-201
    ]
    for agency, item, code in checks:
        assessment_round = services.round_create(
            framework=framework, title="Round", assessed_on=on, agency=agency, actor=lead
        )
        evidence = item_row(report_of(assessment_round), item).evidence
        report = compliance_report(on=on, agency=agency)
        assert (evidence.valid, evidence.required) == expected_evidence(report["by_module"][code])
        assert evidence.required > 0 and 0 < evidence.valid < evidence.required
        assert evidence.on == on


def test_evidence_figures_are_frozen_when_the_round_completes(framework, items, workforce, lead):
    agency_a, _ = workforce
    assessment_round = services.round_create(
        framework=framework, title="Round", assessed_on=ASSESSED, agency=agency_a, actor=lead
    )
    rate_all(assessment_round, Rating.PARTLY)
    services.round_complete(assessment_round=assessment_round, actor=lead, today=TODAY)
    expected = expected_evidence(compliance_report(on=ASSESSED, agency=agency_a)["by_module"]["HSB-101"])
    # Training recorded after completion does not rewrite what the round recorded.
    for person in agency_a.staff.filter(left_on__isnull=True):
        if not person.completions.exists() and not person.exemptions.exists():
            completion_record(
                staff=person,
                module=Module.objects.get(code="HSB-101"),
                completed_on=D(2026, 9, 30),
                source=CompletionSource.MANUAL,
                today=TODAY,
            )
    evidence = item_row(report_of(assessment_round), items[5, 1]).evidence
    assert evidence.frozen and (evidence.valid, evidence.required) == expected
    live = selectors.live_evidence([items[5, 1]], on=ASSESSED, agency=agency_a)[items[5, 1].pk]
    assert live.valid > evidence.valid


def test_future_round_uses_today_for_evidence(framework, items, workforce, lead):
    assessment_round = services.round_create(
        framework=framework, title="Planned", assessed_on=D(2027, 1, 15), actor=lead
    )
    assert item_row(report_of(assessment_round), items[5, 2]).evidence.on == TODAY


def test_items_without_a_spec_have_no_evidence(make_round, items):
    report = report_of(make_round())
    assert item_row(report, items[1, 1]).evidence is None
    assert item_row(report, items[5, 5]).evidence is None


def test_leadership_panel_and_next_round_due(make_round, make_action, lead):
    services.strategy_settings_update(actor=lead, lead_name="Priya", round_interval_months=6)
    make_round(assessed_on=D(2026, 4, 30), value=Rating.PARTLY, complete=True)
    make_round(title="Unfinished later", assessed_on=D(2026, 9, 1))
    make_action(review_on=D(2026, 11, 1))
    make_action(review_on=D(2027, 1, 1), status="at_risk")
    panel = selectors.leadership_panel(today=TODAY)
    assert panel["round_due"].due_on == D(2026, 10, 30)  # 30 April + 6 months
    assert panel["round_overdue"] is True
    assert (panel["open_actions"], panel["overdue_review"], panel["at_risk"]) == (2, 1, 1)
