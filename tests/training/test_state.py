"""The maintained compliance state (training.state): built and rolled from the engine's query, it
agrees with the pure rules on random histories and days; the check finds a state corrupted on
purpose and the repair fixes it."""

import datetime

import pytest
from celery.schedules import crontab
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.celery_app import app as celery_app
from tests import factories
from tests.training.compliance_fixtures import ON
from tests.training.test_selectors import _build, _day, histories
from training import state, tasks
from training.compliance import Status, status_changes_on
from training.models import ComplianceState, PairState, StateCount
from training.selectors.engine import compliance_counts
from training.selectors.state import StateRow, count_differences, maintained, state_day, state_differences
from workforce import services as workforce_services

D = datetime.date


def _rows():
    return {
        (row.staff_id, row.module_id): (Status(row.status), row.key_date, row.changes_on)
        for row in PairState.objects.all()
    }


# --- the pure change day --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "key_date", "window", "expected"),
    [
        (Status.DUE, D(2026, 5, 1), 60, D(2026, 5, 1)),  # turns overdue on the due date
        (Status.OVERDUE, D(2026, 1, 1), 60, None),  # waits for a completion
        (Status.COMPLIANT, D(2026, 5, 1), 60, D(2026, 3, 2)),  # the renewal window opens
        (Status.COMPLIANT, D(2026, 5, 1), 0, D(2026, 5, 1)),  # no window: expires
        (Status.COMPLIANT, None, 60, None),  # never expires
        (Status.RENEWAL_DUE, D(2026, 3, 20), 60, D(2026, 3, 20)),  # expires
        (Status.EXPIRED, D(2025, 1, 1), 60, None),
        (Status.EXEMPT, D(2026, 6, 30), 60, D(2026, 7, 1)),  # stops covering the next day
        (Status.EXEMPT, None, 60, None),  # open-ended
    ],
)
def test_status_changes_on(status, key_date, window, expected):
    assert status_changes_on(status, key_date=key_date, renewal_window_days=window) == expected


# --- building, rolling, refreshing ----------------------------------------------------------


def test_rebuild_holds_every_pair_of_the_scene_as_the_rules_decide(scene):
    written = state.pair_states_rebuild(today=ON)
    people = scene.people
    rows = _rows()
    assert written == len(rows) == 10
    assert rows[people["asha"].pk, scene.hsb101.pk] == (Status.COMPLIANT, D(2028, 1, 10), D(2027, 11, 11))
    assert rows[people["asha"].pk, scene.hsb201.pk][0] is Status.OVERDUE
    assert rows[people["dan"].pk, scene.hsb101.pk] == (Status.DUE, D(2026, 5, 2), D(2026, 5, 2))
    assert rows[people["rhys"].pk, scene.hsb101.pk] == (Status.RENEWAL_DUE, D(2026, 3, 20), D(2026, 3, 20))
    assert rows[people["ewa"].pk, scene.hsb101.pk] == (Status.EXPIRED, D(2025, 1, 1), None)
    assert rows[people["femi"].pk, scene.hsb101.pk] == (Status.EXEMPT, None, None)
    assert not any(staff_id == people["gail"].pk for staff_id, _ in rows)  # a leaver has no pairs
    assert state_day() == ON and maintained(ON) and not maintained(ON + datetime.timedelta(days=1))
    assert state_differences(on=ON) == []


def test_inactive_agencies_keep_their_pairs(scene):
    scene.agency_b.active = False
    scene.agency_b.save()
    state.pair_states_rebuild(today=ON)
    assert PairState.objects.filter(staff__agency=scene.agency_b).count() == 3
    assert state_differences(on=ON) == []


def test_roll_refreshes_what_changes_and_a_second_roll_finds_nothing(scene):
    state.pair_states_rebuild(today=ON)
    # By 20 March Rhys's renewal-due completion has expired; by 2 May Dan's pairs are overdue.
    assert state.pair_states_roll(today=D(2026, 3, 20)) > 0
    rhys = PairState.objects.get(staff=scene.people["rhys"], module=scene.hsb101)
    assert rhys.status == Status.EXPIRED
    assert state_differences(on=D(2026, 3, 20)) == []
    assert state.pair_states_roll(today=D(2026, 3, 20)) == 0
    state.pair_states_roll(today=D(2026, 5, 2))
    assert set(PairState.objects.filter(staff=scene.people["dan"]).values_list("status", flat=True)) == {
        Status.OVERDUE
    }
    assert state_differences(on=D(2026, 5, 2)) == []


def test_roll_finds_a_starter_a_leaver_and_a_requirement_that_begin_after_the_state_day(scene):
    from tests import factories

    starter = factories.StaffMemberFactory(
        agency=scene.agency_a, job_role=scene.police, start_date=D(2026, 3, 10), role_since=D(2026, 3, 10)
    )
    asha = scene.people["asha"]
    asha.left_on = D(2026, 3, 8)
    asha.save()
    factories.RequirementFactory(job_role=scene.police, module=scene.hsb201, starts_on=D(2026, 3, 9))
    state.pair_states_rebuild(today=ON)
    assert not PairState.objects.filter(staff=starter).exists()
    state.pair_states_roll(today=D(2026, 3, 10))
    assert PairState.objects.filter(staff=starter).count() == 2
    assert not PairState.objects.filter(staff=asha).exists()
    assert PairState.objects.filter(staff=scene.people["cara"], module=scene.hsb201).exists()
    assert state_differences(on=D(2026, 3, 10)) == []


def test_roll_after_a_long_gap_or_back_in_time_rebuilds(scene):
    state.pair_states_rebuild(today=ON)
    PairState.objects.all().delete()  # a roll that only refreshed what changes would not see this
    state.pair_states_roll(today=ON + datetime.timedelta(days=state.ROLL_REBUILD_AFTER_DAYS + 1))
    assert PairState.objects.count() == 10
    PairState.objects.all().delete()
    state.pair_states_roll(today=ON)
    assert PairState.objects.count() == 10 and state_day() == ON


def test_without_a_state_a_refresh_writes_nothing(scene):
    assert state.pair_states_refresh(staff=[scene.people["asha"].pk]) == 0
    state.pairs_changed(staff=[scene.people["asha"]], modules=[scene.hsb101])
    assert not PairState.objects.exists() and not ComplianceState.objects.exists()
    assert state_day() is None and not maintained(ON)


def test_refresh_replaces_only_the_pairs_named(scene):
    state.pair_states_rebuild(today=ON)
    PairState.objects.update(status=Status.EXPIRED)
    state.pair_states_refresh(staff=[scene.people["asha"].pk], modules=[scene.hsb101.pk])
    rows = _rows()
    assert rows[scene.people["asha"].pk, scene.hsb101.pk][0] is Status.COMPLIANT
    assert rows[scene.people["asha"].pk, scene.hsb201.pk][0] is Status.EXPIRED  # not named: left alone
    state.pair_states_refresh(modules=[scene.hsb201.pk])
    assert _rows()[scene.people["asha"].pk, scene.hsb201.pk][0] is Status.OVERDUE


def test_a_batch_refreshes_once_at_the_end_and_not_at_all_after_an_error(scene):
    state.pair_states_rebuild(today=ON)
    PairState.objects.update(status=Status.EXPIRED)
    asha, ben = scene.people["asha"], scene.people["ben"]
    with pytest.raises(ValueError), transaction.atomic(), state.pair_states_batch():
        state.pairs_changed(staff=[asha])
        raise ValueError("refused")
    assert set(_rows().values()) == {row for row in _rows().values() if row[0] is Status.EXPIRED}
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), state.pair_states_batch():
        state.pairs_changed(staff=[asha])
        state.pairs_changed(staff=[ben])
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # lock, counts taken away, modules, requirements, delete, insert, counts added, zeros dropped:
    # once for both
    assert len(statements) == 8
    assert PairState.objects.get(staff=ben, module=scene.hsb101).status == Status.COMPLIANT


def test_a_refresh_of_many_people_goes_in_chunks(scene, monkeypatch):
    state.pair_states_rebuild(today=ON)
    PairState.objects.all().delete()
    monkeypatch.setattr(state, "IDS_PER_STATEMENT", 3)
    assert state.pair_states_refresh(staff={person.pk for person in scene.people.values()}) == 10
    assert state_differences(on=ON) == []


# --- the check and the repair ---------------------------------------------------------------


def _corrupt(scene):
    """A status changed, a pair missing and a pair that should not exist (a leaver's)."""
    PairState.objects.filter(staff=scene.people["asha"], module=scene.hsb101).update(status=Status.EXPIRED)
    PairState.objects.filter(staff=scene.people["ben"], module=scene.hsb201).delete()
    gail = scene.people["gail"]
    PairState.objects.create(
        staff=gail,
        module=scene.hsb101,
        status=Status.OVERDUE,
        agency_id=gail.agency_id,
        job_role_id=gail.job_role_id,
    )


def test_check_finds_a_state_corrupted_on_purpose_and_writes_nothing(scene, capsys):
    state.pair_states_rebuild(today=ON)
    _corrupt(scene)
    before = _rows()
    with pytest.raises(CommandError, match="3 pairs differ: run with --repair to fix them.") as raised:
        call_command("compliance_state", "--check")
    assert raised.value.returncode == 1
    out = capsys.readouterr().out
    asha, ben, gail = (scene.people[name].pk for name in ("asha", "ben", "gail"))
    assert "3 pairs differ from the rules on 04/03/2026:" in out
    assert (
        f"staff {asha}, module {scene.hsb101.pk}: rules compliant (key date 2028-01-10, changes 2027-11-11), "
        "state expired (key date 2028-01-10, changes 2027-11-11)" in out
    )
    assert f"staff {ben}, module {scene.hsb201.pk}: rules compliant" in out and "state no pair" in out
    assert f"staff {gail}, module {scene.hsb101.pk}: rules no pair, state overdue (key date none" in out
    assert _rows() == before


def test_repair_fixes_a_state_corrupted_on_purpose(scene, capsys):
    state.pair_states_rebuild(today=ON)
    _corrupt(scene)
    call_command("compliance_state", "--check", "--repair")
    assert "Repaired 3 pairs: the state now agrees with the rules." in capsys.readouterr().out
    assert state_differences(on=ON) == []
    call_command("compliance_state", "--check")
    assert "agrees with the rules" in capsys.readouterr().out


def test_check_finds_counts_corrupted_on_purpose_and_the_repair_counts_afresh(scene, capsys):
    state.pair_states_rebuild(today=ON)
    people = StateCount.objects.filter(module_id=0).order_by("pk").first()
    StateCount.objects.filter(pk=people.pk).update(total=people.total + 5)
    with pytest.raises(CommandError, match="1 counts differ: run with --repair to fix them."):
        call_command("compliance_state", "--check")
    out = capsys.readouterr().out
    assert "1 counts differ from the rules' pairs on 04/03/2026:" in out
    assert f"people with status bits {people.bits}: rules {people.total}, state {people.total + 5}" in out
    assert StateCount.objects.get(pk=people.pk).total == people.total + 5  # a check writes nothing
    call_command("compliance_state", "--check", "--repair")
    assert "Repaired 1 counts: the state now agrees with the rules." in capsys.readouterr().out
    assert count_differences(on=ON) == [] and state_differences(on=ON) == []


def test_the_counts_equal_the_rules_after_a_rebuild_and_a_refresh(scene, on_day):
    state.pair_states_rebuild(today=ON)
    assert StateCount.objects.exists() and count_differences(on=ON) == []
    team = factories.TeamFactory(agency=scene.agency_a)
    workforce_services.staff_update(staff=scene.people["asha"], team=team)
    assert count_differences(on=ON) == []
    assert compliance_counts(on=ON, team=team, from_state=True) == compliance_counts(on=ON, team=team)
    assert compliance_counts(on=ON, from_state=True) == compliance_counts(on=ON)


def test_deletes_outside_the_services_keep_the_pairs_and_counts(scene, on_day):
    """The admin deleting a person or a team (Django's cascades, no service write) leaves the
    state and its counts equal to the rules."""
    team = factories.TeamFactory(agency=scene.agency_a)
    workforce_services.staff_update(staff=scene.people["asha"], team=team)
    added = factories.StaffMemberFactory(
        agency=scene.agency_a, job_role=scene.people["asha"].job_role, team=team
    )
    state.pair_states_rebuild(today=ON)
    assert PairState.objects.filter(staff=added).exists()
    added.delete()  # no completions: the admin may delete the record
    assert state_differences(on=ON) == [] and count_differences(on=ON) == []
    team.delete()  # its people lose their team (SET_NULL)
    assert state_differences(on=ON) == [] and count_differences(on=ON) == []
    assert not StateCount.objects.filter(team_id=team.pk).exists()


def test_a_repair_of_counts_refreshes_people_counted_under_a_group_no_longer_theirs(scene, on_day):
    state.pair_states_rebuild(today=ON)
    team = factories.TeamFactory(agency=scene.agency_a)
    # A change that bypasses the services (an UPDATE): the pairs are still counted without a team.
    type(scene.people["asha"]).objects.filter(pk=scene.people["asha"].pk).update(team=team)
    assert count_differences(on=ON) != []
    assert state.pair_states_check(repair=True) > 0
    assert count_differences(on=ON) == [] and state_differences(on=ON) == []
    assert set(PairState.objects.filter(staff=scene.people["asha"]).values_list("team_id", flat=True)) == {
        team.pk
    }


def test_differences_name_what_the_rules_and_the_table_say(scene):
    state.pair_states_rebuild(today=ON)
    PairState.objects.filter(staff=scene.people["dan"], module=scene.hsb101).update(changes_on=None)
    [difference] = state_differences(on=ON)
    assert difference.expected == StateRow(Status.DUE, D(2026, 5, 2), D(2026, 5, 2), D(2026, 2, 1))
    assert difference.found == StateRow(Status.DUE, D(2026, 5, 2), None, D(2026, 2, 1))


def test_check_without_a_state_says_how_to_build_it(db):
    with pytest.raises(CommandError, match="no compliance state yet: run compliance_state --roll"):
        call_command("compliance_state", "--check")
    assert not ComplianceState.objects.exists()


def test_repair_needs_check(db):
    with pytest.raises(CommandError, match="--repair goes with --check."):
        call_command("compliance_state", "--roll", "--repair")
    assert not ComplianceState.objects.exists() and not PairState.objects.exists()


def test_roll_and_rebuild_commands(scene, on_day, capsys):
    call_command("compliance_state", "--roll")
    assert "Rolled the compliance state to 04/03/2026: 10 pairs refreshed." in capsys.readouterr().out
    call_command("compliance_state", "--rebuild")
    assert "Rebuilt the compliance state for 04/03/2026: 10 pairs." in capsys.readouterr().out
    assert state_day() == ON


# --- the state rolled through random histories agrees with the pure rules -------------------


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), steps=st.lists(st.integers(0, 12), min_size=1, max_size=6))
def test_state_rolled_day_by_day_agrees_with_the_rules(history, steps):
    """Built on the history's first report day, then rolled forward by random steps (0 to 12 days,
    across the history's edges) and once back: after every roll the table equals the pure rules."""
    with transaction.atomic():
        _build(history)
        day = _day(min(history["on"]))
        state.pair_states_rebuild(today=day)
        assert state_differences(on=day) == []
        for step in steps:
            day += datetime.timedelta(days=step)
            state.pair_states_roll(today=day)
            assert state_differences(on=day) == [], day
            assert count_differences(on=day) == [], day
        day -= datetime.timedelta(days=3)
        state.pair_states_roll(today=day)
        assert state_differences(on=day) == [], day
        assert count_differences(on=day) == [], day
        transaction.set_rollback(True)


# --- the nightly tasks ----------------------------------------------------------------------


def test_the_roll_task_moves_the_state_to_today_and_a_rerun_changes_nothing(scene, on_day):
    tasks.compliance_state_roll_task()
    assert state_day() == ON and PairState.objects.count() == 10
    before = _rows()
    tasks.compliance_state_roll_task()
    assert _rows() == before


def test_the_check_task_repairs_and_logs_an_error(scene, caplog):
    state.pair_states_rebuild(today=ON)
    _corrupt(scene)
    tasks.compliance_state_check_task()
    assert state_differences(on=ON) == []
    assert "The compliance state differed from the rules in 3 pairs or counts; repaired." in caplog.text


def test_the_check_task_without_a_state_builds_nothing(db):
    tasks.compliance_state_check_task()
    assert not ComplianceState.objects.exists()


@pytest.mark.parametrize(
    ("name", "task", "schedule"),
    [
        ("compliance-state-roll", "training.tasks.compliance_state_roll_task", crontab(hour=0, minute=5)),
        ("compliance-state-check", "training.tasks.compliance_state_check_task", crontab(hour=1, minute=30)),
    ],
)
def test_the_beat_schedule_rolls_after_midnight_and_checks_before_the_snapshot(name, task, schedule):
    entry = celery_app.conf.beat_schedule[name]
    assert entry["task"] == task and entry["schedule"] == schedule
    assert task in celery_app.tasks
