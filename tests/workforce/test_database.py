"""Planner statistics are refreshed after bulk writes on PostgreSQL (workforce.database)."""

import datetime
import gc

import pytest
from django.db import connection

from notifications.models import ReminderItem
from tests import factories
from training import state
from training.models import PairState
from workforce.database import ANALYZE_AFTER_ROWS, analyze, gc_paused
from workforce.models import StaffMember

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is PostgreSQL's")


def estimated_rows(model):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


@postgres_only
def test_a_large_write_refreshes_the_statistics_of_the_table_and_its_history():
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ReminderItem._meta.db_table} "  # noqa: S608
            "(key, series, kind, recipient, cycle_date, stage, stage_date, status, reason, planned_for, "
            "attempts, last_error, created_at) "
            "SELECT gen_random_uuid(), 's' || n, 'due', 'a@example.org', '2026-01-01', 'U+0', '2026-01-01', "
            "'skipped', '', '2026-01-01', 0, '', now() FROM generate_series(1, 6000) AS n"
        )
    before = estimated_rows(ReminderItem)
    assert analyze(ReminderItem, rows=6000) is True
    assert before != 6000 and estimated_rows(ReminderItem) == 6000


@postgres_only
def test_a_small_write_leaves_the_statistics_alone():
    assert analyze(StaffMember, rows=ANALYZE_AFTER_ROWS - 1) is False
    assert analyze(StaffMember) is True  # no row count: always


@postgres_only
def test_a_rebuild_of_the_compliance_state_refreshes_its_statistics(monkeypatch):
    """The maintained state is rebuilt after seed_demo's own ANALYZE: its estimate must be the rows
    it now holds, or the dashboard's counts are planned for a table a hundredth of its size."""
    monkeypatch.setattr("workforce.database.ANALYZE_AFTER_ROWS", 10)
    role = factories.JobRoleFactory()
    for _ in range(2):
        factories.RequirementFactory(job_role=role, starts_on=datetime.date(2020, 1, 1))
    factories.StaffMemberFactory.create_batch(10, job_role=role, start_date=datetime.date(2021, 1, 1))
    written = state.pair_states_rebuild(today=datetime.date(2026, 6, 1))
    assert written == 20 == PairState.objects.count()
    assert estimated_rows(PairState) == 20


def test_bulk_work_pauses_the_cycle_collector_and_leaves_it_as_it_was():
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError("a refused file")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_a_search_of_staff_can_use_the_trigram_indexes(db):
    """The indexes' expressions are the ones Django's icontains writes (UPPER(column::text) LIKE):
    with sequential scans priced out, the planner answers a search from them."""
    from workforce.selectors import staff_matching

    factories.StaffMemberFactory(last_name="Smith")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'workforce_staffmember'")
        names = {row[0] for row in cursor.fetchall()}
        assert {
            f"staff_{column}_trgm" for column in ("first_name", "last_name", "staff_number", "email")
        } <= names
        sql, params = staff_matching(StaffMember.objects.all(), "smith").query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)  # noqa: S608 - Django's own SQL
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "staff_last_name_trgm" in plan and "staff_email_trgm" in plan, plan
