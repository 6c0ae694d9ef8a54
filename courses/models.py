"""Training sessions (the supply side, PRODUCT.md section 9): a session of a module in one or more
dated parts, its trainers, places held for agencies, and the bookings of people on it.

Capacity is enforced in the database: a session keeps the count of its booked places
(`booked_count`) under a check constraint `booked_count <= capacity`, and every booking service
changes that count under a row lock of the session (courses.services), so two requests at once
queue behind each other and neither can take a place the other took.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from training.models import DeliveryMode, Module
from workforce.models import Agency, StaffMember

SESSION_DELIVERY_MODES = [
    (DeliveryMode.CLASSROOM.value, DeliveryMode.CLASSROOM.label),
    (DeliveryMode.LIVE_ONLINE.value, DeliveryMode.LIVE_ONLINE.label),
    (DeliveryMode.WORKSHOP.value, DeliveryMode.WORKSHOP.label),
]


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"
    DELIVERED = "delivered", "Delivered"


class TrainingSession(models.Model):
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="sessions")
    delivery_mode = models.CharField(max_length=20, choices=SESSION_DELIVERY_MODES)
    venue = models.TextField(blank=True, help_text="Address and directions. Empty for a live online session.")
    online_link = models.URLField(
        "joining link", max_length=500, blank=True, help_text="Shown to booked people only."
    )
    capacity = models.PositiveIntegerField(help_text="Places on the session.")
    booking_closes_at = models.DateTimeField(help_text="Default: 2 days before the first part starts.")
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED)
    notes = models.TextField(blank=True, help_text="Anything attendees should know (shown to them).")
    # The first part's start and the last part's end, kept by the service for lists and overlaps.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    booked_count = models.PositiveIntegerField(default=0)
    waitlist_count = models.PositiveIntegerField(default=0)
    # Raised on every change that booked people must hear about (time, venue, link, cancellation):
    # the SEQUENCE of their calendar invitations.
    sequence = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.TextField(blank=True)
    register_confirmed_at = models.DateTimeField(null=True, blank=True)
    register_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["booked_count", "waitlist_count", "updated_at"])

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(booked_count__lte=F("capacity")), name="session_booked_within_capacity"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
        ]
        indexes = [models.Index(fields=["module", "starts_at"], name="session_module_start_idx")]

    def __str__(self):
        return f"{self.module.code} on {self.starts_at:%d/%m/%Y}"

    @property
    def is_cancelled(self):
        return self.status == SessionStatus.CANCELLED


class SessionPart(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="parts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="sessionpart_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="sessionpart_time_idx")]

    def __str__(self):
        return f"{self.starts_at:%d/%m/%Y %H:%M}–{self.ends_at:%H:%M}"


class Trainer(models.Model):
    """A trainer of a session. A signed-in user whose email is a trainer's sees that session and
    takes its register."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="trainers")
    name = models.CharField(max_length=200)
    email = models.EmailField(help_text="Stored in lower case; receives the attendee list 2 days before.")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["email"], name="trainer_email_idx")]

    def __str__(self):
        return self.name


class HeldPlaces(models.Model):
    """Places kept for one agency's staff until a date; after it, anyone may take them."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="held_places")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    places = models.PositiveIntegerField()
    until = models.DateField(help_text="The last day the places are kept for the agency.")

    class Meta:
        ordering = ["agency__name"]
        verbose_name_plural = "held places"
        constraints = [
            models.UniqueConstraint(fields=["session", "agency"], name="heldplaces_unique_session_agency"),
            models.CheckConstraint(condition=Q(places__gt=0), name="heldplaces_positive"),
        ]

    def __str__(self):
        return f"{self.places} places for {self.agency} until {self.until:%d/%m/%Y}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    WAITLISTED = "waitlisted", "On the waiting list"
    CANCELLED = "cancelled", "Cancelled"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "Did not attend"


LIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.WAITLISTED)


class Booking(models.Model):
    """One person on one session. A place offered from the waiting list is moved to booked at once
    (PRODUCT.md section 9) and keeps when it was offered (`offered_at`)."""

    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="bookings")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="bookings")
    # The session's module, kept here so that "one live booking per person per module" is a
    # constraint of the database.
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=BookingStatus.choices)
    waitlist_position = models.PositiveIntegerField(null=True, blank=True)
    walk_in = models.BooleanField(default=False, help_text="Added on the register without a booking.")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    booked_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_by_staff = models.BooleanField(default=False, help_text="Cancelled by the person themselves.")
    cancel_reason = models.CharField(max_length=300, blank=True)
    late_cancellation = models.BooleanField(default=False, help_text="Cancelled after booking closed.")
    # The calendar invitation's SEQUENCE: raised on each change of this booking or its session.
    sequence = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["session__starts_at", "waitlist_position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "module"],
                condition=Q(status__in=["booked", "waitlisted"]),
                name="booking_one_live_per_person_module",
            ),
            models.CheckConstraint(
                condition=(Q(status="waitlisted") & Q(waitlist_position__gte=1))
                | (~Q(status="waitlisted") & Q(waitlist_position__isnull=True)),
                name="booking_position_only_when_waitlisted",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status"], name="booking_session_status_idx"),
            models.Index(fields=["staff", "status"], name="booking_staff_status_idx"),
        ]

    def __str__(self):
        return f"{self.staff} on {self.session}: {self.get_status_display()}"

    @property
    def is_live(self):
        return self.status in LIVE_STATUSES


class SessionChange(models.Model):
    """A change of a session's time, venue or link that its booked people are told about: the
    reminder source emails every booking made before it, once per change (its `sequence`)."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="changes")
    sequence = models.PositiveIntegerField()
    changed_at = models.DateTimeField()
    what = models.CharField(max_length=300)

    class Meta:
        ordering = ["session", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["session", "sequence"], name="sessionchange_unique_sequence")
        ]

    def __str__(self):
        return f"{self.session}: change {self.sequence}"


class FeedbackLink(models.Model):
    """The link in a feedback email that opens one attendee's feedback form without signing in.
    The link carries only a random token; this row keeps its SHA-256 and the booking
    (courses.feedback_links, the pattern of strategy.owner_links)."""

    token_hash = models.CharField(max_length=64, unique=True)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Feedback link of {self.created_at:%Y-%m-%d %H:%M}"


def _one_to_five(name):
    return models.CheckConstraint(
        condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 5}), name=f"feedback_{name}_1_to_5"
    )


SCORE_HELP = "1 (not at all) to 5 (very)."


class Feedback(models.Model):
    """One attendee's evaluation of a session they attended: one per booking (a constraint)."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="feedback")
    confidence_before = models.PositiveSmallIntegerField(help_text=SCORE_HELP)
    confidence_after = models.PositiveSmallIntegerField(help_text=SCORE_HELP)
    usefulness = models.PositiveSmallIntegerField(help_text=SCORE_HELP)
    comments = models.TextField(blank=True, max_length=2000)
    submitted_at = models.DateTimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name_plural = "feedback"
        constraints = [
            _one_to_five("confidence_before"),
            _one_to_five("confidence_after"),
            _one_to_five("usefulness"),
        ]

    def __str__(self):
        return f"Feedback on {self.booking.session}"
