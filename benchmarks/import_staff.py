"""Time staff-list imports of 50,000 rows on a fresh database, against the targets of issue 5.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_imports_bench \\
        .venv/bin/python benchmarks/import_staff.py [--rows 50000] [--sample 2000] \\
        [--cases csv,reupload] [--profile DIR]

Generates one agency's staff list as XLSX and as CSV, then times, through the same services the
upload page and its background tasks call (imports.services.import_validate, then import_commit, each
reading the stored file again, as they do in separate tasks):

- XLSX, 50,000 new staff, checked and applied            (target: under 15 s)
- CSV, 50,000 new staff, checked and applied             (target: under 5 s)
- the same CSV uploaded again: nothing to change          (target: under 10 s)
- the same CSV with every row changed (for information: bulk updates with history)
- the same staff as a legacy .xls (97-2003) workbook, written by xlwt (for information)
- PostgreSQL's own COPY of the same CSV into a table of the same columns, and the CSV case's time
  as a multiple of it (target: within 10 times)

and django-import-export's own row-by-row import (RowByRowStaffResource.import_data, one row, one history
row and several queries at a time) on a sample of --sample rows of the same CSV, extrapolated to
the full file: timing it on 50,000 rows would take many minutes (--sample 0 leaves it out).
--cases picks some of the cases (xlsx, csv, reupload, changed; reupload and changed need csv);
--profile DIR writes cProfile statistics of each case's check and apply to DIR.

Times are wall-clock seconds in this process (Django already started). Beside them: CPU seconds
of this process and, when the database server runs on this machine, of its backend for this
connection. On a busy machine the wall-clock time is mostly waiting for a core; the two CPU figures
are the work itself.
"""

import argparse
import contextlib
import cProfile
import datetime
import functools
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import database_label, fresh_database, manage, report  # noqa: E402

TARGETS = {"xlsx": 15.0, "csv": 5.0, "reupload": 10.0}
COPY_MULTIPLE_TARGET = 10.0
CASES = ("xlsx", "csv", "reupload", "changed", "xls")
FIRST = "Asha Ben Cara Dev Ela Finn Grace Hari Isla Jon Kai Lena Mo Nia Omar Priya Rhys Sara Tom Zoë".split()
LAST = "Patel Morgan Jones Smith Evans Khan Taylor Brown Wilson O'Brien Davies Hughes Clarke Ahmed".split()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument(
        "--sample", type=int, default=2_000, help="Rows for the row-by-row comparison (0: leave it out)."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"Comma-separated cases to time, of {', '.join(CASES)} (reupload and changed need csv).",
    )
    parser.add_argument("--profile", metavar="DIR", help="Write cProfile statistics of each case here.")
    options = parser.parse_args()
    options.cases = [name.strip() for name in options.cases.split(",") if name.strip()]
    unknown = set(options.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    if {"reupload", "changed"} & set(options.cases) and "csv" not in options.cases:
        parser.error("reupload and changed re-import the csv case's file: add csv")

    with fresh_database() as env:
        # The catalogue of job roles and the eight demo agencies, and no staff.
        manage(env, "seed_demo", "--staff", "0", "--json")
        os.environ.update(env)
        os.environ["DJANGO_DEBUG"] = "false"  # no query log: it would time the logging, not the import
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        import django

        django.setup()
        figures = run(options, label=database_label(env))
    report(f"Staff-list import, {options.rows:,} rows", figures)
    missed = [
        name
        for name, target in TARGETS.items()
        if f"{name}: seconds" in figures and figures[f"{name}: seconds"] > target
    ]
    if options.rows >= 50_000 and missed:
        sys.exit(f"Slower than the target for: {', '.join(missed)}.")


def run(options, *, label):
    from imports.kinds.staff import STAFF_COLUMNS
    from workforce.models import Agency, JobRole
    from workforce.spreadsheets import write_csv, write_xlsx

    roles = list(JobRole.objects.order_by("name"))
    agencies = list(Agency.objects.order_by("slug"))
    headers = [column.header for column in STAFF_COLUMNS]
    rows = staff_rows(options.rows, roles, random.Random(options.seed))
    xlsx, csv = write_xlsx(headers, rows, title="Staff list"), write_csv(headers, rows)
    changed = write_csv(headers, [[*row[:5], f"{row[5]} (acting)", *row[6:]] for row in rows])

    figures = {"database": label, "rows": options.rows}
    timed = functools.partial(case, figures, profile=options.profile)
    if "xlsx" in options.cases:
        timed("xlsx", agencies[0], xlsx, "staff.xlsx", expect="new")
    if "csv" in options.cases:
        timed("csv", agencies[1], csv, "staff.csv", expect="new")
    if "csv" in options.cases and label.startswith("PostgreSQL"):
        copy_baseline(figures, headers, csv)
    if "reupload" in options.cases:
        timed("reupload", agencies[1], csv, "staff.csv", expect="unchanged")
    if "changed" in options.cases:
        timed("every row changed", agencies[1], changed, "staff.csv", expect="updated")
    if "xls" in options.cases:
        timed("xls", agencies[3], xls_bytes(headers, rows), "staff.xls", expect="new")
    if options.sample > 0:
        row_by_row(figures, agencies[2], headers, rows[: options.sample])
    return figures


def xls_bytes(headers, rows):
    """The staff list as a legacy .xls workbook, dates as date cells (xlwt, a test dependency)."""
    import io

    import xlwt

    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Staff list")
    dated = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    for c, header in enumerate(headers):
        sheet.write(0, c, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, dated)
            elif value not in (None, ""):
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def staff_rows(count, roles, rng):
    """One agency's staff in the template's columns: unique numbers and emails, role names and
    aliases in mixed case, about 60 teams, 500 line managers, UK dates, a few planned leavers."""
    names = [role.name for role in roles] + [alias for role in roles for alias in role.alias_list()]
    teams = [f"{area} {kind}" for area in ("North", "South", "East", "West", "Central") for kind in range(12)]
    managers = [f"manager{n}@northshire.example.org" for n in range(500)]
    start = datetime.date(2000, 1, 1)
    today = datetime.date.today()
    rows = []
    for number in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        joined = start + datetime.timedelta(days=rng.randrange(9_000))
        leaves = today + datetime.timedelta(days=rng.randrange(1, 300)) if number % 50 == 0 else None
        rows.append(
            [
                f"E{number:07d}",
                first,
                last,
                f"{first}.{last}.{number}@northshire.example.org".lower().replace("'", "").replace("ë", "e"),
                rng.choice(names).upper() if number % 7 == 0 else rng.choice(names),
                rng.choice(["", "Senior practitioner", "Team manager", "Officer"]),
                rng.choice(teams),
                rng.choice(managers),
                joined,
                leaves,
            ]
        )
    return rows


def server_cpu_seconds():
    """CPU seconds the database server has spent on this connection so far, read from /proc when
    the server runs on this machine (None otherwise). With the process's own CPU seconds, this
    is the work an import costs whatever else the machine is doing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def case(figures, name, agency, data, file_name, *, expect, profile=None):
    from django.contrib.auth import get_user_model

    from imports.services import import_commit, import_create, import_validate
    from workforce.access import LEAD_GROUP

    # A partnership lead uploads, as on the upload page: the history rows name them.
    actor = get_user_model().objects.filter(groups__name=LEAD_GROUP).order_by("pk").first()

    profiler = cProfile.Profile() if profile else None
    server = server_cpu_seconds()
    cpu, started = time.process_time(), time.perf_counter()
    record = import_create(
        kind="staff", actor=actor, agency=agency, upload=data, file_name=file_name, run_in_background=False
    )
    with _profiled(profiler):
        preview = import_validate(import_record=record)
    checked = time.perf_counter()
    _dump(profiler, profile, name, "check")
    if not preview.ok:
        sys.exit(f"{name}: the generated file was refused: {preview.errors[:3]}")
    profiler = cProfile.Profile() if profile else None
    checked_cpu = time.process_time()
    with _profiled(profiler):
        outcome = import_commit(import_record=record, actor=actor)
    done = time.perf_counter()
    apply_cpu = time.process_time() - checked_cpu
    _dump(profiler, profile, name, "apply")
    rows = outcome.rows
    if getattr(outcome, expect) != rows:
        sys.exit(f"{name}: expected {rows:,} {expect} rows, got {outcome.summary()}")
    figures[f"{name}: seconds"] = done - started
    figures[f"{name}: check / apply seconds"] = f"{checked - started:.1f} / {done - checked:.1f}"
    own_cpu = time.process_time() - cpu
    figures[f"{name}: CPU seconds, this process"] = own_cpu
    figures[f"{name}: CPU check / apply seconds"] = f"{own_cpu - apply_cpu:.1f} / {apply_cpu:.1f}"
    if server is not None:
        server_cpu = server_cpu_seconds() - server
        figures[f"{name}: CPU seconds, database server"] = server_cpu
        figures[f"{name}: CPU seconds, both"] = own_cpu + server_cpu
    figures[f"{name}: rows per second"] = int(rows / (done - started))


def copy_baseline(figures, headers, data):
    """COPY the same CSV (header row, UTF-8 with BOM) into a scratch table of the same columns
    (text, and dates for the date columns) with a primary key: the fastest the database itself
    loads these rows."""
    from django.db import connection, transaction

    dates = {"Start date", "Leaving date"}
    columns = ", ".join(f'"{header}" {"date" if header in dates else "text"}' for header in headers)
    body = data.decode("utf-8-sig")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL datestyle = 'ISO, DMY'")
        cursor.execute(f"CREATE TEMPORARY TABLE bench_copy (id bigserial PRIMARY KEY, {columns})")  # noqa: S608
        names = ", ".join(f'"{header}"' for header in headers)
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_copy ({names}) FROM STDIN WITH (FORMAT csv, HEADER)") as copy:
            copy.write(body)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    figures["COPY of the same CSV: seconds"] = seconds
    figures["csv as a multiple of COPY (target: within 10)"] = f"{figures['csv: seconds'] / seconds:.1f}"


@contextlib.contextmanager
def _profiled(profiler):
    if profiler is None:
        yield
        return
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


def _dump(profiler, directory, name, step):
    if profiler is not None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(Path(directory) / f"{name.replace(' ', '-')}-{step}.prof"))


def row_by_row(figures, agency, headers, rows):
    """django-import-export's default import, one row at a time, on a sample of the same rows."""
    import tablib

    from benchmarks._row_by_row import RowByRowStaffResource
    from workforce.spreadsheets import write_csv

    dataset = tablib.Dataset().load(write_csv(headers, rows).decode("utf-8-sig"), format="csv")
    started = time.perf_counter()
    result = RowByRowStaffResource(agency=agency).import_data(dataset, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    if result.totals["new"] != len(rows):
        sys.exit(f"row by row: expected {len(rows):,} new rows, got {dict(result.totals)}")
    per_second = len(rows) / seconds
    full = figures["rows"]
    figures[f"row by row ({len(rows):,}-row sample): seconds"] = seconds
    figures["row by row: rows per second"] = int(per_second)
    figures[f"row by row: extrapolated to {full:,} rows, seconds"] = full / per_second
    if "csv: rows per second" in figures:
        speed_up = figures["csv: rows per second"] / per_second
        figures["CSV import speed-up over row by row"] = f"{speed_up:.0f}x"


if __name__ == "__main__":
    main()
