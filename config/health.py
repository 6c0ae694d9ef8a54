"""/healthz: the state of the database, the broker and the worker, as JSON.

200 when all three are healthy; 503 naming the failing parts otherwise. Load balancers and
docker compose health checks call it, so it must answer quickly even when a part is down.
"""

import datetime
import os
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from kombu.transport import filesystem

from notifications.tasks import HEARTBEAT_KEY

from .celery_app import app as celery_app


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_broker():
    # No retries and a short connect timeout: a health check must answer within a couple of
    # seconds, and kombu's defaults would retry for minutes.
    with celery_app.connection_for_write(
        connect_timeout=2, transport_options={"socket_connect_timeout": 2, "socket_timeout": 2}
    ) as conn:
        conn.ensure_connection(max_retries=0)
        conn.default_channel  # noqa: B018 - opening a channel is the check: a closed port fails here
        if isinstance(conn.transport, filesystem.Transport):
            _check_broker_folders(conn.transport_options)
    return {"ok": True}


def _check_broker_folders(options):
    """The file-system transport "connects" even when its folders are missing, then fails on the
    first message; report that here instead."""
    for key in ("data_folder_out", "control_folder"):
        folder = Path(options.get(key, "."))
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise OSError(f"broker folder {folder} does not exist or is not writable")


def _check_worker():
    last = cache.get(HEARTBEAT_KEY)
    if last is None:
        return {"ok": False, "error": "no heartbeat recorded yet; is the worker (and beat) running?"}
    seen = datetime.datetime.fromisoformat(last)
    age = (timezone.now() - seen).total_seconds()
    result = {"last_heartbeat": last, "age_seconds": round(age)}
    if age > settings.HEALTH_WORKER_MAX_AGE:
        result.update(ok=False, error=f"last heartbeat {round(age)} s ago")
    else:
        result["ok"] = True
    return result


CHECKS = {"database": _check_database, "broker": _check_broker, "worker": _check_worker}


@never_cache
def healthz(request):
    parts = {}
    for name, check in CHECKS.items():
        try:
            parts[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is the answer, not an error
            parts[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    failing = [name for name, part in parts.items() if not part["ok"]]
    body = {"status": "ok" if not failing else "unhealthy", "failing": failing, **parts}
    return JsonResponse(body, status=200 if not failing else 503)
