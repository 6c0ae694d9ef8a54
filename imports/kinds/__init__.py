"""Kinds of import: the small interface the import engine (imports.services) drives, and the
registry of kinds.

A kind is one class in a module of its own: staff lists (imports.kinds.staff) and providers'
completion files (imports.kinds.completions) are registered by ImportsConfig.ready(); a feature
higher up registers its kind from its own AppConfig.ready() (courses: a session's register,
courses.register_kind, whose session chosen at upload is kept in the record's `options`).
The engine never names a kind: it claims the record's steps, reads the file, asks the kind to plan
and preview, pins the preview by its fingerprint, and applies the plan in one transaction.

What a kind provides (see ImportKind):
- `columns`: the spreadsheet's columns (imports.columns.Column) and a `resource` that cleans rows;
- `read(record, data, today, progress)`: the parsed sheet (imports.services.import_read_sheet
  does the reading; a kind adds its own checks across rows);
- `plan(record, parsed, today)`: what the rows would change, with `errors`;
- `preview(record, parsed, plan)`: the Preview stored on the record, with a `fingerprint` of the
  plan that the commit recomputes and must find again;
- `apply(record, plan, actor, today)`: write the plan (inside the engine's transaction);
- for the pages: its words, the preview's tables, the upload form, the template and help.
"""

from dataclasses import dataclass, field

_KINDS = {}


@dataclass(frozen=True)
class Section:
    """One table of a preview: its key (also in the URL of its full list and the name of its
    count on the preview), its title, the template of its rows and the preview field holding them
    (`<key>_rows` unless given)."""

    key: str
    title: str
    template: str
    rows_field: str = ""

    @property
    def rows(self):
        return self.rows_field or f"{self.key}_rows"


def register(kind):
    """Add a kind (an ImportKind instance); registering the same value twice is a mistake."""
    if kind.value in _KINDS and _KINDS[kind.value] is not kind:
        raise ValueError(f"An import kind {kind.value!r} is registered already.")
    _KINDS[kind.value] = kind
    return kind


def get(value):
    """The kind stored as `value` on an import record; LookupError for one nobody registered."""
    try:
        return _KINDS[value]
    except KeyError:
        raise LookupError(f"No import kind {value!r} is registered.") from None


def by_slug(slug):
    for kind in _KINDS.values():
        if kind.slug == slug:
            return kind
    raise LookupError(f"No import kind has the slug {slug!r}.")


def all_kinds():
    return list(_KINDS.values())


def kind_choices():
    """The choices of ImportRecord.kind (a callable, so that a new kind needs no migration)."""
    return [(kind.value, kind.label) for kind in _KINDS.values()]


@dataclass(frozen=True)
class Headings:
    """What the status page calls each step of an import of this kind."""

    validated: str
    committing: str
    committed: str


@dataclass
class Preview:
    """What an import would change (or changed, once committed), stored on its record as JSON.

    Each kind adds its own counts and tables (lists of plain dicts, capped at PREVIEW_LIMIT rows
    each; the counts are always complete). `errors` are dicts with row, column, value and
    message; the record keeps them in a field of their own.
    """

    import_id: int | None
    file_name: str
    file_format: str = ""
    sha256: str = ""
    rows: int = 0
    columns: dict = field(default_factory=dict)
    ignored_columns: list = field(default_factory=list)
    sheet_name: str = ""  # the workbook's sheet that was read
    header_row: int = 1  # the row that held the headings
    errors: list = field(default_factory=list)
    fingerprint: str = ""
    committed: bool = False

    # The record's count fields; a kind without one of them leaves it at 0.
    COUNTS = ("rows", "new", "updated", "unchanged", "leavers", "duplicates")
    # The command's JSON (PRODUCT.md section 8): "committed", these, then "errors".
    SUMMARY = ("rows",)

    @property
    def ok(self):
        return not self.errors

    @classmethod
    def defaults(cls, record):
        """The fields a preview takes from its record."""
        return {"import_id": record.pk, "file_name": record.original_name, "sha256": record.sha256}

    @classmethod
    def from_record(cls, record):
        known = set(cls.__dataclass_fields__)
        data = {
            key: value for key, value in (record.preview or {}).items() if key in known and key != "errors"
        }
        for key, value in cls.defaults(record).items():
            data.setdefault(key, value)
        preview = cls(**data)
        preview.errors = list(record.errors or [])
        return preview

    @classmethod
    def start(cls, record, parsed):
        """A preview of a parsed file: what every kind shows of the file itself."""
        preview = cls(**cls.defaults(record))
        preview.file_format = parsed.file_format
        preview.rows = parsed.row_count
        preview.sheet_name = getattr(parsed, "sheet_name", "")
        preview.header_row = getattr(parsed, "header_row", 1)
        if parsed.match is not None:
            preview.columns = dict(parsed.match.written)
            preview.ignored_columns = list(parsed.match.ignored)
        return preview

    def as_json(self):
        """Everything but the errors, which the record keeps in its own field. A shallow copy: the
        lists hold plain dicts that are written as they are (asdict would copy every row)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "errors"}

    def summary(self):
        return {
            "committed": self.committed,
            **{name: getattr(self, name) for name in self.SUMMARY},
            "errors": self.errors,
        }

    def counts(self):
        return {name: getattr(self, name, 0) for name in self.COUNTS}

    def validated_message(self):
        if self.errors:
            count = len(self.errors)
            return f"Refused: {count:,} problem{'s' if count != 1 else ''} to fix. Nothing was changed."
        return self.checked_message()

    def checked_message(self):
        raise NotImplementedError

    def committed_message(self):
        raise NotImplementedError


class ImportKind:
    """What differs between kinds of import. A kind sets the attributes and implements the
    methods that raise NotImplementedError; the others have defaults."""

    value = ""  # ImportRecord.kind
    label = ""  # "Staff list"
    slug = ""  # in the pages' addresses
    noun = ""  # in a sentence: "staff list"
    columns = ()  # imports.columns.Column
    preview_class = Preview
    sections = ()  # Section: the preview's tables in page order (the problems table follows them)
    count_labels = ()  # (preview field, label) of the figures above the preview
    headings = None  # Headings
    template_stem = ""  # the upload template's file name, without its extension
    template_title = ""  # the title of its first sheet (the label if empty)
    leads_only = False
    has_agency = False  # each import is for one agency (whose HR may then upload it)
    done_word = "applied"  # "so nothing was applied"
    confirmation_fields = ()  # ImportRecord fields the person sets when confirming
    # A file that can be applied once only (a session's register is confirmed once): uploading it
    # again is refused, with nothing written, rather than changing nothing.
    applies_once = False

    # --- access -------------------------------------------------------------------------------

    def may_upload(self, user):
        from workforce import access

        if self.leads_only:
            return access.is_lead(user)
        return access.is_lead(user) or access.is_agency_hr(user)

    def require_upload(self, user):
        """The pages of a kind someone may not use do not exist for them: 404, not 403."""
        from django.http import Http404

        if not self.may_upload(user):
            raise Http404("No such page.")

    def check_access(self, *, actor, agency, options=None):
        """Refuse (Http404 or PermissionDenied) an `actor` who may not import this kind into
        `agency` with these `options` (the record's). `actor` None is the command line, run by
        someone with access to the server."""
        raise NotImplementedError

    def visible_q(self, user):
        """A Q of import records of this kind `user` may see beyond those of the agencies
        workforce.access lets them see (a register's trainer), or None."""
        return None

    def upload_initial(self, query, *, user):
        """The upload form's initial values from the page's query string (a session chosen)."""
        return {}

    # --- reading, planning and applying -------------------------------------------------------

    def read(self, record, data, *, today, progress):
        """The parsed sheet (imports.services.import_read_sheet) with the kind's own checks."""
        raise NotImplementedError

    def load_checked(self, record):
        """The rows the check kept beside the upload, to spare the commit a second read of the
        file; None reads the file again."""
        return None

    def save_checked(self, record, parsed):
        """Keep the checked rows for the commit (a kind whose files are slow to read does)."""

    def lock(self, record):
        """Inside the commit's transaction, before planning again: lock what the plan rests on."""

    def plan(self, record, parsed, *, today):
        """What the rows would change; the plan's `errors` are RowError."""
        raise NotImplementedError

    def preview(self, record, parsed, plan):
        """The Preview of a plan, with the `fingerprint` the commit must find again."""
        raise NotImplementedError

    def refusal(self, preview, **confirmation):
        """Why a file without errors still may not be applied with this confirmation (None: it may)."""
        return None

    def apply(self, record, plan, *, actor, today):
        """Write the plan, inside the engine's transaction. `actor` is a user or None."""
        raise NotImplementedError

    def history_reason(self, record):
        return f"{self.label} import #{record.pk}"

    def plan_changed_message(self):
        return (
            "The records changed after the preview, so nothing was applied. Check the new preview "
            "and confirm again."
        )

    def empty_preview(self, record):
        return self.preview_class(**self.preview_class.defaults(record))

    # --- pages --------------------------------------------------------------------------------
    # The pages are the same for every kind (imports/templates/imports/); what a kind says and
    # shows of its own is here and in its templates under imports/<slug>/: preview.html (the
    # preview's tables), upload_intro.html, history_intro.html, help.html and one template per
    # Section's rows.

    plural_label = ""  # "Staff list uploads": the history page's title
    preview_intro = ""  # above the preview: "Nothing has changed yet..."
    apply_note = ""  # beside the confirm button
    confirm_button = "Confirm"
    none_yet = ""  # the history of a kind with no uploads yet
    help_summary = "the columns and dates"  # what its help page covers, on the upload page

    @property
    def templates(self):
        folder = f"imports/{self.slug}"
        return {
            name: f"{folder}/{name}.html" for name in ("preview", "upload_intro", "history_intro", "help")
        }

    def subject(self, record):
        """What an import is about, after the page title: the agency, or the kind itself."""
        return record.agency.name if record.agency_id else self.noun

    def caption(self, record):
        return f"{record.agency.name} – {self.noun}" if record.agency_id else self.label

    def upload_url(self, *, agency=None):
        from django.urls import reverse

        url = reverse("imports:upload", args=[self.slug])
        return f"{url}?agency={agency.slug}" if agency is not None else url

    def history_url(self, record):
        from django.urls import reverse

        return reverse("imports:history", args=[self.slug])

    def history_link_text(self, record):
        return f"list of {self.noun}s"

    def back_link(self, record):
        """(text, address) of the status page's back link."""
        return self.plural_label, self.history_url(record)

    def next_links(self, record):
        """(text, address) pairs under "What next" once an import is applied."""
        return []

    def facts(self, record):
        """(label, value) pairs of the kind's own in the status page's summary of the import."""
        return []

    def changes_text(self, record):
        """What a checked or applied import changes, in the history table."""
        return ""

    def upload_form(self, data=None, files=None, *, user, initial=None):
        raise NotImplementedError

    def template(self, file_format):
        """(file name, bytes): the upload template, with its headers and an example row."""
        from workforce.spreadsheets import write_csv, write_xlsx

        headers = [column.header for column in self.columns]
        example = [column.example for column in self.columns]
        if file_format == "csv":
            return f"{self.template_stem}.csv", write_csv(headers, [example])
        return f"{self.template_stem}.xlsx", write_xlsx(
            headers, [example], title=self.template_title or self.label, extra_sheets=self.template_sheets()
        )

    def template_sheets(self):
        """Reference sheets of the XLSX template: (title, headers, rows) for each."""
        return ()

    def help_context(self):
        """What the kind's help page needs beyond its columns."""
        return {}

    def present(self, rows):
        """The rows of a preview table as the page shows them (a kind may add names)."""
        return rows
