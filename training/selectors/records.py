"""Reads for the pages that record, declare and verify completions and manage exemptions.

Each is a fixed number of queries whatever the number of rows. Statuses come from the compliance
engine (training.selectors.compliance_pairs), never from a second set of rules; who may see whom
comes from workforce.access.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Lower

from workforce import access
from workforce.models import StaffMember
from workforce.selectors import current_on_q, staff_matching

from ..compliance import SEVERITY_ORDER
from ..models import Completion, Module, Verification
from .engine import compliance_pairs

REGISTER_RESULTS_LIMIT = 100
# What a pasted register may be separated by: new lines, commas, semicolons and tabs (a column
# copied from a spreadsheet).
_ENTRY_SEPARATORS = re.compile(r"[\n\r,;\t]+")


# ---------------------------------------------------------------------------------------------
# One person's record
# ---------------------------------------------------------------------------------------------


def person_pairs(*, staff, today):
    """The person's required modules with their status on `today`: the most pressing first (by
    severity, then by the date that matters)."""
    pairs = compliance_pairs(
        on=today, staff=StaffMember.objects.filter(pk=staff.pk), include_inactive_agencies=True
    )
    severity = {status: rank for rank, status in enumerate(SEVERITY_ORDER)}
    return sorted(
        pairs,
        key=lambda pair: (-severity[pair.status], pair.key_date or datetime.date.max, pair.module.code),
    )


def person_completions(*, staff):
    """Every completion of the person, whatever its route or verification, newest first."""
    return list(
        Completion.objects.filter(staff=staff)
        .select_related("module", "verified_by")
        .order_by("-completed_on", "-recorded_at", "-id")
    )


def modules_for_declaration(*, required_ids):
    """Active modules as (group label, [(id, label)]) for a select: the person's required modules
    first, then every other active module (people do training beyond what their role asks)."""
    modules = list(Module.objects.filter(active=True).order_by("code").values_list("id", "code", "title"))
    required = [(pk, f"{code} {title}") for pk, code, title in modules if pk in required_ids]
    others = [(pk, f"{code} {title}") for pk, code, title in modules if pk not in required_ids]
    groups = []
    if required:
        groups.append(("Required of you", required))
    if others:
        groups.append(("Other modules" if required else "Modules", others))
    return groups


# ---------------------------------------------------------------------------------------------
# Verification queue
# ---------------------------------------------------------------------------------------------


def pending_verification(*, user, filters=None, q=""):
    """Self-declared completions waiting for a lead, oldest first, within the user's scope;
    narrowed by the people list's filters (training.selectors.compliance.ComplianceFilters) and a
    search of the person's name, staff number or email when given."""
    staff = staff_matching(access.visible_staff(user), q)
    pending = Completion.objects.filter(verification=Verification.PENDING, staff__in=staff)
    if filters is not None:
        pending = filters.narrow(pending)
    return pending.select_related("staff", "staff__agency", "module").order_by("recorded_at", "id")


# ---------------------------------------------------------------------------------------------
# Attendance register
# ---------------------------------------------------------------------------------------------


def register_candidates(*, user, today, agency=None):
    """Current staff the user may record attendance for, optionally of one agency."""
    staff = access.visible_staff(user).filter(current_on_q(today))
    if agency is not None:
        staff = staff.filter(agency=agency)
    return staff


def register_search(*, user, today, q="", agency=None, limit=REGISTER_RESULTS_LIMIT):
    """Current staff matching every word of `q` (name, staff number or email); without a query,
    the agency's staff. Returns (people, more): at most `limit` people, and whether there were more."""
    staff = register_candidates(user=user, today=today, agency=agency)
    words = q.split()
    if not words and agency is None:
        return [], False
    for word in words:
        staff = staff.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(staff_number__icontains=word)
            | Q(email__icontains=word)
        )
    people = list(
        staff.select_related("agency", "job_role").order_by("last_name", "first_name", "agency__name")[
            : limit + 1
        ]
    )
    return people[:limit], len(people) > limit


def split_entries(text):
    """The distinct entries of a pasted list (staff numbers or emails), in the order given."""
    entries = [entry.strip() for entry in _ENTRY_SEPARATORS.split(text or "")]
    seen, distinct = set(), []
    for entry in entries:
        if entry and entry.lower() not in seen:
            seen.add(entry.lower())
            distinct.append(entry)
    return distinct


@dataclass
class RegisterMatch:
    people: list = field(default_factory=list)
    # (entry as typed, why it matched nobody or more than one person)
    problems: list = field(default_factory=list)


def register_match(*, user, today, entries, agency=None):
    """Each pasted entry must be the email address or staff number of exactly one current staff
    member (of `agency` when given, otherwise across what the user may see). Two queries."""
    candidates = register_candidates(user=user, today=today, agency=agency).select_related("agency")
    emails = [entry.lower() for entry in entries if "@" in entry]
    numbers = [entry for entry in entries if "@" not in entry]
    by_email, by_number = {}, {}
    if emails:
        for person in candidates.filter(email__in=emails):
            by_email.setdefault(person.email, []).append(person)
    if numbers:
        # Staff numbers compare without regard to case ("e000123" finds E000123).
        lowered = {number.lower() for number in numbers}
        matching = candidates.annotate(number_lower=Lower("staff_number")).filter(number_lower__in=lowered)
        for person in matching:
            by_number.setdefault(person.staff_number.lower(), []).append(person)
    match = RegisterMatch()
    for entry in entries:
        found = by_email.get(entry.lower(), []) if "@" in entry else by_number.get(entry.lower(), [])
        if len(found) == 1:
            match.people.append(found[0])
        else:
            match.problems.append((entry, _problem(entry, found, agency)))
    return match


def _problem(entry, found, agency):
    what = "email address" if "@" in entry else "staff number"
    where = f"in {agency.name}" if agency is not None else "in any agency you can see"
    if not found:
        return f"No current member of staff has this {what} {where}."
    agencies = " and ".join(sorted({person.agency.name for person in found}))
    return f"This {what} belongs to current staff in {agencies}. Choose the agency above, " + (
        "or enter their staff number instead." if "@" in entry else "so that it matches one person."
    )
