"""What every list page shares: sorting by its columns, pages of 25, 50 or 100, links that keep
the other choices, and a download of exactly the listed rows as CSV or XLSX.

A list page declares its sortable columns (`Sort`) and builds a `ListControls` from the request;
the controls order a queryset (or a list), cut the page, and give the template the links of
each column heading and page size. Choices come from the query string, so a sorted, filtered list
can be bookmarked, shared and downloaded, and works without JavaScript.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from .spreadsheets import iter_csv, xlsx_file

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Sort:
    """A sortable column: its key in the query string, its heading, and how to order by it (field
    names for a queryset, or a function of a row for a list)."""

    key: str
    label: str
    fields: tuple = ()
    row_key: object = None


class ListControls:
    def __init__(self, request, *, sorts, default, page_sizes=PAGE_SIZES, default_size=DEFAULT_PAGE_SIZE):
        self.request = request
        self.sorts = {sort.key: sort for sort in sorts}
        wanted = request.GET.get("sort", "")
        self.descending = wanted.startswith("-")
        key = wanted.removeprefix("-")
        if key not in self.sorts:
            key, self.descending = default.removeprefix("-"), default.startswith("-")
        self.sort = self.sorts[key]
        self.page_sizes = page_sizes
        try:
            size = int(request.GET.get("per_page", default_size))
        except ValueError:
            size = default_size
        self.per_page = size if size in page_sizes else default_size

    # --- ordering and paging -------------------------------------------------------------------

    def ordered(self, rows):
        """`rows` (a queryset, or a list when the sort has a `row_key`) in the chosen order."""
        if self.sort.row_key is not None:
            return sorted(rows, key=self.sort.row_key, reverse=self.descending)
        fields = [_flip(field) for field in self.sort.fields] if self.descending else self.sort.fields
        return rows.order_by(*fields)

    def page(self, rows):
        page = Paginator(rows, self.per_page).get_page(self.request.GET.get("page"))
        page.range = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
        return page

    # --- links --------------------------------------------------------------------------------

    def query(self, **changes):
        """The current query string with `changes` (None removes a value), for a link."""
        values = {key: value for key, value in self.request.GET.items() if key != "page"}
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = str(value)
        return "?" + urlencode(values) if values else "?"

    def headings(self):
        """{key: {label, href, order}} of each sortable column: the link sorts by it, ascending
        first, or the other way when it is the current sort; `order` is aria-sort's value."""
        headings = {}
        for key, sort in self.sorts.items():
            current = key == self.sort.key
            target = f"-{key}" if current and not self.descending else key
            order = ("descending" if self.descending else "ascending") if current else "none"
            headings[key] = {"label": sort.label, "href": self.query(sort=target), "order": order}
        return headings

    def sizes(self):
        return [
            {"size": size, "href": self.query(per_page=size), "current": size == self.per_page}
            for size in self.page_sizes
        ]

    @property
    def csv_href(self):
        return self.query(download="csv")

    @property
    def xlsx_href(self):
        return self.query(download="xlsx")

    def wants_download(self):
        file_format = self.request.GET.get("download")
        return file_format if file_format in CONTENT_TYPES else None


def _flip(field):
    return field[1:] if field.startswith("-") else f"-{field}"


def spreadsheet_response(*, headers, rows, name, file_format, title="Sheet1"):
    """A download of `rows` under `headers` (every cell inert: workforce.spreadsheets), streamed:
    a CSV goes out a line at a time as `rows` yields them, an XLSX is written row by row to a
    temporary file that the response then streams, so memory stays flat however long the list
    (give `rows` as a generator over `.iterator()` to keep it so)."""
    filename = f"{name}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(iter_csv(headers, rows), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        response = FileResponse(
            xlsx_file(headers, rows, title=title),
            as_attachment=True,
            filename=filename,
            content_type=CONTENT_TYPES["xlsx"],
        )
    response["Cache-Control"] = "private, no-store"
    return response
