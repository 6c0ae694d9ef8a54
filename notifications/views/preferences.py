"""The digest preference page: reached from the signed link in a digest, no sign-in needed.

The link itself is the proof of address (a signed token), so the page works for line managers who
have no account. A POST with `List-Unsubscribe=One-Click` (RFC 8058, sent by mail programs from
the List-Unsubscribe-Post header) switches that digest off without showing the page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from .. import services, sources
from ..forms.preferences import DigestPreferencesForm
from ..models import DigestOptOut, ReminderItem


def _receiving(email, kind):
    """The digests that concern this address, each with whether it is on: the link's own, any the
    outbox has planned for it and any it switched off (a line manager is not offered the leads'
    monthly board report)."""
    digests = sources.digest_kinds()
    off = set(DigestOptOut.objects.filter(email=email).values_list("kind", flat=True))
    planned = ReminderItem.objects.filter(recipient=email, kind__in=digests).values_list("kind", flat=True)
    theirs = ({kind} | off | set(planned.distinct())) & digests
    return {each: each not in off for each in sorted(theirs)}


@csrf_exempt  # the signed token authorises the change; mail programs post without a CSRF token
def digest_preferences(request, token):
    try:
        email, kind = services.unsubscribe_token_read(token)
    except ValidationError as exc:
        return render(
            request, "notifications/digest_link_invalid.html", {"error": exc.messages[0]}, status=404
        )
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        services.digest_preferences_set(email=email, receive={kind: False})
        return HttpResponse(
            f"You will no longer receive the {sources.kind_label(kind).lower()}.", content_type="text/plain"
        )
    form = DigestPreferencesForm(request.POST or None, receiving=_receiving(email, kind))
    if request.method == "POST" and form.is_valid():
        services.digest_preferences_set(email=email, receive=form.choices())
        messages.success(request, "Your email preferences have been saved.")
        return redirect("notifications:digest-preferences", token=token)
    return render(
        request,
        "notifications/digest_preferences.html",
        {"form": form, "email": email, "kind_label": sources.kind_label(kind)},
    )
