"""What an evidence attachment may be: the type is decided from the file's content, not its name.

A renamed executable called report.pdf is refused; so is a macro-enabled workbook or document
(.xlsm/.docm carry a different content type inside the zip), and so is anything over 10 MB.
"""

import zipfile
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind("PDF", "application/pdf", (".pdf",))
PNG = FileKind("PNG image", "image/png", (".png",))
JPEG = FileKind("JPEG image", "image/jpeg", (".jpg", ".jpeg"))
DOCX = FileKind(
    "Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
)
XLSX = FileKind(
    "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
)

ALLOWED_DESCRIPTION = "a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file"

# The main part's content type inside an Office Open XML package: the macro-enabled variants
# (.docm, .xlsm) declare different ones, so they do not pass.
_OOXML_MAIN_PARTS = {
    DOCX: (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    XLSX: ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}


class RejectedFile(ValueError):
    """The file cannot be kept; the message says why in plain English."""


def sniff(head: bytes, fileobj) -> FileKind | None:
    """The kind of file from its first bytes (and, for a zip, its contents), or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(fileobj)
    return None


def _ooxml_kind(fileobj) -> FileKind | None:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names:
                return None
            content_types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    for kind, (part, main_type) in _OOXML_MAIN_PARTS.items():
        if part in names and main_type in content_types:
            return kind
    return None


def check_upload(upload) -> FileKind:
    """The kind of an uploaded file, or RejectedFile with a message for the person uploading."""
    name = upload.name or "the file"
    if upload.size == 0:
        raise RejectedFile(f"{name} is empty.")
    if upload.size > MAX_BYTES:
        raise RejectedFile(f"{name} is larger than 10 MB. Upload a smaller file.")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    kind = sniff(head, upload)
    upload.seek(0)
    if kind is None:
        raise RejectedFile(f"{name} must be {ALLOWED_DESCRIPTION}.")
    if not name.lower().endswith(kind.extensions):
        raise RejectedFile(
            f"{name} contains a {kind.label} but its name does not end in {' or '.join(kind.extensions)}. "
            "Rename it and upload it again."
        )
    return kind
