"""The API of training sessions (PRODUCT.md section 10): sessions, their bookings, invitations
and attendance. Thin views over courses.selectors (scoped through workforce.access: another
agency's booking is a 404) and courses.services (every rule of section 9, their messages)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import invitations, selectors, services
from courses.models import Booking
from training.models import Module
from workforce import access

from .permissions import IsLeadOrAgencyHR
from .serializers import ErrorSerializer


def _refused(error):
    """A service's ValidationError as the API's 400: a message per field."""
    if hasattr(error, "error_dict"):
        raise exceptions.ValidationError(
            {name: [m for e in errs for m in e.messages] for name, errs in error.error_dict.items()}
        )
    raise exceptions.ValidationError({"non_field_errors": error.messages})


def _messages(errors, prefix=""):
    """Nested serializer errors as plain sentences (the API's errors are {field: [text]})."""
    if isinstance(errors, dict):
        return [m for key, value in errors.items() for m in _messages(value, f"{prefix}{key}: ")]
    if isinstance(errors, list):
        found = []
        for index, value in enumerate(errors, start=1):
            nested = isinstance(value, dict | list)
            found += _messages(value, f"{prefix}{index}: " if nested else prefix)
        return found
    return [f"{prefix}{errors}"]


def _valid(serializer):
    if not serializer.is_valid():
        raise exceptions.ValidationError(
            {name: _messages(value) for name, value in serializer.errors.items()}
        )
    return serializer


def _require_lead(user):
    if not access.is_lead(user):
        raise exceptions.PermissionDenied("Only a partnership lead may do this.")


class PartSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="ISO 8601 with offset, e.g. 2026-05-04T09:30:00+01:00.")
    ends_at = serializers.DateTimeField(help_text="ISO 8601 with offset.")


class TrainerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="The trainer's name.")
    email = serializers.EmailField(help_text="The trainer's email; receives the attendee list.")


class HoldSerializer(serializers.Serializer):
    agency = serializers.SlugField(help_text="The agency's slug.")
    places = serializers.IntegerField(min_value=1, help_text="Places kept for the agency's staff.")
    until = serializers.DateField(help_text="The last day they are kept (YYYY-MM-DD).")


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text="The session's id.")
    module = serializers.CharField(help_text="The module's code, e.g. HSB-202.")
    delivery_mode = serializers.ChoiceField(
        choices=["classroom", "live_online", "workshop"],
        required=False,
        help_text="How it is delivered; the module's own mode by default.",
    )
    parts = PartSerializer(many=True, help_text="The dated parts, one per day of the course.")
    venue = serializers.CharField(required=False, allow_blank=True, help_text="Address and directions.")
    online_link = serializers.URLField(required=False, allow_blank=True, help_text="The joining link.")
    capacity = serializers.IntegerField(min_value=1, help_text="Places on the session.")
    trainers = TrainerSerializer(many=True, required=False, help_text="The trainers.")
    held_places = HoldSerializer(
        many=True, required=False, help_text="Places held for agencies until a date."
    )
    booking_closes_at = serializers.DateTimeField(
        required=False, help_text="When booking closes; 2 days before the first part by default."
    )
    notes = serializers.CharField(required=False, allow_blank=True, help_text="Notes for attendees.")
    status = serializers.CharField(read_only=True, help_text="scheduled, cancelled or delivered.")
    booked = serializers.IntegerField(read_only=True, help_text="Places booked.")
    waitlisted = serializers.IntegerField(read_only=True, help_text="People on the waiting list.")

    def to_representation(self, session):
        return {
            "id": session.pk,
            "module": session.module.code,
            "delivery_mode": session.delivery_mode,
            "parts": [
                {
                    "starts_at": timezone.localtime(p.starts_at).isoformat(),
                    "ends_at": timezone.localtime(p.ends_at).isoformat(),
                }
                for p in session.parts.all()
            ],
            "venue": session.venue,
            "online_link": session.online_link,
            "capacity": session.capacity,
            "trainers": [{"name": t.name, "email": t.email} for t in session.trainers.all()],
            "held_places": [
                {"agency": h.agency.slug, "places": h.places, "until": h.until.isoformat()}
                for h in session.held_places.all()
            ],
            "booking_closes_at": timezone.localtime(session.booking_closes_at).isoformat(),
            "notes": session.notes,
            "status": session.status,
            "booked": session.booked_count,
            "waitlisted": session.waitlist_count,
        }

    def service_arguments(self):
        data = dict(self.validated_data)
        arguments = {}
        if "module" in data:
            module = Module.objects.filter(code=data.pop("module").strip().upper()).first()
            if module is None:
                raise exceptions.ValidationError({"module": ["No module has this code."]})
            arguments["module"] = module
        if "parts" in data:
            arguments["parts"] = [services.Part(p["starts_at"], p["ends_at"]) for p in data.pop("parts")]
        if "trainers" in data:
            arguments["trainers"] = [(t["name"], t["email"]) for t in data.pop("trainers")]
        if "held_places" in data:
            holds = []
            for hold in data.pop("held_places"):
                agency = access.visible_agencies(self.context["user"]).filter(slug=hold["agency"]).first()
                if agency is None:
                    raise exceptions.ValidationError(
                        {"held_places": [f"No agency is called {hold['agency']}."]}
                    )
                holds.append(services.Hold(agency, hold["places"], hold["until"]))
            arguments["holds"] = holds
        arguments.update(data)
        return arguments


def _sessions(user):
    return (
        selectors.visible_sessions(user)
        .select_related("module")
        .prefetch_related("parts", "trainers", "held_places__agency")
        .order_by("starts_at", "id")
    )


class SessionQuery(serializers.Serializer):
    module = serializers.CharField(required=False, help_text="Only this module's sessions (its code).")
    since = serializers.DateField(required=False, help_text="Starting on or after this date (YYYY-MM-DD).")


@extend_schema(tags=["sessions"])
class SessionList(generics.ListCreateAPIView):
    permission_classes = [IsLeadOrAgencyHR]
    serializer_class = SessionSerializer

    @extend_schema(summary="Training sessions", parameters=[SessionQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = SessionQuery(data=self.request.query_params)
        _valid(query)
        sessions = _sessions(self.request.user)
        if query.validated_data.get("module"):
            sessions = sessions.filter(module__code=query.validated_data["module"].upper())
        if query.validated_data.get("since"):
            sessions = sessions.filter(starts_at__date__gte=query.validated_data["since"])
        return sessions

    @extend_schema(
        summary="Schedule a session (leads)",
        responses={
            201: SessionSerializer,
            400: OpenApiResponse(ErrorSerializer, description="A message per field."),
        },
    )
    def post(self, request, *args, **kwargs):
        _require_lead(request.user)
        serializer = SessionSerializer(data=request.data, context={"user": request.user})
        _valid(serializer)
        try:
            session = services.session_create(actor=request.user, **serializer.service_arguments())
        except DjangoValidationError as error:
            _refused(error)
        return Response(SessionSerializer(_sessions(request.user).get(pk=session.pk)).data, status=201)


@extend_schema(tags=["sessions"])
class SessionDetail(generics.RetrieveUpdateAPIView):
    permission_classes = [IsLeadOrAgencyHR]
    serializer_class = SessionSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return _sessions(self.request.user)

    @extend_schema(summary="Change a session (leads): booked people get an updated invitation")
    def patch(self, request, *args, **kwargs):
        _require_lead(request.user)
        session = self.get_object()
        serializer = SessionSerializer(data=request.data, partial=True, context={"user": request.user})
        _valid(serializer)
        arguments = serializer.service_arguments()
        arguments.pop("module", None)
        try:
            services.session_update(
                session=session,
                actor=request.user,
                parts=arguments.pop("parts", None),
                trainers=arguments.pop("trainers", None),
                holds=arguments.pop("holds", None),
                **arguments,
            )
        except DjangoValidationError as error:
            _refused(error)
        return Response(SessionSerializer(self.get_queryset().get(pk=session.pk)).data)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Why; the people booked are told it."
    )


@extend_schema(tags=["sessions"], request=ReasonSerializer, responses={200: SessionSerializer})
class SessionCancel(APIView):
    permission_classes = [IsLeadOrAgencyHR]

    @extend_schema(summary="Cancel a session (leads): every booking is cancelled and told")
    def post(self, request, pk):
        _require_lead(request.user)
        session = selectors.get_visible_session_or_404(request.user, pk=pk)
        data = ReasonSerializer(data=request.data)
        _valid(data)
        try:
            services.session_cancel(
                session=session, actor=request.user, reason=data.validated_data.get("reason", "")
            )
        except DjangoValidationError as error:
            _refused(error)
        return Response(SessionSerializer(_sessions(request.user).get(pk=pk)).data)


class BookingSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(
        source="staff.agency", slug_field="slug", read_only=True, help_text="The person's agency (slug)."
    )
    staff_number = serializers.CharField(
        source="staff.staff_number", read_only=True, help_text="The person's staff number."
    )
    name = serializers.CharField(source="staff.full_name", read_only=True, help_text="The person's name.")

    class Meta:
        model = Booking
        fields = [
            "id",
            "session",
            "agency",
            "staff_number",
            "name",
            "status",
            "waitlist_position",
            "late_cancellation",
            "walk_in",
        ]
        extra_kwargs = {
            "id": {"help_text": "The booking's id."},
            "session": {"help_text": "The session's id."},
            "status": {"help_text": "booked, waitlisted, cancelled, attended or no_show."},
            "waitlist_position": {"help_text": "Place on the waiting list, when waitlisted."},
            "late_cancellation": {"help_text": "Cancelled after booking closed."},
            "walk_in": {"help_text": "Added on the register without a booking."},
        }


class BookingInput(serializers.Serializer):
    agency = serializers.SlugField(help_text="The person's agency (slug).")
    staff_number = serializers.CharField(max_length=50, help_text="The person's staff number at that agency.")


class BookingCreated(serializers.Serializer):
    id = serializers.IntegerField(help_text="The booking's id.")
    status = serializers.CharField(help_text="booked or waitlisted.")
    waitlist_position = serializers.IntegerField(allow_null=True, help_text="Place on the waiting list.")


@extend_schema(tags=["sessions"])
class SessionBookings(generics.ListCreateAPIView):
    """Agency HR see their own agencies' bookings only (other agencies' as the session's counts)."""

    permission_classes = [IsLeadOrAgencyHR]
    serializer_class = BookingSerializer

    def _session(self):
        return selectors.get_visible_session_or_404(self.request.user, pk=self.kwargs["pk"])

    @extend_schema(summary="A session's bookings you may see")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.visible_bookings(self.request.user, self._session())

    @extend_schema(
        summary="Book a person on the session",
        request=BookingInput,
        responses={
            201: BookingCreated,
            400: OpenApiResponse(ErrorSerializer, description="Why it is refused."),
        },
    )
    def post(self, request, *args, **kwargs):
        session = self._session()
        data = BookingInput(data=request.data)
        _valid(data)
        agency = access.get_visible_agency_or_404(request.user, slug=data.validated_data["agency"])
        staff = access.get_visible_staff_or_404(
            request.user, agency=agency, staff_number=data.validated_data["staff_number"].strip()
        )
        try:
            booking = services.booking_create(session=session, staff=staff, actor=request.user)
        except DjangoValidationError as error:
            _refused(error)
        return Response(
            {"id": booking.pk, "status": booking.status, "waitlist_position": booking.waitlist_position},
            status=201,
        )


@extend_schema(tags=["sessions"], request=ReasonSerializer, responses={200: BookingSerializer})
class BookingCancel(APIView):
    permission_classes = [IsLeadOrAgencyHR]

    @extend_schema(summary="Cancel a booking: the first person waiting is offered the place")
    def post(self, request, pk):
        booking = selectors.get_visible_booking_or_404(request.user, pk=pk)
        data = ReasonSerializer(data=request.data)
        _valid(data)
        try:
            booking = services.booking_cancel(
                booking=booking, actor=request.user, reason=data.validated_data.get("reason", "")
            )
        except DjangoValidationError as error:
            _refused(error)
        return Response(BookingSerializer(Booking.objects.select_related("staff__agency").get(pk=pk)).data)


@extend_schema(
    tags=["sessions"],
    summary="A booking's calendar invitation (iCalendar)",
    responses={(200, "text/calendar"): OpenApiResponse(description="The .ics file.")},
)
class BookingInvite(APIView):
    permission_classes = [IsLeadOrAgencyHR]

    def get(self, request, pk):
        booking = selectors.get_visible_booking_or_404(request.user, pk=pk)
        response = HttpResponse(
            invitations.booking_invitation(booking), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="booking-{booking.pk}.ics"'
        return response


class AttendanceInput(serializers.Serializer):
    attended = serializers.ListField(child=serializers.IntegerField(), help_text="Booking ids who attended.")
    no_show = serializers.ListField(child=serializers.IntegerField(), help_text="Booking ids who did not.")


class AttendanceResult(serializers.Serializer):
    completions = serializers.IntegerField(help_text="Completions recorded.")


@extend_schema(tags=["sessions"], request=AttendanceInput, responses={200: AttendanceResult})
class SessionAttendance(APIView):
    permission_classes = [IsLeadOrAgencyHR]

    @extend_schema(summary="Confirm the register (leads): completions through the completion service")
    def post(self, request, pk):
        session = selectors.get_visible_session_or_404(request.user, pk=pk)
        if not selectors.may_manage(request.user, session):
            raise exceptions.NotFound("Not found, or not yours to see.")
        data = AttendanceInput(data=request.data)
        _valid(data)
        try:
            result = services.register_confirm(
                session=session,
                attended=data.validated_data["attended"],
                no_show=data.validated_data["no_show"],
                actor=request.user,
            )
        except DjangoValidationError as error:
            _refused(error)
        return Response({"completions": result.completions})


class FeedbackSerializer(serializers.Serializer):
    attended = serializers.IntegerField(help_text="Attendees (for Agency HR: of their own agencies).")
    responses = serializers.IntegerField(help_text="Attendees who gave feedback.")
    response_rate = serializers.IntegerField(
        allow_null=True, help_text="Whole percent, rounded down; null without attendees."
    )
    confidence_before = serializers.FloatField(
        allow_null=True, help_text="Mean, 1 to 5. Null without answers, and for Agency HR (counts only)."
    )
    confidence_after = serializers.FloatField(allow_null=True, help_text="Mean, 1 to 5, as above.")
    usefulness = serializers.FloatField(allow_null=True, help_text="Mean, 1 to 5, as above.")
    comments = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The written answers, without names, oldest first; null for Agency HR.",
    )


@extend_schema(tags=["sessions"], responses={200: FeedbackSerializer})
class SessionFeedback(APIView):
    permission_classes = [IsLeadOrAgencyHR]

    @extend_schema(summary="A session's evaluation: scores and answers (leads), counts (Agency HR)")
    def get(self, request, pk):
        session = selectors.get_visible_session_or_404(request.user, pk=pk)
        figures, comments = selectors.session_feedback_for(request.user, session)
        return Response(
            FeedbackSerializer(
                {
                    "attended": figures.attended,
                    "responses": figures.responses,
                    "response_rate": figures.response_rate,
                    "confidence_before": figures.confidence_before,
                    "confidence_after": figures.confidence_after,
                    "usefulness": figures.usefulness,
                    "comments": comments,
                }
            ).data
        )
