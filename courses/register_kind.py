"""A session's attendance register as a spreadsheet: an import kind (imports.kinds) that
courses registers from its AppConfig.ready(), for the lead or the session's trainers.

The file is for one session, chosen at upload (kept in the import record's `options`). Each row
names a person by email or staff number (with the agency when a staff number is not unique)
and says attended or no-show. Everyone booked must be on it; a person not booked who attended
is a walk-in. The preview shows who is marked what; confirming calls
courses.services.register_confirm with exactly the previewed marks, in the engine's one
transaction, so completions are recorded (source register) through the completion service.

Refused, row by row and with nothing written: a person we cannot find, or found twice; a value
that is neither attended nor no-show; a no-show who was not booked; a walk-in booked on another
session of the module; an attendee the completion service would refuse (a leaver, a completion
already recorded). And for the whole file: a session not yet started, cancelled or already
confirmed, or people booked who are missing from the file.
"""

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Exists, IntegerField, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Upper
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from import_export import fields, resources
from import_export import widgets as import_widgets

from imports.columns import (
    STAFF_NUMBER_ALIASES,
    Column,
    ColumnsResource,
    EmailWidget,
    RowError,
    StaffNumberWidget,
    TextWidget,
    agency_keys,
    cell_text,
    lookup_key,
)
from imports.kinds import Headings, ImportKind, Preview, Section
from imports.services import PREVIEW_LIMIT, ImportRefused, ParsedSheet, import_read_sheet
from training.services import completion_check
from workforce import access
from workforce.models import Agency, StaffMember
from workforce.rules import is_current

from .models import Booking, BookingStatus, SessionStatus, TrainingSession

ATTENDED = "attended"
NO_SHOW = "no_show"
ATTENDANCE_WORDS = {
    ATTENDED: ("attended", "yes", "y", "present", "came", "attended yes", "1", "true", "x"),
    NO_SHOW: (
        "no-show",
        "no show",
        "noshow",
        "did not attend",
        "didn't attend",
        "dna",
        "absent",
        "no",
        "n",
        "0",
        "false",
    ),
}

REGISTER_COLUMNS = (
    Column(
        "email",
        "Email",
        aliases=("email address", "work email", "attendee email"),
        help_text="The person's work email. Or give their Staff number instead.",
        example="asha.patel@example.org",
        required_text="Email, or Staff number",
    ),
    Column(
        "staff_number",
        "Staff number",
        aliases=STAFF_NUMBER_ALIASES,
        help_text="Needed for a walk-in without an email. With the Agency when two agencies use the number.",
        example="",
        required_text="Without an email",
    ),
    Column(
        "agency",
        "Agency",
        aliases=("organisation", "agency slug"),
        help_text="The agency's name or short name, when a staff number alone is not enough.",
        example="",
        required_text="When a staff number is not unique",
    ),
    Column(
        "attendance",
        "Attendance",
        required=True,
        aliases=("attended", "attendance", "present", "status", "register"),
        help_text="Attended or no-show (also accepted: yes / no, present / absent, DNA).",
        example="Attended",
    ),
)


class AttendanceWidget(import_widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = " ".join(cell_text(value).replace("’", "'").split()).casefold()
        if not text:
            return None
        for mark, words in ATTENDANCE_WORDS.items():
            if text in words:
                return mark
        raise ValueError("Write Attended or No-show.")


class RegisterResource(ColumnsResource, resources.Resource):
    email = fields.Field(column_name="email", widget=EmailWidget())
    staff_number = fields.Field(column_name="staff_number", widget=StaffNumberWidget())
    agency = fields.Field(column_name="agency", widget=TextWidget(max_length=200))
    attendance = fields.Field(column_name="attendance", widget=AttendanceWidget())

    columns = REGISTER_COLUMNS


# ---------------------------------------------------------------------------------------------
# The kind
# ---------------------------------------------------------------------------------------------


@dataclass
class RegisterImportPreview(Preview):
    """Who a register file marks attended, did not attend and walked in (or, committed, marked)."""

    session_id: int | None = None
    session_label: str = ""
    new: int = 0  # completions to record: attendees and walk-ins
    attended: int = 0
    no_shows: int = 0
    walk_ins: int = 0
    attended_rows: list = field(default_factory=list)
    no_show_rows: list = field(default_factory=list)
    walk_in_rows: list = field(default_factory=list)

    SUMMARY = ("rows", "attended", "no_shows", "walk_ins")

    def checked_message(self):
        return (
            f"Checked {self.rows:,} rows for {self.session_label}: {self.attended:,} attended, "
            f"{self.no_shows:,} did not attend, {self.walk_ins:,} walk-ins. Waiting for confirmation."
        )

    def committed_message(self):
        return (
            f"Register of {self.session_label} confirmed: {self.new:,} completions recorded, "
            f"{self.no_shows:,} did not attend."
        )


def _session_of(options):
    pk = (options or {}).get("session")
    if not isinstance(pk, int):
        return None
    return TrainingSession.objects.select_related("module").filter(pk=pk).first()


def _label(session):
    return f"{session.module.code} on {date_format(timezone.localtime(session.starts_at), 'j F Y')}"


def _trainer_session_ids(user):
    email = (getattr(user, "email", "") or "").strip().lower()
    if not (user.is_authenticated and user.is_active and email):
        return []
    return list(TrainingSession.objects.filter(trainers__email=email).values_list("pk", flat=True))


def _may_take_register(user, session):
    return access.is_lead(user) or session.pk in _trainer_session_ids(user)


class SessionRegisterKind(ImportKind):
    value = "register"
    label = "Session register"
    slug = "registers"
    noun = "session register"
    columns = REGISTER_COLUMNS
    preview_class = RegisterImportPreview
    sections = (
        Section("attended", "Attended", "imports/registers/marked_table.html"),
        Section(
            "no_shows", "Did not attend", "imports/registers/marked_table.html", rows_field="no_show_rows"
        ),
        Section("walk_ins", "Walk-ins", "imports/registers/marked_table.html", rows_field="walk_in_rows"),
    )
    count_labels = (("attended", "Attended"), ("no_shows", "Did not attend"), ("walk_ins", "Walk-ins"))
    headings = Headings(
        validated="Check the register, then confirm",
        committing="Confirming the register",
        committed="Register confirmed",
    )
    template_stem = "session-register-template"
    template_title = "Register"
    done_word = "recorded"
    applies_once = True

    plural_label = "Session register uploads"
    preview_intro = "Nothing has been recorded yet. Check who attended below, then confirm the register."
    apply_note = (
        "Confirming records a completion for everyone who attended, all together or not at all. "
        "A register is confirmed once."
    )
    confirm_button = "Confirm the register"
    none_yet = "No session registers have been uploaded yet."
    help_summary = "the columns, how people are found, and walk-ins"

    # --- access -------------------------------------------------------------------------------

    def may_upload(self, user):
        return access.is_lead(user) or bool(_trainer_session_ids(user))

    def check_access(self, *, actor, agency, options=None):
        """The lead, or a trainer of the chosen session; any other session is a 404."""
        session = _session_of(options)
        if session is None:
            raise Http404("No such session.")
        if actor is not None and not _may_take_register(actor, session):
            raise Http404("No such session.")

    def visible_q(self, user):
        """Registers of the sessions the user trains, as a subquery (no query of its own)."""
        email = (getattr(user, "email", "") or "").strip().lower()
        if access.is_lead(user) or not (user.is_authenticated and user.is_active and email):
            return None
        session_id = Cast(KeyTextTransform("session", OuterRef("options")), IntegerField())
        trains = TrainingSession.objects.filter(pk=session_id, trainers__email=email)
        return Q(kind=self.value) & Q(Exists(trains))

    def upload_initial(self, query, *, user):
        pk = query.get("session", "")
        session = _session_of({"session": int(pk)}) if pk.isdigit() else None
        return {"session": session} if session is not None and _may_take_register(user, session) else {}

    # --- reading, planning and applying -------------------------------------------------------

    def read(self, record, data, *, today, progress):
        parsed = ParsedSheet()
        import_read_sheet(
            parsed,
            data,
            record.original_name,
            columns=REGISTER_COLUMNS,
            resource=RegisterResource(),
            progress=progress,
            header_errors=_who_columns_missing,
        )
        return parsed

    def lock(self, record):
        TrainingSession.objects.select_for_update().filter(pk=(record.options or {}).get("session")).first()

    def plan(self, record, parsed, *, today):
        return _plan(_session_of(record.options), parsed, today=today)

    def preview(self, record, parsed, plan):
        preview = RegisterImportPreview.start(record, parsed)
        if plan.session is not None:
            preview.session_id = plan.session.pk
            preview.session_label = _label(plan.session)
        preview.attended = len(plan.attended)
        preview.no_shows = len(plan.no_show)
        preview.walk_ins = len(plan.walk_ins)
        preview.new = preview.attended + preview.walk_ins
        preview.attended_rows = [_row(n, p, "Attended") for n, _b, p in plan.attended[:PREVIEW_LIMIT]]
        preview.no_show_rows = [_row(n, p, "Did not attend") for n, _b, p in plan.no_show[:PREVIEW_LIMIT]]
        preview.walk_in_rows = [_row(n, p, "Walk-in") for n, p in plan.walk_ins[:PREVIEW_LIMIT]]
        preview.errors = [error.as_dict() for error in plan.errors]
        preview.fingerprint = _fingerprint(plan)
        return preview

    def apply(self, record, plan, *, actor, today):
        from . import services

        try:
            services.register_confirm(
                session=plan.session,
                attended=[booking.pk for _n, booking, _p in plan.attended],
                no_show=[booking.pk for _n, booking, _p in plan.no_show],
                walk_ins=[person for _n, person in plan.walk_ins],
                actor=actor,
                today=today,
            )
        except ValidationError as refusal:
            raise ImportRefused(" ".join(refusal.messages)) from refusal

    def plan_changed_message(self):
        return (
            "The session's bookings or register changed after the preview, so nothing was recorded. "
            "Check the new preview and confirm again."
        )

    # --- pages --------------------------------------------------------------------------------

    def subject(self, record):
        session = _session_of(record.options)
        return _label(session) if session else self.noun

    def caption(self, record):
        return f"{self.subject(record)} – {self.noun}"

    def back_link(self, record):
        session = _session_of(record.options)
        if session is None:
            return super().back_link(record)
        return "The session", reverse("courses:session_detail", kwargs={"pk": session.pk})

    def next_links(self, record):
        session_id = (record.options or {}).get("session")
        return [
            ("See the register", reverse("courses:register", kwargs={"pk": session_id})),
            ("See the session", reverse("courses:session_detail", kwargs={"pk": session_id})),
        ]

    def facts(self, record):
        session = _session_of(record.options)
        return [("Session", _label(session))] if session else []

    def changes_text(self, record):
        preview = record.preview or {}
        if not preview.get("session_label"):
            return ""
        return (
            f"{preview['session_label']}: {preview.get('attended', 0):,} attended, "
            f"{preview.get('no_shows', 0):,} did not attend, {preview.get('walk_ins', 0):,} walk-ins"
        )

    def upload_form(self, data=None, files=None, *, user, initial=None):
        from .forms import RegisterUploadForm

        return RegisterUploadForm(data, files, user=user, initial=initial)


REGISTER = SessionRegisterKind()


def _who_columns_missing(match, headers):
    if match.present("email") or match.present("staff_number"):
        return []
    found = ", ".join(f'"{header}"' for header in headers if header) or "none"
    return [
        RowError(
            None,
            "Email",
            None,
            'The register needs an "Email" column or a "Staff number" column, to know who came. '
            f"The columns found were: {found}.",
        )
    ]


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    session: object = None
    attended: list = field(default_factory=list)  # (row, booking, person)
    no_show: list = field(default_factory=list)  # (row, booking, person)
    walk_ins: list = field(default_factory=list)  # (row, person)
    errors: list = field(default_factory=list)


def _session_errors(session, today):
    if session is None:
        return "The session of this register no longer exists."
    if session.status == SessionStatus.CANCELLED:
        return "This session was cancelled: it has no register."
    if session.register_confirmed_at is not None:
        confirmed = date_format(timezone.localtime(session.register_confirmed_at), "j F Y")
        return f"The register of {_label(session)} was confirmed on {confirmed}: it is confirmed once."
    if timezone.localdate(session.starts_at) > today:
        return f"{_label(session)} has not been held yet: upload its register once it has started."
    return None


class _People:
    """The session's booked people and every member of staff the rows could name, found once."""

    def __init__(self, session, rows, today):
        self.today = today
        self.booked = {
            b.staff_id: b
            for b in session.bookings.filter(status=BookingStatus.BOOKED).select_related("staff")
        }
        emails = {values["email"] for _n, values in rows if values.get("email")}
        numbers = {values["staff_number"].upper() for _n, values in rows if values.get("staff_number")}
        staff = StaffMember.objects.annotate(number_upper=Upper("staff_number")).filter(
            Q(email__in=emails) | Q(number_upper__in=numbers) | Q(pk__in=list(self.booked))
        )
        self.people = list(staff.select_related("agency"))
        self.agency_ids = agency_keys(Agency.objects.values_list("id", "slug", "name"))

    def _pick(self, pool):
        """Among several people: the one booked, else the one current today."""
        booked = [p for p in pool if p.pk in self.booked]
        if len(booked) == 1:
            return [booked[0]]
        current = [p for p in pool if is_current(start_date=p.start_date, left_on=p.left_on, on=self.today)]
        return current or pool

    def identify(self, number, values, match):
        """(person, None) or (None, RowError)."""
        email, staff_number = values.get("email", ""), values.get("staff_number", "")
        agency_text = values.get("agency", "")
        if email:
            pool = self._pick([p for p in self.people if p.email == email])
            column, value, what = match.written.get("email"), email, "this email"
        elif staff_number:
            pool = [p for p in self.people if p.staff_number.upper() == staff_number.upper()]
            if agency_text:
                agency_id = self.agency_ids.get(lookup_key(agency_text))
                if agency_id is None:
                    return None, RowError(
                        number, match.written.get("agency"), agency_text, "No agency has this name."
                    )
                pool = [p for p in pool if p.agency_id == agency_id]
            pool = self._pick(pool)
            column, value, what = match.written.get("staff_number"), staff_number, "this staff number"
        else:
            column = match.written.get("email") or match.written.get("staff_number")
            return None, RowError(number, column, None, "Give the person's email or their staff number.")
        if not pool:
            return None, RowError(number, column, value, f"No member of staff has {what}.")
        if len(pool) > 1:
            names = ", ".join(sorted({p.agency.name for p in pool}))
            message = f"Staff in {len(pool)} agencies have {what} ({names}). Give the Agency too."
            return None, RowError(number, column, value, message)
        return pool[0], None


def _plan(session, parsed, *, today):
    plan = _Plan(session=session, errors=list(parsed.errors))
    problem = _session_errors(session, today)
    if problem:
        plan.errors.insert(0, RowError(None, None, None, problem))
        return plan
    if not parsed.rows:
        return plan
    people = _People(session, parsed.rows, today)
    written = parsed.match.written
    seen = {}
    walk_ins = []
    for number, values in parsed.rows:
        person, error = people.identify(number, values, parsed.match)
        if error is not None:
            plan.errors.append(error)
            continue
        mark = values.get("attendance")
        if mark is None:
            plan.errors.append(
                RowError(number, written.get("attendance"), None, "Write Attended or No-show.")
            )
            continue
        if person.pk in seen:
            message = f"{person.full_name} is on the register twice (rows {seen[person.pk]} and {number})."
            plan.errors.append(RowError(number, None, None, message))
            continue
        seen[person.pk] = number
        booking = people.booked.get(person.pk)
        if booking is not None:
            (plan.attended if mark == ATTENDED else plan.no_show).append((number, booking, person))
        elif mark == NO_SHOW:
            message = f"{person.full_name} was not booked on this session, so cannot be a no-show."
            plan.errors.append(RowError(number, written.get("attendance"), "No-show", message))
        else:
            walk_ins.append((number, person))
    plan.errors += _walk_in_errors(session, walk_ins)
    plan.walk_ins = [(n, p) for n, p in walk_ins if not any(e.row == n for e in plan.errors)]
    plan.errors += _completion_errors(session, [(n, p) for n, _b, p in plan.attended] + plan.walk_ins, today)
    missing = [b.staff for pk, b in people.booked.items() if pk not in seen]
    if missing:
        names = ", ".join(sorted(person.full_name for person in missing)[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        where = "not in the file, or on a row with a problem" if plan.errors else "not in the file"
        plan.errors.append(
            RowError(
                None,
                None,
                None,
                f"Mark everyone booked: {len(missing)} booked on this session "
                f"{'is' if len(missing) == 1 else 'are'} {where} ({names}{more}).",
            )
        )
    plan.errors.sort(key=lambda error: (error.row is not None, error.row or 0))
    return plan


def _walk_in_errors(session, walk_ins):
    """A walk-in booked on another session of the module: mark them on that one instead."""
    if not walk_ins:
        return []
    elsewhere = {
        booking.staff_id: booking
        for booking in Booking.objects.filter(
            staff__in=[p.pk for _n, p in walk_ins], module=session.module_id, status=BookingStatus.BOOKED
        )
        .exclude(session=session)
        .select_related("session")
    }
    errors = []
    for number, person in walk_ins:
        other = elsewhere.get(person.pk)
        if other is not None:
            when = date_format(timezone.localtime(other.session.starts_at), "j F Y")
            message = (
                f"{person.full_name} is booked on another session of {session.module.code}, on {when}. "
                "Mark them on that session's register, or cancel that booking first."
            )
            errors.append(RowError(number, None, None, message))
    return errors


def _completion_errors(session, attendees, today):
    completed_on = timezone.localdate(session.ends_at)
    errors = []
    for number, person in attendees:
        try:
            completion_check(staff=person, module=session.module, completed_on=completed_on, today=today)
        except ValidationError as refusal:
            errors += [RowError(number, None, None, f"{person.full_name}: {m}") for m in refusal.messages]
    return errors


def _row(number, person, mark):
    return {
        "row": number,
        "name": person.full_name,
        "agency": person.agency.name,
        "staff_number": person.staff_number,
        "mark": mark,
    }


def _fingerprint(plan):
    digest = hashlib.sha256()
    digest.update(repr(plan.session.pk if plan.session else None).encode())
    digest.update(repr(sorted(booking.pk for _n, booking, _p in plan.attended)).encode())
    digest.update(repr(sorted(booking.pk for _n, booking, _p in plan.no_show)).encode())
    digest.update(repr(sorted(person.pk for _n, person in plan.walk_ins)).encode())
    return digest.hexdigest()
