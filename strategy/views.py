"""Workforce strategy pages. Thin views: access from strategy.access (built on workforce.access),
reads from strategy.selectors, writes through strategy.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from workforce import access

from . import exports, owner_links, scoring, selectors, services
from .forms import (
    ActionFilterForm,
    ActionForm,
    DomainForm,
    FrameworkForm,
    ItemForm,
    ItemRatingForm,
    OwnerUpdateForm,
    ProgressForm,
    RoundForm,
    StrategySettingsForm,
)
from .models import Attachment, Domain, Item, ProgressVia


def _trail(*crumbs, start=True):
    """Breadcrumbs above a page: (text, href) pairs, starting at the strategy overview."""
    head = [("Workforce strategy", reverse("strategy:overview"))] if start else []
    return head + list(crumbs)


def _actions_trail(user):
    """Agency HR users never see the overview, so their breadcrumbs start at the action plan."""
    return _trail(("Action plan", reverse("strategy:action_list")), start=access.is_lead(user))


def _framework_trail(framework):
    return _trail(
        ("Frameworks", reverse("strategy:framework_list")),
        (framework.name, reverse("strategy:framework_detail", args=[framework.pk])),
    )


def _rounds_trail(*crumbs):
    return _trail(("Assessment rounds", reverse("strategy:round_list")), *crumbs)


def _action_trail(user, action):
    return [*_actions_trail(user), (action.title, reverse("strategy:action_detail", args=[action.pk]))]


def _apply_errors(form, exc):
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# ---------------------------------------------------------------------------------------------
# Overview and settings
# ---------------------------------------------------------------------------------------------


@login_required
def overview(request):
    if not access.is_lead(request.user):
        if access.is_lead_or_hr(request.user):
            return redirect("strategy:action_list")
        raise Http404("Not found")
    today = timezone.localdate()
    rounds = selectors.rounds_with_scores(selectors.visible_rounds(request.user)[:5])
    context = {
        "panel": selectors.leadership_panel(today=today),
        "rounds": rounds,
        "frameworks": selectors.visible_frameworks(request.user),
        "today": today,
    }
    return render(request, "strategy/overview.html", context)


@login_required
def settings_edit(request):
    access.require_lead(request.user)
    instance = selectors.strategy_settings()
    form = StrategySettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.strategy_settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Strategy settings saved.")
            return redirect("strategy:overview")
    return render(request, "strategy/settings_form.html", {"form": form, "trail": _trail()})


# ---------------------------------------------------------------------------------------------
# Frameworks
# ---------------------------------------------------------------------------------------------


@login_required
def framework_list(request):
    access.require_lead(request.user)
    frameworks = selectors.visible_frameworks(request.user)
    return render(request, "strategy/framework_list.html", {"frameworks": frameworks, "trail": _trail()})


@login_required
@require_POST
def framework_install(request):
    access.require_lead(request.user)
    framework = services.framework_install_default(actor=request.user)
    messages.success(request, f"{framework.name} is installed.")
    return redirect("strategy:framework_detail", pk=framework.pk)


@login_required
def framework_detail(request, pk):
    framework = selectors.get_visible_framework_or_404(request.user, pk=pk)
    context = {
        "framework": framework,
        "domains": selectors.framework_domains(framework),
        "trail": _trail(("Frameworks", reverse("strategy:framework_list"))),
    }
    return render(request, "strategy/framework_detail.html", context)


@login_required
def framework_edit(request, pk):
    framework = selectors.get_visible_framework_or_404(request.user, pk=pk)
    form = FrameworkForm(request.POST or None, instance=framework)
    if request.method == "POST" and form.is_valid():
        services.framework_update(framework=framework, actor=request.user, **form.cleaned_data)
        messages.success(request, "Framework saved.")
        return redirect("strategy:framework_detail", pk=framework.pk)
    context = {"form": form, "framework": framework, "trail": _framework_trail(framework)}
    return render(request, "strategy/framework_form.html", context)


@login_required
def domain_edit(request, pk):
    access.require_lead(request.user)
    domain = get_object_or_404(Domain.objects.select_related("framework"), pk=pk)
    form = DomainForm(request.POST or None, instance=domain)
    if request.method == "POST" and form.is_valid():
        services.domain_update(domain=domain, actor=request.user, **form.cleaned_data)
        messages.success(request, f"{domain.name} saved.")
        return redirect("strategy:framework_detail", pk=domain.framework_id)
    context = {"form": form, "domain": domain, "trail": _framework_trail(domain.framework)}
    return render(request, "strategy/domain_form.html", context)


@login_required
def item_add(request, domain_pk):
    access.require_lead(request.user)
    domain = get_object_or_404(Domain.objects.select_related("framework"), pk=domain_pk)
    form = ItemForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_create(domain=domain, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Item added to {domain.name}.")
            return redirect("strategy:framework_detail", pk=domain.framework_id)
    context = {"form": form, "domain": domain, "item": None, "trail": _framework_trail(domain.framework)}
    return render(request, "strategy/item_form.html", context)


@login_required
def item_edit(request, pk):
    access.require_lead(request.user)
    item = get_object_or_404(Item.objects.select_related("domain__framework"), pk=pk)
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_update(item=item, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Item saved.")
            return redirect("strategy:framework_detail", pk=item.domain.framework_id)
    context = {
        "form": form,
        "domain": item.domain,
        "item": item,
        "trail": _framework_trail(item.domain.framework),
    }
    return render(request, "strategy/item_form.html", context)


# ---------------------------------------------------------------------------------------------
# Assessment rounds
# ---------------------------------------------------------------------------------------------


@login_required
def round_list(request):
    access.require_lead(request.user)
    context = {
        "rounds": selectors.rounds_with_scores(selectors.visible_rounds(request.user)),
        "round_due": selectors.next_round_due(),
        "today": timezone.localdate(),
        "trail": _trail(),
    }
    return render(request, "strategy/round_list.html", context)


@login_required
def round_create(request):
    access.require_lead(request.user)
    today = timezone.localdate()
    initial = {"framework": selectors.default_framework(), "assessed_on": today}
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assessment_round = services.round_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"{assessment_round.title} started. Rate each domain in turn.")
            return redirect("strategy:round_detail", pk=assessment_round.pk)
    return render(request, "strategy/round_form.html", {"form": form, "trail": _rounds_trail()})


@login_required
def round_detail(request, pk):
    assessment_round = selectors.get_visible_round_or_404(request.user, pk=pk)
    today = timezone.localdate()
    report = selectors.round_report(assessment_round, today=today)
    context = {"round": assessment_round, "report": report, "today": today, "trail": _rounds_trail()}
    return render(request, "strategy/round_detail.html", context)


@login_required
def round_rate_domain(request, pk, domain_pk):
    assessment_round = selectors.get_visible_round_or_404(request.user, pk=pk)
    today = timezone.localdate()
    report = selectors.round_report(assessment_round, today=today)
    domain_rows = report.domains
    index = next((i for i, row in enumerate(domain_rows) if row.domain.pk == domain_pk), None)
    if index is None:
        raise Http404("That domain is not part of this round.")
    domain_row = domain_rows[index]
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    forms = [ItemRatingForm(rating=row.rating, data=data, files=files) for row in domain_row.rows]
    if request.method == "POST" and not assessment_round.is_completed:
        if all([form.is_valid() for form in forms]) and _save_ratings(request, forms):
            messages.success(request, f"Ratings for {domain_row.domain.name} saved.")
            if "continue" in request.POST and index + 1 < len(domain_rows):
                return redirect(
                    "strategy:round_rate_domain", pk=pk, domain_pk=domain_rows[index + 1].domain.pk
                )
            return redirect("strategy:round_detail", pk=pk)
    context = {
        "round": assessment_round,
        "report": report,
        "domain_row": domain_row,
        "entries": list(zip(domain_row.rows, forms, strict=True)),
        "error_forms": [form for form in forms if form.errors],
        "next_domain": domain_rows[index + 1].domain if index + 1 < len(domain_rows) else None,
        "previous_domain": domain_rows[index - 1].domain if index > 0 else None,
        "trail": _rounds_trail((assessment_round.title, reverse("strategy:round_detail", args=[pk]))),
    }
    return render(request, "strategy/round_rate_domain.html", context)


def _save_ratings(request, forms):
    """Save every item's rating and note, then any attached file; a refused file is shown on its
    item and the rest of the page is kept."""
    ok = True
    for form in forms:
        data = form.cleaned_data
        rating = form.rating_row
        try:
            services.rating_update(
                rating=rating, actor=request.user, value=data["rating"], evidence_note=data["evidence_note"]
            )
            if data["attachment"]:
                services.attachment_add(rating=rating, actor=request.user, upload=data["attachment"])
        except ValidationError as exc:
            _apply_errors(form, exc)
            ok = False
    return ok


@login_required
@require_POST
def round_complete(request, pk):
    assessment_round = selectors.get_visible_round_or_404(request.user, pk=pk)
    try:
        services.round_complete(
            assessment_round=assessment_round, actor=request.user, today=timezone.localdate()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{assessment_round.title} is completed. Its evidence figures are now fixed."
        )
    return redirect("strategy:round_detail", pk=pk)


@login_required
@require_POST
def round_reopen(request, pk):
    assessment_round = selectors.get_visible_round_or_404(request.user, pk=pk)
    try:
        services.round_reopen(assessment_round=assessment_round, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{assessment_round.title} is open for changes again.")
    return redirect("strategy:round_detail", pk=pk)


@login_required
def round_summary(request, pk):
    assessment_round = selectors.get_visible_round_or_404(request.user, pk=pk)
    today = timezone.localdate()
    report = selectors.round_report(assessment_round, today=today)
    context = {
        "round": assessment_round,
        "report": report,
        "settings": selectors.strategy_settings(),
        "linked_actions": assessment_round.actions.count(),
        "scoring_rules": scoring.SCORING_RULES,
        "today": today,
        "trail": _rounds_trail((assessment_round.title, reverse("strategy:round_detail", args=[pk]))),
    }
    return render(request, "strategy/round_summary.html", context)


@login_required
def round_export(request, pk):
    assessment_round = selectors.get_visible_round_or_404(request.user, pk=pk)
    report = selectors.round_report(assessment_round, today=timezone.localdate())
    content = exports.round_workbook(report)
    return _xlsx_response(content, f"assessment-round-{assessment_round.assessed_on:%Y-%m-%d}.xlsx")


@login_required
def attachment_download(request, pk):
    access.require_lead(request.user)
    attachment = get_object_or_404(Attachment, pk=pk)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
@require_POST
def attachment_remove(request, pk):
    access.require_lead(request.user)
    attachment = get_object_or_404(Attachment.objects.select_related("rating__round", "rating__item"), pk=pk)
    rating = attachment.rating
    try:
        services.attachment_remove(attachment=attachment, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{attachment.original_name} removed.")
    return redirect("strategy:round_rate_domain", pk=rating.round_id, domain_pk=rating.item.domain_id)


def _xlsx_response(content, filename):
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------------------------
# Action plan
# ---------------------------------------------------------------------------------------------


def _filtered_actions(request, today):
    access.require_lead_or_hr(request.user)
    agencies = access.visible_agencies(request.user).order_by("name")
    form = ActionFilterForm(request.GET or None, agencies=agencies)
    actions = selectors.action_list(
        selectors.visible_actions(request.user), filters=form.filters(), today=today
    )
    return form, actions


@login_required
def action_list(request):
    today = timezone.localdate()
    filter_form, actions = _filtered_actions(request, today)
    context = {
        "filter_form": filter_form,
        "actions": actions,
        "today": today,
        "can_edit": access.is_lead(request.user),
        "export_query": request.GET.urlencode(),
        "trail": _trail() if access.is_lead(request.user) else [],
    }
    return render(request, "strategy/action_list.html", context)


@login_required
def action_export(request):
    today = timezone.localdate()
    _, actions = _filtered_actions(request, today)
    return _xlsx_response(
        exports.action_plan_workbook(actions, today=today), f"action-plan-{today:%Y-%m-%d}.xlsx"
    )


@login_required
def action_create(request):
    access.require_lead(request.user)
    today = timezone.localdate()
    initial = {"review_on": None}
    round_id = request.GET.get("round")
    if round_id and round_id.isdigit():
        initial["assessment_round"] = round_id
    if request.GET.get("item", "").isdigit():
        initial["items"] = [int(request.GET["item"])]
    form = ActionForm(request.POST or None, initial=initial, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(actor=request.user, today=today, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, f"Action added. {action.owner_name} will be reminded before each review."
            )
            return redirect("strategy:action_detail", pk=action.pk)
    return render(
        request,
        "strategy/action_form.html",
        {"form": form, "action": None, "trail": _actions_trail(request.user)},
    )


@login_required
def action_detail(request, pk):
    action = selectors.get_visible_action_or_404(request.user, pk=pk)
    today = timezone.localdate()
    can_edit = access.is_lead(request.user)
    context = {
        "action": action,
        "items": action.items.select_related("domain").order_by("domain__position", "position"),
        "history": selectors.action_history(action),
        "today": today,
        "can_edit": can_edit,
        "trail": _actions_trail(request.user),
        "review_window_open": selectors.review_window_open(action, today=today),
        "next_review": selectors.next_review_date(action, today=today),
    }
    return render(request, "strategy/action_detail.html", context)


@login_required
def action_edit(request, pk):
    action = selectors.get_editable_action_or_404(request.user, pk=pk)
    today = timezone.localdate()
    form = ActionForm(request.POST or None, instance=action, today=today, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(action=action, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Action saved.")
            return redirect("strategy:action_detail", pk=action.pk)
    context = {"form": form, "action": action, "trail": _action_trail(request.user, action)}
    return render(request, "strategy/action_form.html", context)


@login_required
def action_progress(request, pk):
    action = selectors.get_editable_action_or_404(request.user, pk=pk)
    today = timezone.localdate()
    form = ProgressForm(request.POST or None, initial={"status": action.status}, lead=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_progress_add(
                action=action,
                actor=request.user,
                today=today,
                note=form.cleaned_data["note"],
                status=form.cleaned_data["status"],
                next_review_on=form.cleaned_data.get("next_review_on"),
                via=ProgressVia.LEAD,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Progress note added.")
            return redirect("strategy:action_detail", pk=action.pk)
    context = {
        "action": action,
        "form": form,
        "review_window_open": selectors.review_window_open(action, today=today),
        "next_review": selectors.next_review_date(action, today=today),
        "trail": _action_trail(request.user, action),
    }
    return render(request, "strategy/action_progress.html", context)


def owner_update(request, token, pk=None):
    """An action's owner updates it from their emailed link: no account, this one action only.
    `pk` comes only with an old signed link (strategy.owner_links), read until it expires."""
    try:
        if pk is None:
            action = owner_links.action_for_token(token)
        else:
            action = owner_links.action_for_legacy_token(pk=pk, token=token)
    except owner_links.LinkRefused as refused:
        context = {"reason": refused.reason, "settings": selectors.strategy_settings()}
        return render(request, "strategy/owner_link_refused.html", context, status=403)
    today = timezone.localdate()
    form = OwnerUpdateForm(
        request.POST or None, initial={"status": action.status, "author_name": action.owner_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_progress_add(
                action=action,
                actor=None,
                today=today,
                note=form.cleaned_data["note"],
                status=form.cleaned_data["status"],
                author_name=form.cleaned_data["author_name"],
                via=ProgressVia.OWNER_LINK,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, "Thank you. Your update has been saved and the partnership lead can see it."
            )
            return redirect(request.path)
    context = {
        "action": action,
        "form": form,
        "items": action.items.select_related("domain").order_by("domain__position", "position"),
        "history": selectors.action_history(action)[:5],
        "review_window_open": selectors.review_window_open(action, today=today),
        "next_review": selectors.next_review_date(action, today=today),
        "today": today,
    }
    return render(request, "strategy/owner_update.html", context)
