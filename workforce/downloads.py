"""Every file the tracker hands out is one audit event.

A middleware rather than a line in each view: every download of personal data (staff lists,
compliance and people exports, search and data-quality downloads, certificates, calendar files,
uploaded staff lists and their problem reports, evidence attachments, the admin's exports, the
audit log's own CSV) leaves a response that is a file (Content-Disposition: attachment, or a
FileResponse shown in the browser), so recording it here writes each download exactly once, and
a download added later is recorded without anyone remembering to. Static files never get here
(WhiteNoise answers them earlier).

The actor is the signed-in user, or for a staff member signed in by link, the staff records of
the session (workforce.access).
"""

import re
from urllib.parse import unquote

from django.http import FileResponse

from audit import actions
from audit.services import audit_record

from . import access

_EXTENDED = re.compile(r"filename\*=(?:utf-8'')?([^;\s]+)", re.IGNORECASE)
_QUOTED = re.compile(r'filename="((?:[^"\\]|\\.)*)"')
_PLAIN = re.compile(r"filename=([^;\s]+)")


def _filename(response):
    """The file's name from Content-Disposition (`filename="..."` or RFC 5987 `filename*=`)."""
    disposition = response.get("Content-Disposition", "")
    if found := _EXTENDED.search(disposition):
        return unquote(found.group(1))[:300]
    if found := _QUOTED.search(disposition):
        return found.group(1).replace('\\"', '"')[:300]
    if found := _PLAIN.search(disposition):
        return found.group(1)[:300]
    return ""


def is_download(response) -> bool:
    if response.status_code != 200:
        return False
    disposition = response.get("Content-Disposition", "")
    return disposition.startswith("attachment") or isinstance(response, FileResponse)


class DownloadAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A view that records a more specific event for its file (subject access) marks it.
        if is_download(response) and not getattr(response, "audited", False):
            self._record(request, response)
        return response

    def _record(self, request, response):
        name = _filename(response)
        staff_ids = [] if request.user.is_authenticated else access.signed_in_staff_ids(request)
        audit_record(
            action=actions.DOWNLOAD,
            request=request,
            actor="staff sign-in: " + ", ".join(f"staff #{pk}" for pk in staff_ids) if staff_ids else "",
            target=("file", "", name),
            detail=f"Downloaded {name or 'a file'} from {request.path}",
            extra={"path": request.path, "query": request.GET.urlencode()[:1000], "file": name},
        )
