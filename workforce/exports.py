"""The export engine: a file of a list or of figures, streamed now, or built in the background
when it is large.

An app registers an export **kind** (`register(ExportKind(...))` from its AppConfig.ready()): how
many rows a file would have (`size`, one cheap query) and its table (`table`: headers and rows
produced while the file is written), both from the user asking and the query string of the page
that asked, so a file built later in a worker is exactly the one the page would have streamed.
Both ask workforce.access: another agency's records are a 404 here as on the pages, and are asked
again when a background file is downloaded (the user may have lost that access meanwhile).

`download_or_job` is the one entry of a view: up to EXPORT_BACKGROUND_ROWS rows the file streams
out at once (workforce.lists.spreadsheet_response: memory stays flat); above, an ExportJob is
queued (workforce.services.export_job_request) and the user is sent to its page, which shows the
progress and the download when ready. Either way the download is one audit event
(workforce.downloads).
"""

import datetime
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect

from .lists import spreadsheet_response
from .spreadsheets import iter_csv, xlsx_write

FORMATS = ("csv", "xlsx")
# Query-string keys that choose a page or a file, not what is in it.
NOT_FILTERS = ("download", "page", "per_page")


class ExportRefused(Exception):
    """The query string does not describe a file (a filter that is not valid); the message says why
    in words for the person who asked."""


@dataclass(frozen=True)
class Table:
    headers: list
    rows: Iterable  # produced while the file is written
    name: str  # the file's name without its extension
    title: str = "Sheet1"
    # () -> how far the file has got, in the unit of the kind's `size` (the people read, where a
    # person may give no row or several); None: the rows written.
    done: Callable | None = None


@dataclass(frozen=True)
class ExportKind:
    key: str
    label: str
    size: Callable  # (user, params: QueryDict, today) -> int: rows, or people (see Table.done)
    table: Callable  # (user, params: QueryDict, today) -> Table


_KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    _KINDS[kind.key] = kind
    return kind


def get(key: str) -> ExportKind | None:
    return _KINDS.get(key)


def params_of(query: QueryDict) -> dict:
    """The filters of a query string as JSON ({key: [values]}), without paging or the format."""
    return {key: values for key, values in query.lists() if key not in NOT_FILTERS}


def query_of(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, values)
    return query


def write(table: Table, file_format: str, target, *, progress=None):
    """Write the file to `target` (a binary file), row by row. `progress(rows_done)` is called at
    most once a second while rows are written, and at the end."""
    rows = table.rows if progress is None else _counted(table.rows, progress, table.done)
    if file_format == "csv":
        for chunk in iter_csv(table.headers, rows):
            target.write(chunk)
    else:
        xlsx_write(target, table.headers, rows, title=table.title)


PROGRESS_EVERY = 500  # rows between looks at the clock
PROGRESS_SECONDS = 1.0  # at most one progress UPDATE a second, whatever the row count


def _counted(rows, progress, done_of):
    written, last = 0, time.monotonic()
    for row in rows:
        yield row
        written += 1
        if written % PROGRESS_EVERY == 0 and time.monotonic() - last >= PROGRESS_SECONDS:
            progress(done_of() if done_of else written)
            last = time.monotonic()
    progress(done_of() if done_of else written)


def download_or_job(request, *, kind: ExportKind, file_format: str, today: datetime.date):
    """The file now, streamed, or above EXPORT_BACKGROUND_ROWS rows a redirect to a background
    job's page. A query string that does not describe a file is a 400 with the reason."""
    user = request.user
    params = params_of(request.GET)
    query = query_of(params)
    try:
        size = kind.size(user, query, today)
        if size > settings.EXPORT_BACKGROUND_ROWS:
            from .services import export_job_request

            job = export_job_request(
                user=user, kind=kind, file_format=file_format, params=params, rows_total=size
            )
            return redirect("export_job", pk=job.pk)
        table = kind.table(user, query, today)
    except ExportRefused as refused:
        return HttpResponseBadRequest(f"The download link is not valid: {refused}", content_type="text/plain")
    return spreadsheet_response(
        headers=table.headers, rows=table.rows, name=table.name, file_format=file_format, title=table.title
    )
