"""Time the retention run and a subject access zip at partnership scale (issue 17).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_retention_bench \\
        .venv/bin/python benchmarks/retention.py [--staff 50000] [--years-ahead 10]

A fresh database (benchmarks/_harness.py) is seeded with `seed_demo --staff N`; then, as a site
runs them:

- `retention_run --dry-run` on a day --years-ahead years from now (so every demo leaver is past the
  six years and every upload and email past its period): the counts, nothing written;
- `retention_run` on that day: everyone anonymised at once (the first run after go-live on a
  partnership that kept leavers for years), files deleted, email texts emptied;
- the same run again, which finds nothing (the nightly cost once caught up);
- `subject_access` of one current member of staff.

The issue sets no speed target; the nightly run has the night, and the first run should finish
well inside the Celery task time limit (CELERY_TASK_TIME_LIMIT, 900 s by default).
"""

import argparse
import datetime
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import database_label, fresh_database, manage, report, timed_json  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=50_000, help="Demo staff to seed (default 50,000).")
    parser.add_argument("--years-ahead", type=int, default=10, help="Run as if this many years had passed.")
    options = parser.parse_args()
    day = datetime.date.today().replace(year=datetime.date.today().year + options.years_ahead, day=1)
    with fresh_database() as env:
        started = time.perf_counter()
        manage(env, "seed_demo", "--staff", str(options.staff), "--seed", "17")
        print(f"seeded {options.staff:,} staff in {time.perf_counter() - started:.1f} s")
        dry_wall, dry_cpu, dry = timed_json(env, "retention_run", "--today", day.isoformat(), "--dry-run")
        wall, cpu, first = timed_json(env, "retention_run", "--today", day.isoformat())
        again_wall, again_cpu, again = timed_json(env, "retention_run", "--today", day.isoformat())
        assert again == {"anonymised_staff": 0, "files_deleted": 0, "messages_purged": 0}, again
        person = (
            manage(
                env,
                "shell",
                "-c",
                "from workforce.models import StaffMember as S; "
                "p = S.objects.filter(left_on__isnull=True).select_related('agency').order_by('pk')[0]; "
                "print(p.agency.slug, p.staff_number)",
            )
            .stdout.strip()
            .splitlines()[-1]
            .split()
        )
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / "person.zip"
            started = time.perf_counter()
            manage(
                env,
                "subject_access",
                "--agency",
                person[0],
                "--staff-number",
                person[1],
                "--output",
                str(output),
            )
            zip_wall, zip_size = time.perf_counter() - started, output.stat().st_size
        report(
            f"Retention on {database_label(env)}, {options.staff:,} demo staff, run as of {day}",
            {
                "leavers anonymised (first run)": first["anonymised_staff"],
                "email texts emptied (first run)": first["messages_purged"],
                "dry run: wall s (includes start-up)": dry_wall,
                "dry run: CPU s": dry_cpu,
                "first run: wall s (includes start-up)": wall,
                "first run: CPU s": cpu,
                "second run: wall s (includes start-up)": again_wall,
                "second run: CPU s": again_cpu,
                "subject access zip: wall s (includes start-up)": zip_wall,
                "subject access zip: bytes": zip_size,
                "dry run counted the same leavers": str(dry["anonymised_staff"] == first["anonymised_staff"]),
            },
        )


if __name__ == "__main__":
    main()
