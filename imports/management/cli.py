"""What the import commands share (`import_staff`, `import_completions`, and any kind's command):
reading the file named on the command line, running it through the engine as the upload page
does, and reporting the preview as PRODUCT.md section 8 says (one JSON object on standard output
with --json; exit 0 done, 1 input refused, 2 could not run)."""

import json
import os
import pathlib

from django.core.management.base import CommandError

from imports import kinds, services
from imports.models import ImportRecord
from imports.reading import MAX_FILE_BYTES

REFUSED = 1
COULD_NOT_RUN = 2


class OversizeFile:
    """Stands in for a file too large to read: the import record notes it and refuses it."""

    def __init__(self, name, size):
        self.name = name
        self.size = size


def read_upload(path):
    """The file's bytes (or an OversizeFile), or a CommandError with exit status 2."""
    target = pathlib.Path(path)
    try:
        size = os.path.getsize(target)
        if size > MAX_FILE_BYTES:
            return OversizeFile(target.name, size)
        return target.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.", returncode=COULD_NOT_RUN) from None


def run_import(*, kind, path, dry_run, agency=None, dry_run_refusal=None, confirmation=None, **options):
    """Check the file at `path` as an import of `kind` with no user (the command line) and, unless
    `dry_run`, apply it; the preview to report. `dry_run_refusal(preview)` may turn what the kind
    would refuse at commit into the command's own words (which flag to add)."""
    confirmation = confirmation or {}
    import_kind = kinds.get(kind)
    record = services.import_create(
        kind=kind,
        actor=None,
        agency=agency,
        upload=read_upload(path),
        file_name=str(path),
        run_in_background=False,
        **options,
    )
    if record.status == ImportRecord.Status.INVALID:
        return record, import_kind.preview_class.from_record(record)
    preview = services.import_validate(import_record=record)
    if not preview.ok:
        return record, preview
    if dry_run:
        refusal = import_kind.refusal(preview, **confirmation)
        if refusal:
            message = dry_run_refusal(preview) if dry_run_refusal else refusal
            preview.errors = [{"row": None, "column": None, "value": None, "message": message}]
        return record, preview
    try:
        return record, services.import_commit(import_record=record, actor=None, **confirmation)
    except services.ImportRefused as exc:
        preview.errors = exc.errors
        return record, preview


def report(command, preview, *, as_json, committed_word, dry_run):
    """Print the summary (JSON or plain text) and return the exit status: 0 or REFUSED."""
    summary = preview.summary()
    if as_json:
        command.stdout.write(json.dumps(summary))
    else:
        command.stdout.write(_plain(summary))
    if summary["errors"]:
        count = len(summary["errors"])
        command.stderr.write(f"Refused: {count} problem{'s' if count != 1 else ''}. Nothing was changed.")
        return REFUSED
    if dry_run:
        command.stderr.write("Dry run: nothing was changed.")
    else:
        command.stderr.write(committed_word)
    return 0


def _plain(summary):
    counts = ", ".join(
        f"{key}: {value}" for key, value in summary.items() if key not in ("errors", "committed")
    )
    lines = [counts, f"committed: {'yes' if summary['committed'] else 'no'}"]
    for error in summary["errors"]:
        where = []
        if error["row"] is not None:
            where.append(f"row {error['row']}")
        if error["column"]:
            where.append(error["column"])
        value = f" ({error['value']})" if error["value"] not in (None, "") else ""
        prefix = f"{', '.join(where)}{value}: " if where or value else ""
        lines.append(f"  {prefix}{error['message']}")
    return "\n".join(lines)


def agency_from_slug(slug):
    """The agency with this slug, or a CommandError (exit 2) that lists the known slugs."""
    from workforce.models import Agency

    agency = Agency.objects.filter(slug=slug.strip()).first()
    if agency is None:
        known = ", ".join(Agency.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
        message = f"There is no agency with the slug {slug!r}. Known agencies: {known}."
        raise CommandError(message, returncode=COULD_NOT_RUN)
    return agency
