"""The maintained compliance state: the status of every (person, module) pair kept in the database
(training.models.PairState) for one day (training.models.ComplianceState), so that pages of
figures and lists read a table instead of running the engine.

The engine stays the one definition. Every row is written by `pair_states_refresh`, which runs the
engine's own set-based query (training.selectors.engine.pair_state_query) for the pairs a write may
have changed and replaces them, in the writer's transaction, taking their counts
(training.models.StateCount) away before and adding them back after. The services that write what a status
depends on (completions, staff, requirements, assignments, exemptions, modules, imports) call
`pairs_changed`; several writes in one service collect their pairs in `pair_states_batch` and
refresh once at the end. `pair_states_roll` (nightly) moves the state to a new day, refreshing the
pairs whose status may change by their own dates (`changes_on`) and the people something began or
ended for on the days in between. `state_differences` (training.selectors.state) compares the table
with a full run of the pure rules; `compliance_state --check [--repair]` prints and repairs them.

Concurrency: a refresh takes the lock of the ComplianceState row and holds it to the end of its
transaction, so refreshes (and the roll) happen one at a time, each seeing every write committed
before it. Pair-changing writes are therefore serialised at their last step; reads never wait.
"""

import contextlib
import datetime
import threading

from django.db import connection, transaction
from django.utils import timezone

from workforce.database import analyze
from workforce.models import StaffMember

from .models import (
    Assignment,
    Completion,
    ComplianceState,
    Exemption,
    PairState,
    Requirement,
    StateCount,
    Verification,
)
from .selectors.engine import STATUS_BITS, pair_state_query

STATE_ID = 1
# A roll over more days than this rebuilds every pair (cheaper than finding what began on each day).
ROLL_REBUILD_AFTER_DAYS = 31
# Ids per statement when a refresh is given a list (SQLite allows 999 parameters per statement).
IDS_PER_STATEMENT = {"postgresql": 20_000}.get(connection.vendor, 500)

_COLUMNS = "staff_id, module_id, status, key_date, changes_on, agency_id, team_id, job_role_id, anchor_on"


def _locked_day() -> datetime.date | None:
    """The state's day, with its row locked to the end of the transaction; None before the first
    roll (nothing is maintained, every reader uses the engine)."""
    state = ComplianceState.objects.select_for_update().filter(pk=STATE_ID).first()
    return state.on if state is not None else None


def pair_states_refresh(*, staff=None, modules=None, on: datetime.date | None = None) -> int:
    """Recompute the maintained pairs of `staff` (ids, or a StaffMember queryset that does not read
    PairState; None: everyone) for `modules` (ids; None: every module) on the state's day, and
    replace them: one delete and one insert of the engine's rows, a fixed number of statements
    whatever the number of people (lists are sent in chunks). Returns the pairs written; 0 without
    a state. `on` is for the roll and rebuild, which set the day themselves."""
    with transaction.atomic():
        day = _locked_day() if on is None else on
        if day is None:
            return 0
        if staff is None or not isinstance(staff, list | tuple | set | frozenset):
            written = _refresh(staff, modules, day)
        else:
            ids = sorted(staff)
            written = sum(
                _refresh(ids[start : start + IDS_PER_STATEMENT], modules, day)
                for start in range(0, len(ids), IDS_PER_STATEMENT)
            )
        # A rebuild, a roll or a large import replaces many rows: the next page's counts must be
        # planned on the table as it now is (workforce.database). Without this, after seed_demo
        # --staff 250000 the dashboard's count was planned for 7,428 pairs of 573,330.
        analyze(PairState, rows=written)
        return written


def _refresh(staff, modules, day) -> int:
    """Replace the pairs of `staff` (a list of ids, a queryset or None: everyone) and their counts.
    The counts of these people are taken away before and added back after, both read from the
    pairs themselves (a person's counts depend on every one of their pairs, so all of them are
    counted whichever modules are refreshed); a refresh of everyone counts the table afresh."""
    people = StaffMember.objects.filter(pk__in=staff) if isinstance(staff, list) else staff
    stale = PairState.objects.all()
    if people is not None:
        ids = staff if isinstance(staff, list) else people.values("pk")
        stale = stale.filter(staff__in=ids)
        _count(-1, ids, tidy=False)
    if modules is not None:
        stale = stale.filter(module__in=list(modules))
    stale.delete()  # one DELETE: nothing depends on a PairState row
    query = pair_state_query(on=day, staff=people, module=list(modules) if modules is not None else None)
    written = 0
    if query is not None:
        sql, params = query
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {_PAIRS} ({_COLUMNS}) {sql}", params)  # noqa: S608 - our own SQL
            written = cursor.rowcount
    if people is not None:
        _count(+1, ids)
    else:
        _recount()
    return written


# ---------------------------------------------------------------------------------------------
# The counts (training.models.StateCount): the pairs grouped, kept beside them
# ---------------------------------------------------------------------------------------------

_PAIRS = connection.ops.quote_name(PairState._meta.db_table)
_COUNTS = connection.ops.quote_name(StateCount._meta.db_table)


def _bit_of(status: str) -> str:
    whens = " ".join(f"WHEN '{each.value}' THEN {bit}" for each, bit in STATUS_BITS.items())
    return f"CASE {status} {whens} END"


# The statuses are this project's own identifiers (checked below), formatted in as the bits are.
assert all(each.value.isidentifier() for each in STATUS_BITS)  # noqa: S101 - a guard on constants
_PERSON_BITS = " + ".join(
    f"MAX(CASE WHEN status = '{each.value}' THEN {bit} ELSE 0 END)" for each, bit in STATUS_BITS.items()
)

# Rows of pairs by (agency, team, job role, module, status) and rows of people (module 0) by
# (agency, team, job role, their statuses' bits), each count times `sign`, added into the table.
# A person's rows share one group (they are written together); MIN makes it one group even if not.
_COUNT_SQL = f"""
INSERT INTO {_COUNTS} (agency_id, team_id, job_role_id, module_id, bits, total)
SELECT agency_id, team_id, job_role_id, module_id, bits, total FROM (
    SELECT agency_id, COALESCE(team_id, 0) AS team_id, job_role_id, module_id,
        {_bit_of("status")} AS bits, {{sign}} * COUNT(*) AS total
    FROM {_PAIRS} WHERE {{where}}
    GROUP BY agency_id, COALESCE(team_id, 0), job_role_id, module_id, status
    UNION ALL
    SELECT agency_id, team_id, job_role_id, 0, bits, {{sign}} * COUNT(*) FROM (
        SELECT MIN(agency_id) AS agency_id, COALESCE(MIN(team_id), 0) AS team_id,
            MIN(job_role_id) AS job_role_id, {_PERSON_BITS} AS bits
        FROM {_PAIRS} WHERE {{where}} GROUP BY staff_id
    ) people
    GROUP BY agency_id, team_id, job_role_id, bits
) counted
WHERE total <> 0
ON CONFLICT (agency_id, team_id, job_role_id, module_id, bits)
DO UPDATE SET total = {_COUNTS}.total + excluded.total
"""  # noqa: S608 - only this module's own names and constants are formatted in


def _count(sign: int, staff, *, tidy: bool = True) -> None:
    """Add the counts of the pairs of `staff` (ids, a queryset of ids, or None: every pair) times
    `sign` (+1, -1) into the table and, with `tidy`, drop the groups left at zero (a refresh takes
    away and adds back, and tidies once). One statement, two when tidying."""
    if staff is None:
        where, params = "1 = 1", []
    elif isinstance(staff, list):
        if not staff:
            return
        where, params = f"staff_id IN ({', '.join(['%s'] * len(staff))})", list(staff)
    else:
        subquery, params = staff.query.sql_with_params()
        where, params = f"staff_id IN ({subquery})", list(params)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL.format(where=where, sign=int(sign)), [*params, *params])
        if tidy:
            cursor.execute(f"DELETE FROM {_COUNTS} WHERE total = 0")  # noqa: S608 - our own table


def _recount() -> None:
    StateCount.objects.all().delete()
    _count(+1, None)


def pair_counts_recount() -> None:
    """Count every pair afresh (the repair of counts that differ), under the state's lock."""
    with transaction.atomic():
        if _locked_day() is not None:
            _recount()


def pair_states_forget(*, staff_ids) -> None:
    """People are being deleted (training.receivers, before the delete): take their pairs and their
    counts away now, while the pairs still say what was counted."""
    ids = sorted(staff_ids)
    with transaction.atomic():
        if _locked_day() is None:
            return
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            chunk = ids[start : start + IDS_PER_STATEMENT]
            _count(-1, chunk)
            PairState.objects.filter(staff_id__in=chunk).delete()


def pair_states_rebuild(*, today: datetime.date) -> int:
    """Recompute every pair for `today` and make it the state's day (the first roll, the repair, a
    roll after a long gap). Returns the pairs written."""
    with transaction.atomic():
        _lock_or_create(today)
        PairState.objects.all().delete()
        written = pair_states_refresh(on=today)  # everyone: the counts are counted afresh
        _set_day(today)
    return written


def pair_states_roll(*, today: datetime.date) -> int:
    """Move the state to `today` (the nightly task; safe to run twice: a second run finds nothing
    due). Refreshes the pairs whose status may change by their own dates on or before today, and
    everyone for whom something began or ended after the state's day and by today: a start or
    leaving date, a requirement of their role, an assignment, an exemption, a completion dated
    ahead. Without a state, or after a gap of more than ROLL_REBUILD_AFTER_DAYS (or a day back),
    every pair is rebuilt. Returns the pairs written."""
    with transaction.atomic():
        since = _locked_day()
        if since is None or not (0 <= (today - since).days <= ROLL_REBUILD_AFTER_DAYS):
            return pair_states_rebuild(today=today)
        if since == today:
            return 0
        ids = _people_changing(since=since, today=today)
        written = pair_states_refresh(staff=ids, on=today) if ids else 0
        _set_day(today)
    return written


def _people_changing(*, since, today) -> set[int]:
    """Ids of the people whose pairs may differ between `since` and `today` (after, up to and
    including), read before anything is replaced (the set includes pairs' own change days)."""
    after = {"__gt": since, "__lte": today}

    def dated(queryset, field, key="staff_id"):
        lookups = {f"{field}{suffix}": day for suffix, day in after.items()}
        return set(queryset.filter(**lookups).values_list(key, flat=True))

    roles = dated(Requirement.objects.all(), "starts_on", "job_role_id")
    return (
        set(PairState.objects.filter(changes_on__lte=today).values_list("staff_id", flat=True))
        | dated(StaffMember.objects.all(), "start_date", "pk")
        | dated(StaffMember.objects.all(), "left_on", "pk")
        | set(StaffMember.objects.filter(job_role__in=roles).values_list("pk", flat=True))
        | dated(Assignment.objects.all(), "assigned_on")
        | dated(Exemption.objects.all(), "starts_on")
        | dated(Completion.objects.filter(verification=Verification.VERIFIED), "completed_on")
    )


def _lock_or_create(today):
    state, _ = ComplianceState.objects.select_for_update().get_or_create(
        pk=STATE_ID, defaults={"on": today, "rolled_at": timezone.now()}
    )
    return state


def _set_day(today):
    ComplianceState.objects.filter(pk=STATE_ID).update(on=today, rolled_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Writers say which pairs they may have changed
# ---------------------------------------------------------------------------------------------

_batch = threading.local()


def pairs_changed(*, staff=(), modules=()) -> None:
    """A write may have changed the pairs of `staff` (ids or instances: every module of theirs) and
    of `modules` (ids or instances: everyone's): refresh them now, in the caller's transaction, or
    at the end of the enclosing `pair_states_batch`."""
    staff_ids = {getattr(each, "pk", each) for each in staff}
    module_ids = {getattr(each, "pk", each) for each in modules}
    pending = getattr(_batch, "pending", None)
    if pending is not None:
        pending[0].update(staff_ids)
        pending[1].update(module_ids)
        return
    _flush(staff_ids, module_ids)


def staff_changed(staff_ids) -> None:
    """The listener workforce.services calls when people's records change (their start, leaving
    date, job role or agency may decide their pairs)."""
    pairs_changed(staff=staff_ids)


@contextlib.contextmanager
def pair_states_batch():
    """Collect the pairs the writes inside change and refresh them once, when the outermost block
    ends without an error (an error rolls the writes back anyway). Use inside the transaction."""
    if getattr(_batch, "pending", None) is not None:
        yield
        return
    _batch.pending = (set(), set())
    try:
        yield
        staff_ids, module_ids = _batch.pending
    finally:
        _batch.pending = None
    _flush(staff_ids, module_ids)


def _flush(staff_ids, module_ids):
    if not staff_ids and not module_ids:
        return
    with transaction.atomic():
        if staff_ids:
            pair_states_refresh(staff=staff_ids)
        if module_ids:
            pair_states_refresh(modules=module_ids)


def pair_states_repair(*, differences, counts=False) -> int:
    """Refresh the people of `differences` (training.selectors.state.state_differences) on the
    state's day, so the table agrees with the rules again; with `counts` (the counts differed),
    also the people counted under a group no longer theirs. Then every pair is counted afresh: a
    refresh takes away the counts of the pairs it replaces, which a corrupted pair never had.
    Returns the pairs written."""
    from .selectors.state import misgrouped_staff

    with transaction.atomic():
        people = {difference.staff_id for difference in differences}
        if counts:
            people |= misgrouped_staff()
        written = pair_states_refresh(staff=people) if people else 0
        pair_counts_recount()
    return written


def pair_states_check(*, repair: bool) -> int:
    """Compare the state and its counts with a full run of the pure rules for its day and, with
    `repair`, fix what differs (the nightly check). Returns how many pairs and counts differed; 0
    without a state."""
    from .selectors.state import all_differences, state_day

    day = state_day()
    if day is None:
        return 0
    differences, counts = all_differences(on=day)
    if (differences or counts) and repair:
        pair_states_repair(differences=differences, counts=bool(counts))
    return len(differences) + len(counts)
