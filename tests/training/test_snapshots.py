"""Daily compliance snapshots: the nightly task, its schedule, the back-fill for the demo, and the
12-month trend drawn from them on the dashboard."""

import datetime
from io import StringIO

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from config.celery_app import app as celery_app
from tests.training.compliance_fixtures import ON, completed
from training import tasks
from training.models import ComplianceSnapshot, SnapshotScope
from training.selectors.engine import compliance_pairs, compliance_statuses, compliance_summary
from training.snapshots import (
    compliance_snapshot_backfill,
    compliance_snapshot_take,
    compliance_trend,
    compliance_trends_by_tier,
    snapshot_summary,
)
from workforce.models import Tier

pytestmark = pytest.mark.usefixtures("on_day")


def partnership(day):
    return ComplianceSnapshot.objects.get(scope=SnapshotScope.PARTNERSHIP, taken_on=day)


def test_a_snapshot_records_the_partnership_each_agency_each_module_and_each_tier(scene):
    written = compliance_snapshot_take(on=ON)
    assert written == 1 + 2 + 2 + len(Tier)
    whole = partnership(ON)
    assert (whole.compliant, whole.renewal_due, whole.expired, whole.due, whole.overdue, whole.exempt) == (
        3,
        1,
        1,
        2,
        2,
        1,
    )
    assert (whole.people_total, whole.people_compliant) == (7, 3)
    agency_b = ComplianceSnapshot.objects.get(scope=SnapshotScope.AGENCY, agency=scene.agency_b, taken_on=ON)
    assert (agency_b.compliant, agency_b.overdue) == (2, 1)
    hsb201 = ComplianceSnapshot.objects.get(scope=SnapshotScope.MODULE, module=scene.hsb201, taken_on=ON)
    assert (hsb201.compliant, hsb201.due, hsb201.overdue) == (1, 1, 1)


def test_the_task_writes_once_per_day_and_a_rerun_updates_the_same_rows(scene):
    tasks.compliance_snapshot_task()
    assert ComplianceSnapshot.objects.count() == 5 + len(Tier)
    # Asha completes HSB-201 later the same day; the second run updates, never duplicates.
    completed(scene.people["asha"], scene.hsb201, ON)
    tasks.compliance_snapshot_task()
    assert ComplianceSnapshot.objects.count() == 5 + len(Tier)
    assert (partnership(ON).compliant, partnership(ON).overdue) == (4, 1)


def test_the_database_refuses_a_second_row_for_one_scope_and_day(scene):
    compliance_snapshot_take(on=ON)
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplianceSnapshot.objects.create(taken_on=ON, scope=SnapshotScope.PARTNERSHIP)
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplianceSnapshot.objects.create(taken_on=ON, scope=SnapshotScope.AGENCY, agency=scene.agency_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplianceSnapshot.objects.create(taken_on=ON, scope=SnapshotScope.TIER, tier=Tier.PRACTITIONER)
    assert ComplianceSnapshot.objects.count() == 5 + len(Tier)


def test_a_partnership_snapshot_cannot_name_an_agency(scene):
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplianceSnapshot.objects.create(taken_on=ON, scope=SnapshotScope.PARTNERSHIP, agency=scene.agency_a)
    assert not ComplianceSnapshot.objects.exists()


def test_a_tier_snapshot_names_its_tier_and_nothing_else(scene):
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplianceSnapshot.objects.create(taken_on=ON, scope=SnapshotScope.TIER)
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplianceSnapshot.objects.create(
            taken_on=ON, scope=SnapshotScope.AGENCY, agency=scene.agency_a, tier=1
        )
    assert not ComplianceSnapshot.objects.exists()


@pytest.mark.parametrize("day", [ON, datetime.date(2025, 5, 31)])
def test_each_tier_snapshot_is_the_engines_count_for_that_tier_on_that_date(scene, day):
    compliance_snapshot_take(on=day)
    for tier in Tier:
        snapshot = ComplianceSnapshot.objects.get(scope=SnapshotScope.TIER, tier=tier, taken_on=day)
        engine = compliance_summary(compliance_statuses(on=day, tier=tier))
        assert snapshot_summary(snapshot) == engine, tier
    # The scene has people in tiers 1 and 2 only; the others are recorded as empty.
    practitioner = ComplianceSnapshot.objects.get(
        scope=SnapshotScope.TIER, tier=Tier.PRACTITIONER, taken_on=day
    )
    assert practitioner.people_total > 0
    specialist = ComplianceSnapshot.objects.get(scope=SnapshotScope.TIER, tier=Tier.SPECIALIST, taken_on=day)
    assert snapshot_summary(specialist).required == 0 and specialist.people_total == 0


def test_the_tiers_add_up_to_the_partnership(scene):
    compliance_snapshot_take(on=ON)
    tiers = ComplianceSnapshot.objects.filter(scope=SnapshotScope.TIER, taken_on=ON)
    for field in ("compliant", "renewal_due", "expired", "due", "overdue", "exempt", "people_total"):
        assert sum(getattr(row, field) for row in tiers) == getattr(partnership(ON), field), field


def test_backfill_adds_tiers_to_dates_taken_before_tiers_were_recorded(scene):
    compliance_snapshot_take(on=ON, scopes=(SnapshotScope.PARTNERSHIP, SnapshotScope.AGENCY))
    before = partnership(ON).updated_at
    compliance_snapshot_backfill(months=1, today=ON)
    assert ComplianceSnapshot.objects.filter(scope=SnapshotScope.TIER, taken_on=ON).count() == len(Tier)
    assert partnership(ON).updated_at == before  # its own figures are left as recorded
    assert not ComplianceSnapshot.objects.filter(scope=SnapshotScope.MODULE).exists()


def test_the_tier_trends_are_read_in_one_query(scene, django_assert_num_queries):
    compliance_snapshot_take(on=datetime.date(2026, 1, 10))
    compliance_snapshot_take(on=ON)
    with django_assert_num_queries(1):
        trends = compliance_trends_by_tier(today=ON)
    assert set(trends) == {tier.value for tier in Tier}
    practitioner = trends[Tier.PRACTITIONER]
    assert len(practitioner) == 12 and practitioner[-1].taken_on == ON
    assert practitioner[-3].taken_on == datetime.date(2026, 1, 10) and practitioner[-2].summary is None
    assert [p.summary for p in practitioner] == [p.summary for p in compliance_trend(today=ON, tier=2)]


def test_the_beat_schedule_runs_it_nightly_at_a_quarter_past_two():
    entry = celery_app.conf.beat_schedule["compliance-snapshot"]
    assert entry["task"] == "training.tasks.compliance_snapshot_task"
    assert entry["schedule"] == crontab(hour=2, minute=15)
    assert entry["task"] in celery_app.tasks


def test_a_snapshot_of_a_past_day_counts_only_what_was_done_by_then(scene):
    """On 1 June 2025 Ben had not yet done either module, and Asha's first completion (10 January
    2025) had already counted."""
    day = datetime.date(2025, 6, 1) - datetime.timedelta(days=1)
    compliance_snapshot_take(on=day)
    past = ComplianceSnapshot.objects.get(scope=SnapshotScope.AGENCY, agency=scene.agency_b, taken_on=day)
    assert (past.compliant, past.overdue) == (0, 3)
    assert partnership(day).exempt == 0  # Femi's exemption began in 2026
    assert partnership(day).compliant + partnership(day).renewal_due == (
        compliance_summary(compliance_pairs(on=day)).valid
    )


def test_backfill_takes_a_year_of_monthly_snapshots_once(scene):
    taken = compliance_snapshot_backfill(months=12, today=ON)
    assert taken[0] == datetime.date(2025, 4, 4) and taken[-1] == ON and len(taken) == 12
    assert ComplianceSnapshot.objects.filter(scope=SnapshotScope.PARTNERSHIP).count() == 12
    assert compliance_snapshot_backfill(months=12, today=ON) == []
    assert ComplianceSnapshot.objects.filter(scope=SnapshotScope.PARTNERSHIP).count() == 12


def test_the_trend_takes_the_last_snapshot_of_each_month(scene):
    compliance_snapshot_take(on=datetime.date(2026, 2, 3))
    compliance_snapshot_take(on=datetime.date(2026, 2, 27))
    compliance_snapshot_take(on=datetime.date(2025, 3, 31))  # 12 months ago: too old to show
    trend = compliance_trend(today=ON)
    assert [point.month for point in trend][0] == datetime.date(2025, 4, 1)
    assert trend[-1].month == datetime.date(2026, 3, 1) and trend[-1].summary is None
    assert trend[-2].taken_on == datetime.date(2026, 2, 27)
    assert sum(1 for point in trend if point.summary is not None) == 1


def test_the_dashboard_draws_the_trend_with_a_table_of_the_same_numbers(client, lead, scene):
    compliance_snapshot_backfill(months=12, today=ON)
    client.force_login(lead)
    response = client.get(reverse("compliance:dashboard"))
    trend = response.context["trends"][0].points
    assert len(trend) == 12 and all(point.summary is not None for point in trend)
    page = response.content.decode()
    assert 'role="img" aria-labelledby="trend-partnership-title trend-partnership-desc"' in page
    assert "Compliance rate by month, the whole partnership" in page
    assert "Mar 2026" in page and "Apr 2025" in page
    assert f"{trend[-1].cell.percent}%" in page


def test_the_trend_follows_an_agency_filter(client, lead, scene):
    compliance_snapshot_take(on=ON)
    client.force_login(lead)
    response = client.get(reverse("compliance:dashboard"), {"agency": scene.agency_b.slug})
    assert response.context["trends"][0].points[-1].summary.count("compliant") == 2
    assert "Compliance rate by month, Agency B" in response.content.decode()


def test_seed_demo_backfills_a_year_of_snapshots_once(db, settings, tmp_path):
    settings.DEMO_LOGINS_FILE = str(tmp_path / "demo-logins.txt")
    call_command("seed_demo", "--staff", "40", "--json", stdout=StringIO(), stderr=StringIO())
    dates = list(
        ComplianceSnapshot.objects.filter(scope=SnapshotScope.PARTNERSHIP).values_list("taken_on", flat=True)
    )
    assert len(dates) == 12 and dates[-1] == ON and dates[0] == datetime.date(2025, 4, 4)
    assert partnership(ON).people_total > 0
    # Every scope has its year, tiers included, so `make run` shows real trends.
    for scope in SnapshotScope:
        days = ComplianceSnapshot.objects.filter(scope=scope).values_list("taken_on", flat=True).distinct()
        assert len(days) == 12, scope
    assert ComplianceSnapshot.objects.filter(scope=SnapshotScope.TIER, taken_on=ON).count() == len(Tier)
    call_command("seed_demo", "--staff", "40", "--json", stdout=StringIO(), stderr=StringIO())
    assert ComplianceSnapshot.objects.filter(scope=SnapshotScope.PARTNERSHIP).count() == 12


def test_seed_demo_without_staff_takes_no_snapshots(db, settings, tmp_path):
    settings.DEMO_LOGINS_FILE = str(tmp_path / "demo-logins.txt")
    call_command("seed_demo", "--staff", "0", "--json", stdout=StringIO(), stderr=StringIO())
    assert not ComplianceSnapshot.objects.exists()
