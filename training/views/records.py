"""Pages for completions and exemptions: a staff member's own record (by emailed link), the
certificate download, and the lead's verification queue, recording and exemption pages.

Thin views: who may see what is decided by workforce.access (a staff session sees only its own
records; leads everything; Agency HR their own agencies; anything else is a 404), writes go through
training.services and reads through training.selectors.records.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from workforce import access
from workforce.lists import ListControls, Sort, spreadsheet_response

from .. import certificates, ics, selfservice, services
from ..forms.compliance import VerificationFilterForm
from ..forms.records import (
    DeclareCompletionForm,
    ExemptionEndForm,
    ExemptionForm,
    RecordCompletionForm,
    RegisterForm,
    RegisterSearchForm,
    RejectForm,
    apply_service_errors,
)
from ..models import Completion, CompletionSource, Exemption, Verification
from ..selectors import records as record_selectors
from .compliance import filter_form


def _people(count):
    return "1 person" if count == 1 else f"{count} people"


def _long(day):
    return date_format(day, "j F Y")


# ---------------------------------------------------------------------------------------------
# A staff member's own record (staff session from an emailed link)
# ---------------------------------------------------------------------------------------------


@never_cache
@access.staff_session_required
def my_record(request, pk):
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    today = timezone.localdate()
    completions = record_selectors.person_completions(staff=staff)
    pending = [completion for completion in completions if completion.verification == Verification.PENDING]
    waiting = {completion.module_id: completion for completion in reversed(pending)}
    pairs = record_selectors.person_pairs(staff=staff, today=today)
    actions = selfservice.module_actions(staff=staff, pairs=pairs, today=today)
    context = {
        "staff": staff,
        "today": today,
        "rows": [
            {"pair": pair, "pending": waiting.get(pair.module.id), "actions": actions.get(pair.module.id, [])}
            for pair in pairs
        ],
        "completions": completions,
        "pending": pending,
        "other_records": access.signed_in_staff(request).exclude(pk=staff.pk).select_related("agency"),
        "nav_staff_active": "record",
    }
    return render(request, "training/self/record.html", context)


@never_cache
@access.staff_session_required
def my_calendar(request, pk):
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    pairs = record_selectors.person_pairs(staff=staff, today=timezone.localdate())
    events = ics.calendar_events(
        staff_id=staff.pk,
        pairs=pairs,
        site_url=settings.SITE_URL,
        record_url=settings.SITE_URL + reverse("staff_home"),
    )
    body = ics.render_calendar(events=events, now=timezone.now(), name=f"HSB training – {staff.agency.name}")
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hsb-training-{slugify(staff.agency.slug)}.ics"'
    return response


@never_cache
@access.staff_session_required
@require_http_methods(["GET", "POST"])
def my_declare(request, pk):
    staff = access.get_signed_in_staff_or_404(request, pk=pk)
    today = timezone.localdate()
    required_ids = {pair.module.id for pair in record_selectors.person_pairs(staff=staff, today=today)}
    groups = record_selectors.modules_for_declaration(required_ids=required_ids)
    initial = {"module": request.GET.get("module", "")}
    form = DeclareCompletionForm(
        request.POST or None, request.FILES or None, module_groups=groups, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            completion = services.completion_record(
                staff=staff,
                module=form.cleaned_data["module"],
                completed_on=form.cleaned_data["completed_on"],
                source=CompletionSource.SELF_DECLARED,
                certificate=form.cleaned_data["certificate"],
                notes=form.cleaned_data["notes"],
                today=today,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Thank you. Your {completion.module.code} certificate has been sent for checking. It will "
                "count once a partnership lead has verified it, and we will email you when they have.",
            )
            return redirect("records:my_record", pk=staff.pk)
    context = {"staff": staff, "form": form, "nav_staff_active": "record"}
    return render(request, "training/self/declare.html", context)


# ---------------------------------------------------------------------------------------------
# Certificates: the lead, Agency HR of the person's agency, and the person themselves
# ---------------------------------------------------------------------------------------------


@never_cache
def certificate_download(request, pk):
    if not request.user.is_authenticated and not access.signed_in_staff_ids(request):
        return redirect_to_login(request.get_full_path())
    completion = get_object_or_404(
        Completion.objects.filter(staff__in=access.visible_staff_for_request(request))
        .exclude(certificate="")
        .select_related("staff", "module"),
        pk=pk,
    )
    kind = certificates.kind_of_stored(completion.certificate.name)
    try:
        handle = completion.certificate.open("rb")
    except FileNotFoundError:
        raise Http404("The certificate file is missing.") from None
    response = FileResponse(
        handle,
        content_type=kind.content_type if kind else "application/octet-stream",
        as_attachment=kind is None,
        filename=slugify(f"certificate-{completion.module.code}-{completion.staff.staff_number}")
        + (kind.extension if kind else ""),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Verification queue (lead)
# ---------------------------------------------------------------------------------------------


VERIFICATION_SORTS = (
    Sort("sent", "Sent", fields=("recorded_at", "id")),
    Sort("person", "Person", fields=("staff__last_name", "staff__first_name", "staff__staff_number", "id")),
    Sort("module", "Module", fields=("module__code", "recorded_at", "id")),
    Sort("completed", "Completed", fields=("completed_on", "recorded_at", "id")),
)
VERIFICATION_HEADERS = [
    "Name",
    "Staff number",
    "Agency",
    "Team",
    "Job role",
    "Module code",
    "Module",
    "Completed on",
    "Sent on",
    "Days waiting",
]


def _waiting_days(completion, today):
    return (today - timezone.localdate(completion.recorded_at)).days


@login_required
def verification_queue(request):
    """Self-declared certificates waiting for a lead, oldest first or sorted by a column, narrowed
    by the people list's filters and a search; the listed rows download as CSV or XLSX."""
    access.require_lead(request.user)
    today = timezone.localdate()
    form = filter_form(request, form_class=VerificationFilterForm)
    filters = form.filters()
    query = form.query()
    pending = record_selectors.pending_verification(user=request.user, filters=filters, q=query)
    controls = ListControls(request, sorts=VERIFICATION_SORTS, default="sent")
    pending = controls.ordered(pending.select_related("staff__team", "staff__job_role"))
    file_format = controls.wants_download()
    if file_format:
        rows = (
            [
                completion.staff.full_name,
                completion.staff.staff_number,
                completion.staff.agency.name,
                completion.staff.team.name if completion.staff.team else "",
                completion.staff.job_role.name,
                completion.module.code,
                completion.module.title,
                completion.completed_on,
                timezone.localdate(completion.recorded_at),
                _waiting_days(completion, today),
            ]
            for completion in pending
        )
        return spreadsheet_response(
            headers=VERIFICATION_HEADERS,
            rows=rows,
            name=f"certificates-to-verify-{today:%Y-%m-%d}",
            file_format=file_format,
            title="Certificates to verify",
        )
    page = controls.page(pending)
    rows = [
        {"completion": completion, "waiting_days": _waiting_days(completion, today)}
        for completion in page.object_list
    ]
    context = {
        "rows": rows,
        "today": today,
        "form": form,
        "filters": filters,
        "query": query,
        "page": page,
        "page_range": page.range,
        "controls": controls,
        "headings": controls.headings(),
    }
    return render(request, "training/verification_queue.html", context)


def _queue_back(request):
    """The queue as it was listed (its filters, sort and page) to return to after a bulk decision;
    only a path of the queue itself, never another page or site."""
    queue = reverse("records:verification_queue")
    target = request.POST.get("next", "")
    if target.startswith(queue) and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return queue


@login_required
@require_http_methods(["POST"])
def verification_bulk(request):
    """Verify or reject the ticked certificates at once: a confirmation page that counts them (and
    asks the reason of a rejection), then the decision. Nothing is written before the confirmation,
    and a completion outside the lead's scope or already decided refuses the whole selection."""
    access.require_lead(request.user)
    back = _queue_back(request)
    decision = request.POST.get("decision")
    ids = [value for value in request.POST.getlist("completion") if value.isdigit()]
    chosen = list(record_selectors.pending_verification(user=request.user).filter(pk__in=ids))
    if decision not in ("verify", "reject") or not ids:
        messages.error(request, "Tick at least one certificate, then choose Verify or Reject.")
        return redirect(back)
    if len(chosen) != len(set(ids)):
        messages.error(
            request,
            "Some of the ticked certificates have been dealt with since the list was shown. "
            "Nothing was changed; check the list and try again.",
        )
        return redirect(back)
    reject_form = RejectForm(request.POST if request.POST.get("confirm") and decision == "reject" else None)
    if request.POST.get("confirm") and (decision == "verify" or reject_form.is_valid()):
        reason = reject_form.cleaned_data["reason"] if decision == "reject" else ""
        try:
            count = services.completions_decide(
                completions=chosen, decision=decision, actor=request.user, reason=reason
            )
        except ValidationError:
            messages.error(
                request, "Someone dealt with one of these certificates first. Nothing was changed."
            )
            return redirect(back)
        done = "Verified" if decision == "verify" else "Rejected"
        messages.success(
            request, f"{done} {count} certificate{pluralize(count)}. Each person has been emailed."
        )
        return redirect(back)
    context = {"decision": decision, "completions": chosen, "reject_form": reject_form, "back": back}
    return render(request, "training/verification_confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def verification_review(request, pk):
    access.require_lead(request.user)
    completion = access.get_scoped_or_404(
        request.user,
        Completion.objects.select_related(
            "staff", "staff__agency", "staff__job_role", "module", "verified_by"
        ),
        agency="staff__agency",
        pk=pk,
        source=CompletionSource.SELF_DECLARED,
    )
    reject_form = RejectForm(request.POST if request.POST.get("decision") == "reject" else None)
    if request.method == "POST":
        decision = request.POST.get("decision")
        try:
            if decision == "verify":
                services.completion_verify(completion=completion, actor=request.user)
                messages.success(
                    request,
                    f"Verified {completion.module.code} for {completion.staff.full_name}. "
                    "It counts from now on, and they have been emailed.",
                )
                return redirect("records:verification_queue")
            if decision == "reject" and reject_form.is_valid():
                services.completion_reject(
                    completion=completion, actor=request.user, reason=reject_form.cleaned_data["reason"]
                )
                messages.success(
                    request,
                    f"Rejected {completion.module.code} for {completion.staff.full_name}. "
                    "They have been emailed the reason.",
                )
                return redirect("records:verification_queue")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("records:verification_review", pk=completion.pk)
    context = {
        "completion": completion,
        "reject_form": reject_form,
        "form": reject_form,
        "waiting_days": (timezone.localdate() - timezone.localdate(completion.recorded_at)).days,
        "kind": certificates.kind_of_stored(completion.certificate.name) if completion.certificate else None,
    }
    return render(request, "training/verification_review.html", context)


# ---------------------------------------------------------------------------------------------
# Recording completions (lead): one person, or an attendance register
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def completion_add(request, pk):
    access.require_lead(request.user)
    staff = access.get_visible_staff_or_404(request.user, pk=pk)
    form = RecordCompletionForm(request.POST or None, initial={"module": request.GET.get("module")})
    if request.method == "POST" and form.is_valid():
        try:
            completion = services.completion_record(
                staff=staff,
                module=form.cleaned_data["module"],
                completed_on=form.cleaned_data["completed_on"],
                source=CompletionSource.MANUAL,
                actor=request.user,
                certificate_reference=form.cleaned_data["certificate_reference"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Recorded {completion.module.code} on {_long(completion.completed_on)} "
                f"for {staff.full_name}.",
            )
            return redirect("staff_detail", pk=staff.pk)
    return render(request, "training/completion_form.html", {"staff": staff, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    access.require_lead(request.user)
    today = timezone.localdate()
    agencies = access.visible_agencies(request.user).order_by("name")
    search = RegisterSearchForm(request.GET or None, agencies=agencies, auto_id="search_%s")
    q, search_agency = "", None
    if search.is_valid():
        q, search_agency = search.cleaned_data["q"].strip(), search.cleaned_data["agency"]
    shown, more = record_selectors.register_search(user=request.user, today=today, q=q, agency=search_agency)
    candidates = record_selectors.register_candidates(user=request.user, today=today)
    initial = {
        "module": request.GET.get("module"),
        "completed_on": request.GET.get("completed_on"),
        "agency": search_agency,
    }
    form = RegisterForm(
        request.POST or None,
        agencies=agencies,
        candidates=candidates.select_related("agency"),
        shown=shown,
        initial=initial,
    )
    problems = []
    if request.method == "POST" and form.is_valid():
        outcome, problems = _register_save(request, form, today)
        if outcome is not None:
            _register_message(request, form, outcome)
            return redirect(f"{reverse('records:register')}?{_keep_module_and_date(form)}")
    context = {
        "search": search,
        "form": form,
        "shown": shown,
        "more": more,
        "q": q,
        "search_agency": search_agency,
        "problems": problems,
        "limit": record_selectors.REGISTER_RESULTS_LIMIT,
    }
    return render(request, "training/register.html", context)


def _register_save(request, form, today):
    """(outcome, problems): every ticked and pasted person recorded, or nothing and the reasons."""
    data = form.cleaned_data
    entries = record_selectors.split_entries(data["entries"])
    match = record_selectors.register_match(
        user=request.user, today=today, entries=entries, agency=data["agency"]
    )
    if match.problems:
        count = len(match.problems)
        form.add_error(
            "entries",
            f"{'1 entry matches' if count == 1 else f'{count} entries match'} nobody, or more than one "
            "person. Nothing has been saved: correct or remove the entries listed, then record the "
            "register again.",
        )
        return None, match.problems
    people = [*data["people"], *match.people]
    try:
        with transaction.atomic():
            outcome = services.completions_record_register(
                module=data["module"],
                completed_on=data["completed_on"],
                staff=people,
                actor=request.user,
                today=today,
            )
    except ValidationError as error:
        apply_service_errors(form, error)
        return None, []
    return outcome, []


def _register_message(request, form, outcome):
    module, day = form.cleaned_data["module"], form.cleaned_data["completed_on"]
    text = f"Recorded {module.code} on {_long(day)} for {_people(len(outcome.recorded))}."
    if outcome.duplicates:
        names = ", ".join(f"{person.full_name} ({person.staff_number})" for person in outcome.duplicates)
        verb = "was" if len(outcome.duplicates) == 1 else "were"
        text += f" Already recorded for that day, so left as {verb}: {names}."
    messages.success(request, text)


def _keep_module_and_date(form):
    return urlencode(
        {
            "module": form.cleaned_data["module"].pk,
            "completed_on": f"{form.cleaned_data['completed_on']:%d/%m/%Y}",
        }
    )


# ---------------------------------------------------------------------------------------------
# Exemptions (lead adds and ends; Agency HR sees them on the person page)
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def exemption_add(request, pk):
    access.require_lead(request.user)
    staff = access.get_visible_staff_or_404(request.user, pk=pk)
    form = ExemptionForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exemption = services.exemption_create(
                staff=staff,
                module=data["module"],
                reason=data["reason"],
                details=data["details"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            scope = exemption.module.code if exemption.module else "all modules"
            messages.success(request, f"{staff.full_name} is now exempt from {scope}.")
            return redirect("staff_detail", pk=staff.pk)
    return render(request, "training/exemption_form.html", {"staff": staff, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def exemption_end(request, pk):
    access.require_lead(request.user)
    exemption = access.get_scoped_or_404(
        request.user,
        Exemption.objects.select_related("staff", "staff__agency", "module"),
        agency="staff__agency",
        pk=pk,
    )
    form = ExemptionEndForm(request.POST or None, initial={"ends_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.exemption_end(
                exemption=exemption, ends_on=form.cleaned_data["ends_on"], actor=request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            scope = exemption.module.code if exemption.module else "all modules"
            messages.success(
                request,
                f"The exemption of {exemption.staff.full_name} from {scope} ends on "
                f"{_long(exemption.ends_on)}.",
            )
            return redirect("staff_detail", pk=exemption.staff.pk)
    return render(request, "training/exemption_end.html", {"exemption": exemption, "form": form})
