"""The privacy pages: the notice (anyone), its editor, retention runs, erasure and subject access
(leads only). Thin views: access from workforce.access, writes through privacy.services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from workforce import access

from . import selectors, services
from .forms import EraseForm, PrivacyNoticeForm
from .notice import blocks
from .subject_access import subject_access_archive, subject_access_filename


def notice(request):
    """The privacy notice: public, linked from every page's footer and every email."""
    text, row = selectors.privacy_notice_text()
    context = {"blocks": blocks(text), "notice": row, "is_lead": access.is_lead(request.user)}
    return render(request, "privacy/notice.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def notice_edit(request):
    access.require_lead(request.user)
    text, _row = selectors.privacy_notice_text()
    form = PrivacyNoticeForm(request.POST or None, initial={"text": text})
    if request.method == "POST" and form.is_valid():
        services.privacy_notice_save(text=form.cleaned_data["text"], actor=request.user)
        messages.success(request, "The privacy notice has been saved.")
        return redirect("privacy:notice")
    return render(request, "privacy/notice_edit.html", {"form": form})


@login_required
def retention(request):
    access.require_lead(request.user)
    context = {
        "runs": selectors.retention_runs(),
        "leaver_years": settings.RETENTION_LEAVER_YEARS,
        "upload_days": settings.RETENTION_UPLOAD_DAYS,
        "refused_upload_days": settings.RETENTION_REFUSED_UPLOAD_DAYS,
        "body_years": settings.RETENTION_OUTBOX_BODY_YEARS,
    }
    return render(request, "privacy/retention.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def staff_erase(request, pk):
    """Erasure on request: a confirmation page asking the reason, then anonymise at once."""
    access.require_lead(request.user)
    staff = access.get_visible_staff_or_404(request.user, pk=pk)
    done = selectors.anonymisation_of(staff)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and done is None and form.is_valid():
        try:
            services.staff_anonymise(staff=staff, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            messages.success(
                request,
                "The person's personal data has been erased. Their training figures stay, anonymised.",
            )
            return redirect("staff_detail", pk=staff.pk)
    return render(request, "privacy/staff_erase.html", {"staff": staff, "form": form, "done": done})


@login_required
@require_POST
def staff_subject_access(request, pk):
    """Download everything held about one person (a POST: a prefetching browser or a scanner never
    makes one, and each download is audited)."""
    access.require_lead(request.user)
    staff = access.get_visible_staff_or_404(request.user, pk=pk)
    archive = subject_access_archive(staff)
    # AUDIT: personal_data.subject_access
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, subject_access_filename(staff))
    response["Cache-Control"] = "private, no-store"
    return response
