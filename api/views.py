"""The JSON API (PRODUCT.md section 10) and the token page. Thin: every read is a selector of a
lower app scoped by workforce.access, every write a service; no rule is written twice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from imports.kinds.completions import COMPLETION_FILE, completion_rows_plan, completion_rows_record
from training.models import Completion, Module, Verification
from training.selectors.engine import compliance_pairs
from training.selectors.report import build_report
from workforce import access
from workforce.database import heavy_reads
from workforce.models import JobRole, StaffMember

from . import serializers as out
from .forms import TokenForm
from .models import ApiToken, IdempotentAnswer
from .permissions import IsLeadOrAgencyHR
from .selectors import tokens_of
from .services import TokenRefused, api_token_create, api_token_revoke

IDEMPOTENCY_HEADER = "Idempotency-Key"


class AgencyQuery(serializers.Serializer):
    agency = serializers.SlugField(required=False, help_text="Only this agency (its slug).")


def _agency_or_404(user, slug):
    """The agency named by ?agency=, within the user's scope: another agency's is a 404."""
    return access.get_visible_agency_or_404(user, slug=slug) if slug else None


def _query(serializer_class, request):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class CatalogueList(generics.ListAPIView):
    permission_classes = [IsLeadOrAgencyHR]


@extend_schema(summary="Agencies you may see", tags=["catalogue"])
class AgencyList(CatalogueList):
    serializer_class = out.AgencySerializer

    def get_queryset(self):
        return access.visible_agencies(self.request.user).order_by("slug")


@extend_schema(summary="The job-role catalogue", tags=["catalogue"])
class JobRoleList(CatalogueList):
    serializer_class = out.JobRoleSerializer
    queryset = JobRole.objects.order_by("name")


@extend_schema(summary="The module catalogue", tags=["catalogue"])
class ModuleList(CatalogueList):
    serializer_class = out.ModuleSerializer
    queryset = Module.objects.order_by("code")


class StaffQuery(AgencyQuery):
    q = serializers.CharField(
        required=False, max_length=200, help_text="Name, email or staff number contains."
    )


def _pairs_by_person(people):
    """Each person's requirements today, for a page of people: one set-based query, so the page
    costs the same whatever its size."""
    ids = [person.pk for person in people]
    if not ids:
        return {}
    pairs = compliance_pairs(
        on=timezone.localdate(), staff=StaffMember.objects.filter(pk__in=ids), include_inactive_agencies=True
    )
    grouped = {}
    for pair in sorted(pairs, key=lambda pair: pair.module.code):
        grouped.setdefault(pair.staff_id, []).append(pair)
    return grouped


@extend_schema(tags=["staff"])
class StaffList(generics.ListAPIView):
    permission_classes = [IsLeadOrAgencyHR]
    serializer_class = out.StaffSerializer

    @extend_schema(summary="Staff, with each requirement's status", parameters=[StaffQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = _query(StaffQuery, self.request)
        people = access.visible_staff(self.request.user).select_related("agency", "job_role")
        agency = _agency_or_404(self.request.user, query.get("agency"))
        if agency is not None:
            people = people.filter(agency=agency)
        text = " ".join(query.get("q", "").split())
        if text:
            people = people.filter(
                Q(first_name__icontains=text)
                | Q(last_name__icontains=text)
                | Q(email__icontains=text)
                | Q(staff_number__icontains=text)
            )
        return people.order_by("last_name", "first_name", "id")

    def get_serializer(self, *args, **kwargs):
        people = args[0] if args else []
        kwargs.setdefault("context", self.get_serializer_context())
        kwargs["context"]["pairs"] = _pairs_by_person(people)
        return self.serializer_class(*args, **kwargs)


@extend_schema(
    tags=["staff"],
    summary="One member of staff, with each requirement's status",
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The person's id.")],
)
class StaffDetail(generics.RetrieveAPIView):
    permission_classes = [IsLeadOrAgencyHR]
    serializer_class = out.StaffSerializer

    def get_object(self):
        return access.get_visible_staff_or_404(self.request.user, pk=self.kwargs["pk"])

    def get_serializer(self, *args, **kwargs):
        kwargs["context"] = {**self.get_serializer_context(), "pairs": _pairs_by_person(args[:1])}
        return self.serializer_class(*args, **kwargs)


class CompletionQuery(AgencyQuery):
    since = serializers.DateField(required=False, help_text="Completed on or after this date (YYYY-MM-DD).")


COMPLETION_EXAMPLE = OpenApiExample(
    "By email",
    value={"email": "asha.patel@example.org", "module": "HSB-101", "completed_on": "2026-03-04"},
    request_only=True,
)
COMPLETION_BY_NUMBER = OpenApiExample(
    "By agency and staff number",
    value={
        "agency": "northshire-police",
        "staff_number": "P1234",
        "module": "HSB-101",
        "completed_on": "2026-03-04",
        "certificate_reference": "CERT-0042",
    },
    request_only=True,
)


@extend_schema(tags=["completions"])
class CompletionList(generics.ListAPIView):
    permission_classes = [IsLeadOrAgencyHR]
    serializer_class = out.CompletionSerializer

    @extend_schema(summary="Completions you may see", parameters=[CompletionQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = _query(CompletionQuery, self.request)
        completions = access.scope(
            self.request.user, Completion.objects.all(), agency="staff__agency"
        ).select_related("staff__agency", "module")
        agency = _agency_or_404(self.request.user, query.get("agency"))
        if agency is not None:
            completions = completions.filter(staff__agency=agency)
        if query.get("since"):
            completions = completions.filter(completed_on__gte=query["since"])
        return completions.order_by("-completed_on", "-id")

    @extend_schema(
        summary="Record a completion, with the rules of completion files",
        description=(
            "Takes `email`, or `agency` and `staff_number`; `module` (code); `completed_on`; optional "
            "`certificate_reference`. 201: recorded. 200 with `duplicate: true`: already recorded, "
            "nothing written. 400: a message per field, those of completion files. Partnership "
            "leads' tokens only. Send an `Idempotency-Key` header to make a retry safe."
        ),
        request=out.CompletionInputSerializer,
        responses={
            201: out.CompletionResultSerializer,
            200: out.CompletionResultSerializer,
            400: OpenApiResponse(out.ErrorSerializer, description="A message per field."),
        },
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Any unique text; a retry with the same key returns the first answer.",
            )
        ],
        examples=[COMPLETION_EXAMPLE, COMPLETION_BY_NUMBER],
    )
    def post(self, request, *args, **kwargs):
        COMPLETION_FILE.check_access(actor=request.user, agency=None)
        return idempotent(request, lambda: _record_completion(request))


def _record_completion(request):
    data = request.data
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": ["Send one JSON object."]})
    row = {}
    for name in out.CompletionInputSerializer().fields:
        value = data.get(name)
        if value is not None and not isinstance(value, str | int | float):
            raise exceptions.ValidationError({name: ["Send text."]})
        row[name] = "" if value is None else str(value)
    plan, errors = completion_rows_plan([row], today=timezone.localdate())
    if errors:
        by_field = {}
        for error in errors:
            by_field.setdefault(error["column"] or "non_field_errors", []).append(error["message"])
        raise exceptions.ValidationError(by_field)
    if plan.duplicates:
        _number, person, module, completed_on = plan.duplicates[0]
        completion = _completion(person[0], module, completed_on)
        body = {**out.CompletionSerializer(completion).data, "duplicate": True}
        return 200, body
    completion_rows_record(plan, actor=request.user, reason="Recorded through the API")
    item = plan.new[0]
    completion = _completion(item["person"][0], item["module"], item["completed_on"])
    return 201, {**out.CompletionSerializer(completion).data, "duplicate": False}


def _completion(staff_id, module, completed_on):
    return (
        Completion.objects.select_related("staff__agency", "module")
        .exclude(verification=Verification.REJECTED)
        .filter(staff_id=staff_id, module=module, completed_on=completed_on)
        .order_by("id")
        .first()
    )


def idempotent(request, work):
    """Run `work` (-> status, body) once per Idempotency-Key of this token: a retry with the key
    gets the first answer, and nothing new is written. The answer is stored in the same
    transaction as the work, so two concurrent requests with one key cannot both write."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        with transaction.atomic():
            status, body = work()
        return Response(body, status=status)
    if len(key) > 200:
        raise exceptions.ValidationError({IDEMPOTENCY_HEADER: ["Use a key of 200 characters at most."]})
    replay = _replay(request, key)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            status, body = work()
            IdempotentAnswer.objects.create(
                token=request.auth, key=key, path=request.path, status_code=status, body=body
            )
    except IntegrityError:
        replay = _replay(request, key)
        if replay is None:
            raise
        return replay
    return Response(body, status=status)


def _replay(request, key):
    answer = IdempotentAnswer.objects.filter(token=request.auth, key=key).first()
    if answer is None:
        return None
    if answer.path != request.path:
        raise exceptions.ValidationError(
            {IDEMPOTENCY_HEADER: ["This key was already used for another request. Use a new key."]}
        )
    return Response(answer.body, status=answer.status_code, headers={"Idempotent-Replayed": "true"})


class ComplianceQuery(AgencyQuery):
    on = serializers.DateField(required=False, help_text="The date to report on (default: today, UK).")


@extend_schema(
    tags=["compliance"],
    summary="Compliance figures: what `compliance_report --json` prints",
    description=(
        "A lead sees the partnership (or one agency with `agency`); Agency HR see their own agency, "
        "and must name it with `agency` when they hold more than one."
    ),
    parameters=[ComplianceQuery],
    responses={200: out.ComplianceSerializer},
)
class ComplianceView(APIView):
    permission_classes = [IsLeadOrAgencyHR]

    def get(self, request):
        query = _query(ComplianceQuery, request)
        agency = _agency_or_404(request.user, query.get("agency"))
        if agency is None and not access.is_lead(request.user):
            agencies = list(access.visible_agencies(request.user)[:2])
            if len(agencies) != 1:
                raise exceptions.ValidationError({"agency": ["Name one of your agencies: ?agency=SLUG."]})
            agency = agencies[0]
        with heavy_reads():
            report = build_report(on=query.get("on") or timezone.localdate(), agency=agency)
        return Response(report)


# ---------------------------------------------------------------------------------------------
# The token page, under the user's account
# ---------------------------------------------------------------------------------------------


@login_required
def token_list(request):
    access.require_lead_or_hr(request.user)
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                actor=request.user,
            )
        except TokenRefused as exc:
            form.add_error(None, exc.message)
        else:
            form = TokenForm()
    context = {"form": form, "new_key": new_key, "tokens": tokens_of(request.user)}
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def token_revoke(request, pk):
    access.require_lead_or_hr(request.user)
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api_tokens")
