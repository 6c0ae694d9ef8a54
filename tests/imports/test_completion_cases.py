"""The shared table of completion cases (tests/completion_cases.py) through a completion file;
tests/api/test_completions.py runs the same table through the API."""

import pytest

from imports.services import import_create, import_validate
from tests.completion_cases import CASES, HEADINGS, TODAY, setup_world
from tests.imports.spreadsheet_files import csv_bytes
from training.models import Completion


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_completion_file_row(row, expected, agency_a, agency_b):
    setup_world(agency_a, agency_b)
    # Every column, some cells empty: a provider's file names the person one way or the other.
    data = csv_bytes([[row.get(name, "") for name in HEADINGS]], headers=list(HEADINGS.values()))
    record = import_create(
        kind="completions", actor=None, upload=data, file_name="c.csv", run_in_background=False
    )
    preview = import_validate(import_record=record, today=TODAY)
    if expected == "new":
        assert preview.ok and preview.new == 1, preview.errors
    elif expected == "duplicate":
        assert preview.ok and preview.duplicates == 1 and preview.new == 0
    else:
        field, message = expected
        assert [(error["column"], error["message"]) for error in preview.errors] == [
            (HEADINGS[field], message)
        ]
    assert Completion.objects.count() == 1
