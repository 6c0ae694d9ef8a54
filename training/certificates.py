"""Certificates attached to self-declared completions: what is accepted and where it is kept.

The type is decided from the file's first bytes, never from its name or the browser's claim: a
PNG called certificate.pdf is kept as the PNG it is, and a program renamed certificate.pdf is
refused. Files are stored under MEDIA_ROOT/certificates/ with a random name (the name someone
chose is never used as a path) and are never served from a URL: the view
training.views.records.certificate_download hands them out after workforce.access has said who
may see them.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

MAX_BYTES = 10 * 1024 * 1024
HEAD_BYTES = 16


@dataclass(frozen=True)
class CertificateKind:
    label: str
    content_type: str
    extension: str
    magic: bytes


PDF = CertificateKind("PDF", "application/pdf", ".pdf", b"%PDF-")
PNG = CertificateKind("PNG image", "image/png", ".png", b"\x89PNG\r\n\x1a\n")
JPEG = CertificateKind("JPEG image", "image/jpeg", ".jpg", b"\xff\xd8\xff")
KINDS = (PDF, PNG, JPEG)
BY_EXTENSION = {kind.extension: kind for kind in KINDS}


def sniff(head: bytes) -> CertificateKind | None:
    """The kind of file that starts with `head`, or None when it is none of the accepted kinds."""
    for kind in KINDS:
        if head.startswith(kind.magic):
            return kind
    return None


def _read_head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def certificate_check(upload) -> CertificateKind:
    """The kind of an uploaded certificate, or a ValidationError (on the `certificate` field) that
    tells the person what to do. Reads the first bytes only; writes nothing."""
    name = upload.name or "The file"
    if not upload.size:
        raise ValidationError({"certificate": f"{name} is empty. Choose the certificate file again."})
    if upload.size > MAX_BYTES:
        raise ValidationError(
            {
                "certificate": f"The certificate must be 10 MB or smaller. {name} is "
                f"{filesizeformat(upload.size)}: save it at a lower resolution or as a PDF, and try again."
            }
        )
    kind = sniff(_read_head(upload))
    if kind is None:
        raise ValidationError(
            {
                "certificate": f"The certificate must be a PDF, PNG or JPEG file. {name} is not one of "
                "these, whatever its name says, so it was not saved."
            }
        )
    return kind


def stored_name(kind: CertificateKind) -> str:
    """A random file name with the extension of the file's real type (upload_to adds the folder)."""
    return f"{uuid.uuid4().hex}{kind.extension}"


def kind_of_stored(name: str) -> CertificateKind | None:
    """The kind of a stored certificate: its extension was chosen from its content when it was saved."""
    for extension, kind in BY_EXTENSION.items():
        if name.lower().endswith(extension):
            return kind
    return None
