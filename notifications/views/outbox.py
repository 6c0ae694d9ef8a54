"""The reminder outbox for partnership leads: every reminder item with its status, error and
reason; any message exactly as it was sent; sending a failed message again; tomorrow's batch.

Thin views: lead only (anyone else gets 404, workforce.access decides), reads through
notifications.selectors.outbox, the one write through
notifications.services.message_resend.

A message's HTML body was written by our templates from data that partner agencies upload (names,
job titles), so it is treated as untrusted: it is never put into our own page. It is served on its
own by `message_html` with a Content-Security-Policy `sandbox` (no scripts, no same-origin access,
no forms, nothing loaded from elsewhere) and shown in an <iframe sandbox> on the message page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from workforce import access
from workforce.lists import ListControls, Sort, spreadsheet_response

from .. import services, sources
from ..forms.outbox import ALL, OutboxFilterForm
from ..models import ItemStatus, MessageStatus, ReminderMessage
from ..selectors import outbox as outbox_selectors

ITEMS_PER_PAGE = 50
MESSAGES_PER_PREVIEW_PAGE = 50

# The stored HTML may style itself and show inline images, nothing more: no scripts (sandbox
# without allow-scripts), no requests anywhere (default-src 'none'), no forms, no plugins, and only
# our own pages may frame it.
EMAIL_HTML_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


# Why an email cannot be sent again, by its status.
STATUS_WORDS = {
    MessageStatus.PENDING: "is already waiting to be sent",
    MessageStatus.SENDING: "is being sent now",
    MessageStatus.SENT: "was sent",
    MessageStatus.CANCELLED: "was cancelled because nothing in it still applied",
}


def _message_or_404(message_id):
    try:
        return outbox_selectors.message_detail(message_id)
    except ReminderMessage.DoesNotExist:
        raise Http404("No such message.") from None


OUTBOX_SORTS = (
    Sort("planned", "Planned for", fields=("planned_for", "-recipient", "-kind", "-id")),
    Sort("recipient", "Recipient", fields=("recipient", "-planned_for", "id")),
    Sort("status", "Status", fields=("status", "-planned_for", "recipient", "id")),
    Sort("kind", "Reminder", fields=("kind", "stage", "-planned_for", "recipient", "id")),
    Sort("person", "About", fields=("staff__last_name", "staff__first_name", "staff__staff_number", "id")),
    Sort("module", "Module", fields=("module__code", "-planned_for", "recipient", "id")),
    Sort("cycle", "Counted from", fields=("cycle_date", "recipient", "id")),
)
OUTBOX_HEADERS = [
    "Recipient",
    "Status",
    "Reminder",
    "When",
    "Stage code",
    "Planned for",
    "Person",
    "Staff number",
    "Agency",
    "Module code",
    "Module",
    "Counted from",
    "Date",
    "Attempts",
    "Sent at",
    "Error",
    "Reason",
]


def _outbox_row(item):
    staff, module = item.staff, item.module
    agency = staff.agency if staff is not None else item.agency
    return [
        item.recipient,
        item.get_status_display(),
        item.get_kind_display(),
        sources.stage_text(item.stage),
        item.stage,
        item.planned_for,
        staff.full_name if staff else "",
        staff.staff_number if staff else "",
        agency.name if agency else "",
        module.code if module else "",
        module.title if module else "",
        sources.cycle_name(item.stage),
        item.cycle_date,
        item.attempts,
        timezone.localtime(item.sent_at).strftime("%Y-%m-%d %H:%M") if item.sent_at else "",
        item.last_error,
        item.reason,
    ]


@login_required
@never_cache
def outbox(request):
    access.require_lead(request.user)
    form = OutboxFilterForm(request.GET or None)
    filters = form.filters()
    status = filters.pop("status", None)
    controls = ListControls(request, sorts=OUTBOX_SORTS, default="-planned", default_size=ITEMS_PER_PAGE)
    items = controls.ordered(_items(filters, status))
    file_format = controls.wants_download()
    if file_format:
        return spreadsheet_response(
            headers=OUTBOX_HEADERS,
            rows=(_outbox_row(item) for item in items.iterator(chunk_size=2000)),
            name=f"reminder-outbox-{timezone.localdate():%Y-%m-%d}",
            file_format=file_format,
            title="Reminder outbox",
        )
    page = controls.page(items)
    # Counts by status under the other filters, so each is a link that narrows to that status.
    counts = outbox_selectors.outbox_status_counts(**filters)
    total = sum(counts.values())
    status_links = [
        {"value": None, "label": "Any but skipped", "count": total - counts[ItemStatus.SKIPPED]},
        *({"value": value, "label": label, "count": counts[value]} for value, label in ItemStatus.choices),
        {"value": ALL, "label": "Any, including skipped", "count": total},
    ]
    for link in status_links:
        link["selected"] = link["value"] == status
    context = {
        "form": form,
        "filtered": bool(filters or status),
        "status": status,
        "page": page,
        "page_range": page.range,
        "controls": controls,
        "headings": controls.headings(),
        "status_links": status_links,
        "failed": counts[ItemStatus.FAILED],
        "last_run": outbox_selectors.last_planner_run(),
    }
    return render(request, "notifications/outbox/outbox.html", context)


def _items(filters, status):
    if status == ALL:
        return outbox_selectors.outbox_items(**filters)
    if status:
        return outbox_selectors.outbox_items(status=status, **filters)
    # Catch-up records every earlier stage as skipped: they outnumber the rest and were never due
    # to go, so they are shown only when asked for.
    return outbox_selectors.outbox_items(**filters).exclude(status=ItemStatus.SKIPPED)


@login_required
@never_cache
def message_detail(request, pk):
    access.require_lead(request.user)
    message = _message_or_404(pk)
    headers = [("To", message.recipient)]
    if message.from_email:
        headers.append(("From", message.from_email))
    if message.reply_to:
        headers.append(("Reply-To", message.reply_to))
    headers += [(name, value) for name, value in sorted((message.headers or {}).items())]
    context = {
        "message": message,
        "items": list(message.items.all()),
        "headers": headers,
        "can_resend": message.status == MessageStatus.FAILED,
    }
    return render(request, "notifications/outbox/message.html", context)


@login_required
@never_cache
@xframe_options_sameorigin
def message_html(request, pk):
    """The HTML body alone, as sent, under a sandboxing Content-Security-Policy."""
    access.require_lead(request.user)
    message = _message_or_404(pk)
    if not message.html_body:
        raise Http404("This message has no HTML body yet.")
    response = HttpResponse(message.html_body, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_HTML_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_POST
def message_resend(request, pk):
    access.require_lead(request.user)
    message = _message_or_404(pk)
    try:
        services.message_resend(message=message, actor=request.user)
    except ValidationError:
        # Already pending, sending or sent (a second click, or another lead was first): nothing
        # to do, and nothing was changed.
        message.refresh_from_db(fields=["status"])
        messages.info(
            request,
            f"Nothing was sent again: this email {STATUS_WORDS.get(message.status, 'did not fail')}, "
            "and only an email that failed can be sent again.",
        )
    else:
        messages.success(request, f"The email to {message.recipient} is queued to be sent again.")
    return redirect(_back(request, message))


def _back(request, message):
    """Back to the page the button was on (the outbox, with its filters), else the message."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("outbox:message", kwargs={"pk": message.pk})


@login_required
@never_cache
def tomorrow(request):
    """GET shows the preview (kept for a few minutes); POST works it out again, then shows it."""
    access.require_lead(request.user)
    if request.method == "POST":
        outbox_selectors.tomorrow_batch(refresh=True)
        return redirect("outbox:tomorrow")
    preview = outbox_selectors.tomorrow_batch()
    page = Paginator(preview.messages, MESSAGES_PER_PREVIEW_PAGE).get_page(request.GET.get("page"))
    context = {
        "preview": preview,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
    }
    return render(request, "notifications/outbox/tomorrow.html", context)


@login_required
@never_cache
def pause(request):
    """The switch that holds every reminder, and the emails it holds. GET shows them; POST turns
    it on (`paused` "yes") or off, recording who and when."""
    access.require_lead(request.user)
    if request.method == "POST":
        paused = request.POST.get("paused") == "yes"
        services.reminders_pause_set(paused=paused, actor=request.user)
        if paused:
            messages.success(request, "Reminders are paused. Nothing is sent until you resume them.")
        else:
            messages.success(
                request, "Reminders are running again: the emails that were held are on their way."
            )
        return redirect("outbox:pause")
    switch = outbox_selectors.reminder_pause()
    page = Paginator(outbox_selectors.held_messages(), ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "switch": switch,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
    }
    return render(request, "notifications/outbox/pause.html", context)
