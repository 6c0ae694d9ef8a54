"""GOV.UK Notify's delivery-status callback: Notify POSTs what became of each email it sent.

Notify authenticates itself with the bearer token set on the callback in its dashboard
(NOTIFY_CALLBACK_TOKEN). A "permanent-failure" receipt for an outbox email (its reference is
notifications.notify.message_reference) marks that message and its reminders failed with the
reason; other statuses need nothing. Every receipt that is understood gets 200 (Notify retries
anything else), also one about an email that is not in the outbox (a sign-in link).
"""

import hmac
import json
import logging

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import notify, services

logger = logging.getLogger(__name__)

PERMANENT_FAILURE = "permanent-failure"
REASON = "GOV.UK Notify could not deliver this email: the address does not exist or cannot receive email"


def _authorised(request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.NOTIFY_CALLBACK_TOKEN.encode()
    )


@csrf_exempt
@require_POST
def notify_delivery_status(request):
    if not settings.NOTIFY_CALLBACK_TOKEN:
        raise Http404("Not found")
    if not _authorised(request):
        return JsonResponse({"detail": "A valid bearer token is required."}, status=401)
    try:
        receipt = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "The body must be JSON."}, status=400)
    if not isinstance(receipt, dict) or not isinstance(receipt.get("status"), str):
        return JsonResponse({"detail": "A delivery receipt has a status."}, status=400)
    message_id = notify.message_id_from_reference(receipt.get("reference"))
    changed = False
    if receipt["status"] == PERMANENT_FAILURE and message_id is not None:
        changed = services.message_delivery_failed(
            message_id=message_id,
            recipient=str(receipt.get("to") or ""),
            reason=f"{REASON} (permanent failure, reported {receipt.get('completed_at') or 'by Notify'}).",
        )
    logger.info(
        "Notify receipt %s for %s: %s", receipt.get("id"), receipt.get("reference"), receipt["status"]
    )
    return JsonResponse({"changed": changed})
