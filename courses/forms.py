"""Forms of sessions and bookings. The rules live in courses.services; forms check the shape of
what was typed and hand the service's messages back to the page."""

import datetime
import re

from django import forms
from django.core.validators import validate_email
from django.utils import timezone

from training.models import DeliveryMode, Module
from workforce.models import Agency

from . import services
from .models import SESSION_DELIVERY_MODES

PART_LINE = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2})[:.](\d{2})\s*(?:-|–|to)\s*(\d{1,2})[:.](\d{2})\s*$"
)
HOLD_LINE = re.compile(r"^\s*(.+?)\s*:\s*(\d+)\s+until\s+(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
TRAINER_LINE = re.compile(r"^\s*(.+?)\s*<\s*([^>]+?)\s*>\s*$")


def _aware(day, hour, minute):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def parse_parts(text):
    """One part per line, "4/5/2026 09:30-16:30", in UK time."""
    parts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = PART_LINE.match(line)
        if not match:
            raise forms.ValidationError(f"Line {number}: write a part as 4/5/2026 09:30-16:30.")
        d, m, y, h1, m1, h2, m2 = (int(value) for value in match.groups())
        try:
            day = datetime.date(y, m, d)
            parts.append(services.Part(_aware(day, h1, m1), _aware(day, h2, m2)))
        except ValueError as error:
            raise forms.ValidationError(f"Line {number}: that is not a real date and time.") from error
    if not parts:
        raise forms.ValidationError("Enter at least one part, for example 4/5/2026 09:30-16:30.")
    return parts


def parse_trainers(text):
    trainers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = TRAINER_LINE.match(line)
        if not match:
            raise forms.ValidationError(f"Line {number}: write a trainer as Tara Jones <tara@example.org>.")
        name, email = match.groups()
        try:
            validate_email(email)
        except forms.ValidationError as error:
            raise forms.ValidationError(f"Line {number}: {email} is not an email address.") from error
        trainers.append((name, email))
    return trainers


def parse_holds(text):
    holds = []
    agencies = {agency.name.lower(): agency for agency in Agency.objects.all()}
    agencies.update({agency.slug: agency for agency in agencies.values()})
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = HOLD_LINE.match(line)
        if not match:
            raise forms.ValidationError(
                f"Line {number}: write held places as Northshire Police: 4 until 1/5/2026."
            )
        name, places, d, m, y = match.groups()
        agency = agencies.get(name.strip().lower())
        if agency is None:
            raise forms.ValidationError(f"Line {number}: no agency is called {name}.")
        try:
            until = datetime.date(int(y), int(m), int(d))
        except ValueError as error:
            raise forms.ValidationError(f"Line {number}: that is not a real date.") from error
        holds.append(services.Hold(agency, int(places), until))
    return holds


class ModuleChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.title}"


def session_modules():
    return Module.objects.filter(active=True).exclude(delivery_mode=DeliveryMode.E_LEARNING).order_by("code")


class SessionForm(forms.Form):
    module = ModuleChoice(
        queryset=Module.objects.none(),
        empty_label="Choose a module",
        error_messages={"required": "Choose a module."},
    )
    delivery_mode = forms.ChoiceField(
        label="How it is delivered", choices=SESSION_DELIVERY_MODES, widget=forms.RadioSelect
    )
    parts = forms.CharField(
        label="Dates and times",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One line per day of the course, UK time, for example 4/5/2026 09:30-16:30.",
        error_messages={"required": "Enter at least one part, for example 4/5/2026 09:30-16:30."},
    )
    venue = forms.CharField(
        label="Venue",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Address and directions. Leave empty for a live online session.",
    )
    online_link = forms.URLField(
        label="Joining link",
        required=False,
        assume_scheme="https",
        help_text="For a live online session. Only people with a place see it.",
        error_messages={"invalid": "Enter the joining link as a web address, for example https://..."},
    )
    capacity = forms.IntegerField(
        label="Places",
        min_value=1,
        max_value=1000,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
        error_messages={
            "required": "Enter the number of places.",
            "min_value": "A session needs at least 1 place.",
        },
    )
    booking_closes_on = forms.DateField(
        label="Booking closes on",
        required=False,
        help_text="At the end of this day, for example 2/5/2026. Empty: 2 days before the first part.",
        widget=forms.DateInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
        error_messages={"invalid": "Enter the closing date as a real date, for example 2/5/2026."},
    )
    trainers = forms.CharField(
        label="Trainers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: name and email, for example Tara Jones &lt;tara@example.org&gt;.",
    )
    held_places = forms.CharField(
        label="Places held for agencies",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One agency per line, for example Northshire Police: 4 until 1/5/2026. "
        "After that date anyone may take them.",
    )
    notes = forms.CharField(
        label="Notes for attendees", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = session_modules()

    def clean_parts(self):
        return parse_parts(self.cleaned_data["parts"])

    def clean_trainers(self):
        return parse_trainers(self.cleaned_data["trainers"])

    def clean_held_places(self):
        return parse_holds(self.cleaned_data["held_places"])

    def service_arguments(self):
        data = self.cleaned_data
        closes = data.get("booking_closes_on")
        return {
            "module": data["module"],
            "delivery_mode": data["delivery_mode"],
            "parts": data["parts"],
            "venue": data["venue"],
            "online_link": data["online_link"],
            "capacity": data["capacity"],
            "trainers": data["trainers"],
            "holds": data["held_places"],
            "notes": data["notes"],
            "booking_closes_at": _aware(closes, 23, 59) if closes else None,
        }

    @staticmethod
    def initial_for(session):
        def line(part):
            start, end = timezone.localtime(part.starts_at), timezone.localtime(part.ends_at)
            return f"{start:%d/%m/%Y %H:%M}-{end:%H:%M}"

        return {
            "module": session.module_id,
            "delivery_mode": session.delivery_mode,
            "parts": "\n".join(line(part) for part in session.parts.all()),
            "venue": session.venue,
            "online_link": session.online_link,
            "capacity": session.capacity,
            "booking_closes_on": timezone.localtime(session.booking_closes_at).date(),
            "trainers": "\n".join(f"{t.name} <{t.email}>" for t in session.trainers.all()),
            "held_places": "\n".join(
                f"{h.agency.name}: {h.places} until {h.until:%d/%m/%Y}" for h in session.held_places.all()
            ),
            "notes": session.notes,
        }


class SessionCancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is the session cancelled?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Everyone booked or waiting is told this.",
        error_messages={"required": "Give a reason: the people booked are told it."},
    )


class BookingCancelForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=300, help_text="Optional.")


class BookPersonForm(forms.Form):
    staff_number = forms.CharField(
        label="Staff number",
        max_length=50,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
        error_messages={"required": "Enter the person's staff number."},
    )
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), empty_label=None)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies


class SessionFilterForm(forms.Form):
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", required=False)
    module = forms.ModelChoiceField(queryset=Module.objects.none(), required=False, empty_label="All modules")
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        empty_label="All agencies",
        help_text="Free places for this agency's staff.",
        to_field_name="slug",
    )
    mode = forms.ChoiceField(
        label="Delivery", required=False, choices=[("", "Any delivery"), *SESSION_DELIVERY_MODES]
    )

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = session_modules()
        self.fields["agency"].queryset = agencies

    def month_start(self, today):
        value = self.cleaned_data.get("month") if self.is_valid() else None
        if value:
            year, month = (int(part) for part in value.split("-"))
            if 1 <= month <= 12 and 2000 <= year <= 2100:
                return datetime.date(year, month, 1)
        return today.replace(day=1)


class RegisterForm(forms.Form):
    """One choice per booked person (attended or did not attend) and walk-ins by staff number."""

    walk_ins = forms.CharField(
        label="Walk-ins",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="People who came without a booking, one per line: agency, then staff number, for example "
        "Northshire Police, P01234.",
    )

    def __init__(self, *args, bookings, **kwargs):
        super().__init__(*args, **kwargs)
        self.bookings = [b for b in bookings if b.status == "booked"]
        for booking in self.bookings:
            self.fields[f"mark-{booking.pk}"] = forms.ChoiceField(
                label=f"{booking.staff.full_name} ({booking.staff.agency.name})",
                choices=[("attended", "Attended"), ("no_show", "Did not attend")],
                widget=forms.RadioSelect(attrs={"class": "govuk-radios--inline"}),
                error_messages={"required": f"Mark whether {booking.staff.full_name} attended."},
            )

    def rows(self):
        return [self[f"mark-{booking.pk}"] for booking in self.bookings]

    def marked(self, value):
        return [b.pk for b in self.bookings if self.cleaned_data.get(f"mark-{b.pk}") == value]

    def clean_walk_ins(self):
        from workforce.models import StaffMember

        people = []
        for number, line in enumerate(self.cleaned_data["walk_ins"].splitlines(), start=1):
            if not line.strip():
                continue
            agency_text, _, staff_number = line.rpartition(",")
            agency_text, staff_number = agency_text.strip().lower(), staff_number.strip()
            person = (
                StaffMember.objects.filter(staff_number=staff_number)
                .filter(models_q(agency_text))
                .select_related("agency")
                .first()
            )
            if not agency_text or person is None:
                raise forms.ValidationError(
                    f"Line {number}: no one has staff number {staff_number or '(none)'} at that agency."
                )
            people.append(person)
        return people


def models_q(agency_text):
    from django.db.models import Q

    return Q(agency__slug=agency_text) | Q(agency__name__iexact=agency_text)


SCORES = [(str(n), str(n)) for n in range(1, 6)]


def _score(label, help_text, missing):
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "govuk-radios--inline"}),
        error_messages={"required": missing, "invalid_choice": "Choose a number from 1 to 5."},
    )


class FeedbackForm(forms.Form):
    """The session evaluation (PRODUCT.md section 9): three scores and one free-text answer."""

    confidence_before = _score(
        "How confident were you before the session about responding to harmful sexual behaviour?",
        "1 is not at all confident, 5 is very confident.",
        "Choose how confident you were before the session, from 1 to 5.",
    )
    confidence_after = _score(
        "How confident are you now, after the session?",
        "1 is not at all confident, 5 is very confident.",
        "Choose how confident you are after the session, from 1 to 5.",
    )
    usefulness = _score(
        "How useful was the session for your work?",
        "1 is not useful, 5 is very useful.",
        "Choose how useful the session was, from 1 to 5.",
    )
    comments = forms.CharField(
        label="Anything you would tell the trainers",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What worked, what did not, what you would change. Trainers read it without your name.",
        error_messages={"max_length": "Write 2,000 characters or fewer."},
    )

    def service_arguments(self):
        return {name: self.cleaned_data[name] for name in self.fields}


class RegisterUploadForm(forms.Form):
    """A session's register as a spreadsheet (courses.register_kind): which session, and the file.
    The sessions offered are those the person takes the register of that have started and whose
    register is not confirmed yet."""

    session = forms.ModelChoiceField(
        queryset=None,
        label="Session",
        empty_label="Choose a session",
        help_text="Sessions that have started and whose register is not confirmed yet.",
        error_messages={
            "required": "Choose the session this is the register of.",
            "invalid_choice": "Choose one of the sessions in the list.",
        },
    )

    def __init__(self, *args, user, **kwargs):
        from imports.forms import SpreadsheetField, limits_text

        from .selectors import register_sessions

        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = register_sessions(user, today=timezone.localdate())
        self.fields["session"].label_from_instance = lambda session: (
            f"{session.module.code} {session.module.title}, {timezone.localtime(session.starts_at):%-d %B %Y}"
        )
        self.fields["file"] = SpreadsheetField(label="Register spreadsheet", help_text=limits_text())

    @property
    def leading(self):
        """Fields the upload page shows before the file."""
        return [self["session"]]

    def import_options(self):
        return {"options": {"session": self.cleaned_data["session"].pk}}
