"""Fictional demo data: the eight Northshire agencies and staff with believable training histories.

Everything here is invented (names come from Faker, addresses use example.org). `demo_seed` is the
one entry point; `seed_demo` is its command-line face. It installs the default catalogue and the
agencies when they are missing, and makes staff only while the demo agencies have none, so running
it again changes nothing.

Staff and their histories are built in memory (names by factory_boy's build strategy from Faker)
and written in bulk (see BulkTable), together with the simple-history "created" rows that saving
one by one would have written, so 50,000 people take seconds rather than an hour. Completion
expiries are computed with training.compliance.expiry_date in date order and from the same previous
best expiry as training.services.completion_record would, so the demo never disagrees with the rules.
The same seed on the same day gives the same people and histories.
"""

import datetime
import os
import random
import re
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import factory
import factory.random
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import has_second_factor
from accounts.services import second_factor_set_up
from imports.bulk import reserve_ids
from training.catalogue import CatalogueInstalled, catalogue_install
from training.compliance import add_months, best_expiry_before, expiry_date
from training.models import (
    Assignment,
    Completion,
    CompletionSource,
    Exemption,
    ExemptionReason,
    Module,
    Requirement,
    Verification,
)
from workforce.access import AGENCY_HR_GROUP, LEAD_GROUP
from workforce.models import Agency, JobRole, Sector, StaffMember
from workforce.services import acting_user, agency_create, agency_membership_grant, team_get_or_create

DEFAULT_STAFF = 600
DEFAULT_SEED = 1
BATCH_SIZE = 2000
HISTORY_REASON = "Demo data"
DAY = datetime.timedelta(days=1)
NINE_THIRTY = datetime.time(9, 30)


# ---------------------------------------------------------------------------------------------
# The agencies
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleMix:
    """A share of an agency's staff in one job role, with the job titles and teams they have."""

    role: str
    weight: int
    titles: tuple[str, ...]
    teams: tuple[str, ...]


@dataclass(frozen=True)
class AgencySpec:
    slug: str
    name: str
    sector: str
    domain: str
    staff_prefix: str
    share: int  # percentage of the demo workforce
    roles: tuple[RoleMix, ...]

    @property
    def teams(self):
        return tuple(dict.fromkeys(team for mix in self.roles for team in mix.teams))

    @property
    def hr_contact_email(self):
        return f"hr@{self.domain}"

    @property
    def training_lead_email(self):
        return f"training@{self.domain}"


_CS_FIELD_TEAMS = (
    "Assessment and intervention",
    "Children in care",
    "Disabled children's service",
    "Multi-agency safeguarding hub",
)
_SCHOOLS = (
    "Riverside Primary School",
    "St Aidan's Church of England Primary School",
    "Hillcrest Academy",
    "Northshire High School",
    "Meadowbank Special School",
    "Castlegate Pupil Referral Unit",
)
_YJ_TEAMS = ("Court and bail", "Prevention and diversion", "Interventions", "Out of court disposals")
_YT_TEAMS = ("Detached youth work", "Youth centres", "Mentoring", "Young carers")

AGENCIES = (
    AgencySpec(
        "northshire-childrens-services",
        "Northshire Children's Services",
        Sector.CHILDRENS_SOCIAL_CARE,
        "childrens-services.northshire.example.org",
        "CS",
        16,
        (
            RoleMix(
                "Children's social worker",
                58,
                ("Social worker", "Senior social worker", "Advanced practitioner"),
                _CS_FIELD_TEAMS,
            ),
            RoleMix(
                "Social work team manager", 8, ("Team manager", "Assistant team manager"), _CS_FIELD_TEAMS
            ),
            RoleMix(
                "Residential care worker",
                28,
                ("Residential support worker", "Senior residential support worker", "Night care worker"),
                ("Residential homes",),
            ),
            RoleMix(
                "Specialist HSB practitioner",
                4,
                ("HSB practitioner", "Senior practitioner (HSB)"),
                ("Safeguarding and quality assurance",),
            ),
            RoleMix(
                "HSB strategic lead",
                2,
                ("Head of safeguarding", "HSB strategic lead"),
                ("Safeguarding and quality assurance",),
            ),
        ),
    ),
    AgencySpec(
        "northshire-early-help",
        "Northshire Early Help Service",
        Sector.EARLY_HELP,
        "early-help.northshire.example.org",
        "EH",
        8,
        (
            RoleMix(
                "Early help practitioner",
                80,
                ("Family support worker", "Early help practitioner", "Senior early help practitioner"),
                ("Family hub north", "Family hub south", "Family hub east", "Parenting support"),
            ),
            RoleMix(
                "Youth worker",
                20,
                ("Targeted youth support worker", "Youth worker"),
                ("Targeted youth support",),
            ),
        ),
    ),
    AgencySpec(
        "northshire-police",
        "Northshire Police",
        Sector.POLICE,
        "police.northshire.example.org",
        "PO",
        22,
        (
            RoleMix(
                "Police officer",
                82,
                ("Police constable", "Police sergeant", "Inspector"),
                ("Neighbourhood policing", "Response", "Schools and youth engagement"),
            ),
            RoleMix(
                "Child abuse investigation officer",
                17,
                ("Detective constable", "Detective sergeant"),
                ("Child abuse investigation team", "Public protection unit", "Online child abuse team"),
            ),
            RoleMix(
                "HSB strategic lead",
                1,
                ("Detective inspector, public protection",),
                ("Public protection unit",),
            ),
        ),
    ),
    AgencySpec(
        "northshire-community-health",
        "Northshire Community Health NHS Trust",
        Sector.COMMUNITY_HEALTH,
        "community-health.northshire.example.org",
        "CH",
        12,
        (
            RoleMix(
                "Health visitor",
                52,
                ("Health visitor", "Community staff nurse", "Health visiting team leader"),
                ("Health visiting north", "Health visiting south", "Family nurse partnership"),
            ),
            RoleMix(
                "School nurse",
                40,
                ("School nurse", "Staff nurse (school nursing)", "School nursing team leader"),
                ("School nursing",),
            ),
            RoleMix(
                "Named safeguarding nurse",
                8,
                ("Named nurse for safeguarding children", "Safeguarding nurse specialist"),
                ("Safeguarding children team",),
            ),
        ),
    ),
    AgencySpec(
        "northshire-camhs",
        "Northshire Child and Adolescent Mental Health Service",
        Sector.MENTAL_HEALTH,
        "camhs.northshire.example.org",
        "CA",
        7,
        (
            RoleMix(
                "CAMHS clinician",
                80,
                (
                    "Mental health practitioner",
                    "Clinical psychologist",
                    "Child and adolescent psychotherapist",
                    "Consultant psychiatrist",
                ),
                ("Community CAMHS", "Crisis and home treatment", "Neurodevelopmental pathway"),
            ),
            RoleMix(
                "Specialist HSB practitioner",
                15,
                ("HSB practitioner", "Forensic psychologist"),
                ("Forensic CAMHS and HSB service",),
            ),
            RoleMix("Named safeguarding nurse", 5, ("Named nurse for safeguarding",), ("Community CAMHS",)),
        ),
    ),
    AgencySpec(
        "northshire-schools",
        "Northshire Schools Partnership",
        Sector.EDUCATION,
        "schools.northshire.example.org",
        "SC",
        26,
        (
            RoleMix(
                "Teacher or school support staff",
                90,
                ("Class teacher", "Teaching assistant", "Learning support assistant", "Head of year"),
                _SCHOOLS,
            ),
            RoleMix(
                "Designated safeguarding lead",
                10,
                ("Designated safeguarding lead", "Deputy designated safeguarding lead"),
                _SCHOOLS,
            ),
        ),
    ),
    AgencySpec(
        "northshire-youth-justice",
        "Northshire Youth Justice Service",
        Sector.YOUTH_JUSTICE,
        "youth-justice.northshire.example.org",
        "YJ",
        4,
        (
            RoleMix("Youth justice case manager", 70, ("Case manager", "Senior case manager"), _YJ_TEAMS),
            RoleMix("Specialist HSB practitioner", 12, ("HSB practitioner",), ("Interventions",)),
            RoleMix(
                "Youth worker",
                14,
                ("Prevention worker", "Sessional youth worker"),
                ("Prevention and diversion",),
            ),
            RoleMix("Social work team manager", 4, ("Operational manager", "Team manager"), _YJ_TEAMS),
        ),
    ),
    AgencySpec(
        "northshire-youth-trust",
        "Northshire Youth Trust",
        Sector.VOLUNTARY,
        "youth-trust.northshire.example.org",
        "YT",
        5,
        (
            RoleMix(
                "Youth worker",
                86,
                ("Youth worker", "Senior youth worker", "Sessional youth worker"),
                _YT_TEAMS,
            ),
            RoleMix("Early help practitioner", 14, ("Family support worker",), ("Young carers", "Mentoring")),
        ),
    ),
)
DEMO_SLUGS = tuple(spec.slug for spec in AGENCIES)
HR_DEMO_AGENCY = "northshire-childrens-services"
# The one person on two agencies' lists with the same address (a sessional worker).
SHARED_EMAIL_AGENCIES = ("northshire-youth-trust", "northshire-youth-justice")


def agencies_install(*, actor=None):
    """Create the demo agencies that are missing; an existing agency is left exactly as it is.

    An agency found by its name (a lead may have changed the slug) counts as existing too.
    """
    found = Agency.objects.filter(Q(slug__in=DEMO_SLUGS) | Q(name__in=[spec.name for spec in AGENCIES]))
    existing = {value for pair in found.values_list("slug", "name") for value in pair}
    created = 0
    for spec in AGENCIES:
        if spec.slug in existing or spec.name in existing:
            continue
        agency_create(
            actor=actor,
            name=spec.name,
            slug=spec.slug,
            sector=spec.sector,
            hr_contact_email=spec.hr_contact_email,
            training_lead_email=spec.training_lead_email,
        )
        created += 1
    return created


# ---------------------------------------------------------------------------------------------
# The seed as a whole
# ---------------------------------------------------------------------------------------------


@dataclass
class SeedResult:
    catalogue_created: CatalogueInstalled
    agencies_created: int
    staff_created: int = 0
    completions_created: int = 0
    staff_skipped_reason: str = ""
    logins: str = ""


def default_in_force_from(*, staff, today):
    """The day requirements start: today for an empty demo, three years back when it has people.

    Three years back gives the demo people past their due dates and completions due for renewal.
    """
    return today if staff == 0 else add_months(today, -36)


def demo_seed(*, staff, seed, in_force_from, today=None, actor=None):
    """Install the catalogue and agencies, `staff` people while the demo agencies have none, and the
    demo users, in one transaction. Returns what was added and the text of the demo logins."""
    today = today or timezone.localdate()
    with transaction.atomic():
        catalogue = catalogue_install(in_force_from=in_force_from, actor=actor)
        result = SeedResult(catalogue_created=catalogue, agencies_created=agencies_install(actor=actor))
        if staff > 0:
            if StaffMember.objects.filter(agency__slug__in=DEMO_SLUGS).exists():
                result.staff_skipped_reason = "The demo agencies already have staff, so no staff were added."
            else:
                made = StaffGenerator(seed=seed, today=today, actor=actor).generate(staff)
                result.staff_created, result.completions_created = made
        # Last, so that the logins file is only written once everything else has worked.
        result.logins = demo_users_ensure()
    return result


def database_totals():
    return {
        "agencies": Agency.objects.count(),
        "job_roles": JobRole.objects.count(),
        "modules": Module.objects.count(),
        "requirements": Requirement.objects.count(),
        "staff": StaffMember.objects.count(),
        "completions": Completion.objects.count(),
    }


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------


class DemoNameFactory(factory.DictFactory):
    """A fictional British name (Faker's en_GB names, drawn by how common they are)."""

    class Meta:
        strategy = factory.BUILD_STRATEGY

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")


# Faker draws a weighted name in about 0.1 ms, a whole factory-built person in 0.5 ms: a quarter
# of the time budget for 50,000 people. So factory_boy builds a pool of names once and people
# take a first and a last name from it independently (millions of combinations, common names
# still common), and are assembled as plain model instances.
NAME_POOL_SIZE = 3000


# Share of the whole workforce in each situation. Each gets at least one person once the demo
# has `MIN_STAFF_FOR_EVERY_KIND` people, so even a small demo shows every kind of history.
PROFILE_SHARES = {
    "leaver": 0.06,
    "new_starter": 0.06,
    "future_starter": 0.02,
    "planned_leaver": 0.01,
    "no_start_date": 0.01,
}
FLAG_SHARES = {
    "no_email": 0.02,
    "pending_declaration": 0.02,
    "rejected_declaration": 0.003,
    "exemption": 0.012,
    "assignment": 0.01,
    "role_changed": 0.08,
}
# Four kinds of exemption (see _exemption), so a small demo shows each of them once.
FLAG_MINIMUMS = {"exemption": 4}
MIN_STAFF_FOR_EVERY_KIND = 40
LINE_MANAGER_SHARE = 0.65

# How each required module turned out for long-serving staff, by how diligent the person is.
OUTCOMES = ("compliant", "renewed", "renewal_due", "expired", "renewed_late", "never")
OUTCOME_WEIGHTS = {
    "diligent": (62, 12, 8, 6, 5, 7),
    "patchy": (35, 8, 10, 20, 7, 20),
    "behind": (10, 2, 5, 30, 3, 50),
}
DILIGENCE_WEIGHTS = {"diligent": 55, "patchy": 33, "behind": 12}
SOURCES = (CompletionSource.REGISTER.value, CompletionSource.IMPORT.value, CompletionSource.MANUAL.value)
SOURCE_WEIGHTS = (45, 35, 20)
# random.choices with cumulative weights skips adding them up again for each of 200,000 draws.
OUTCOME_CUM_WEIGHTS = {name: list(accumulate(weights)) for name, weights in OUTCOME_WEIGHTS.items()}
DILIGENCE = list(DILIGENCE_WEIGHTS)
DILIGENCE_CUM_WEIGHTS = list(accumulate(DILIGENCE_WEIGHTS.values()))
SOURCE_CUM_WEIGHTS = list(accumulate(SOURCE_WEIGHTS))
REJECTION_REASONS = (
    "The certificate is for a different course; please upload the HSB certificate.",
    "The certificate has no date on it. Please ask the provider for a dated copy.",
)


@dataclass
class DemoStaff:
    """The columns of one StaffMember row (a model instance costs far more to build)."""

    agency_id: int
    staff_number: str
    first_name: str
    last_name: str
    email: str
    job_role_id: int
    job_title: str
    team_id: int
    line_manager_email: str
    start_date: datetime.date | None
    role_since: datetime.date | None
    left_on: datetime.date | None
    id: int | None = None


@dataclass
class Person:
    staff: DemoStaff
    slug: str
    profile: str
    flags: set = field(default_factory=set)
    diligence: str = "diligent"


@dataclass
class Req:
    module: Module
    starts_on: datetime.date
    due_within_days: int


class PairHistory:
    """Completions of one person for one module, with expiries exactly as the services compute them.

    The previous expiry is training.compliance.best_expiry_before over the counted completions
    made so far, as training.services.completion_record finds it.
    """

    def __init__(self, module, *, latest):
        self.module = module
        self.latest = latest  # nothing after today, or after the person left
        self.verified = []  # (completed_on, expires_on), in the order recorded
        self.dates = set()

    def expiry_for(self, completed_on):
        return expiry_date(
            completed_on=completed_on,
            validity_months=self.module.validity_months,
            renewal_window_days=self.module.renewal_window_days,
            previous_expiry=best_expiry_before(self.verified, before=completed_on),
        )

    def add(self, completed_on):
        """Record a counted completion (in date order); its expiry, or None if it cannot be made."""
        if completed_on > self.latest or completed_on in self.dates:
            return None
        if self.verified and completed_on <= self.verified[-1][0]:
            return None
        expires_on = self.expiry_for(completed_on)
        self.dates.add(completed_on)
        self.verified.append((completed_on, expires_on))
        return expires_on

    def valid_on(self, day):
        return any(expires is None or expires > day for _, expires in self.verified)


class StaffGenerator:
    """Builds N people over the demo agencies, then their completions, exemptions and assignments."""

    def __init__(self, *, seed, today, actor=None):
        self.rng = random.Random(seed)
        factory.random.reseed_random(seed)
        self.today = today
        self.actor = acting_user(actor)
        self.actor_id = self.actor.pk if self.actor else None
        self.now = timezone.now()
        self.completions = self._table(Completion)
        self.exemptions = self._table(Exemption)
        self.assignments = self._table(Assignment)

    def _table(self, model):
        return BulkTable(model, now=self.now, history_user_id=self.actor_id, reason=HISTORY_REASON)

    # -- set-up -------------------------------------------------------------------------------

    def _load(self):
        self.agencies = {a.slug: a for a in Agency.objects.filter(slug__in=DEMO_SLUGS)}
        self.specs = [spec for spec in AGENCIES if spec.slug in self.agencies]
        self.roles = {r.name: r for r in JobRole.objects.all()}
        self.requirements = defaultdict(list)
        for req in Requirement.objects.select_related("module").filter(module__active=True):
            self.requirements[req.job_role_id].append(Req(req.module, req.starts_on, req.due_within_days))
        self.modules = list(Module.objects.filter(active=True).order_by("code"))
        self.teams = {}
        self.managers = {}
        for spec in self.specs:
            agency = self.agencies[spec.slug]
            for name in spec.teams:
                self.teams[spec.slug, name] = team_get_or_create(agency=agency, name=name)
                self.managers[spec.slug, name] = [
                    self._email_local(f"{names['first_name']}.{names['last_name']}") + f"@{spec.domain}"
                    for names in DemoNameFactory.build_batch(3)
                ]

    def _allocate(self, count):
        """Split `count` over the agencies by share (largest remainder), at least one each when possible."""
        total_share = sum(spec.share for spec in self.specs)
        exact = [count * spec.share / total_share for spec in self.specs]
        sizes = [int(x) for x in exact]
        if count >= len(self.specs):
            sizes = [max(1, size) for size in sizes]
        order = sorted(range(len(self.specs)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
        i = 0
        while sum(sizes) < count:
            sizes[order[i % len(order)]] += 1
            i += 1
        while sum(sizes) > count:
            largest = max(range(len(sizes)), key=sizes.__getitem__)
            sizes[largest] -= 1
        return sizes

    def _quota(self, share, count, minimum=1):
        wanted = round(count * share)
        if count >= MIN_STAFF_FOR_EVERY_KIND:
            wanted = max(minimum, wanted)
        return wanted

    def _profiles(self, count):
        profiles = []
        for name, share in PROFILE_SHARES.items():
            profiles += [name] * self._quota(share, count)
        profiles = profiles[:count]
        profiles += ["established"] * (count - len(profiles))
        self.rng.shuffle(profiles)
        return profiles

    # -- people -------------------------------------------------------------------------------

    def generate(self, count):
        self._load()
        names = DemoNameFactory.build_batch(min(count, NAME_POOL_SIZE))
        self.first_names = [n["first_name"] for n in names]
        self.last_names = [n["last_name"] for n in names]
        people = []
        profiles = self._profiles(count)
        for spec, size in zip(self.specs, self._allocate(count), strict=True):
            # catalogue_install has just made sure every default role name exists.
            mixes = spec.roles
            used_emails = set()
            for number in range(1, size + 1):
                profile = profiles[len(people)]
                people.append(self._person(spec, mixes, number, profile, used_emails))
        self._assign_flags(people)
        self._share_one_email(people)
        staff_table = self._table(StaffMember)
        for person, pk in zip(people, reserve_ids(StaffMember, len(people)), strict=True):
            person.staff.id = pk
            staff_table.add(**vars(person.staff))
        staff_table.write()
        for person in people:
            self._histories(person)
        for table in (self.completions, self.exemptions, self.assignments):
            table.assign_ids()
            table.write()
        return len(people), len(self.completions.rows)

    def _person(self, spec, mixes, number, profile, used_emails):
        rng = self.rng
        mix = rng.choices(mixes, cum_weights=list(accumulate(m.weight for m in mixes)))[0]
        team_name = rng.choice(mix.teams)
        start_date, left_on = self._employment(profile)
        staff = DemoStaff(
            first_name=rng.choice(self.first_names),
            last_name=rng.choice(self.last_names),
            agency_id=self.agencies[spec.slug].pk,
            staff_number=f"{spec.staff_prefix}{number:06d}",
            email="",
            job_role_id=self.roles[mix.role].pk,
            job_title=rng.choice(mix.titles),
            team_id=self.teams[spec.slug, team_name].pk,
            start_date=start_date,
            role_since=start_date,
            left_on=left_on,
            line_manager_email="",
        )
        staff.email = self._unique_email(staff, spec.domain, used_emails)
        if rng.random() < LINE_MANAGER_SHARE:
            staff.line_manager_email = rng.choice(self.managers[spec.slug, team_name])
        diligence = rng.choices(DILIGENCE, cum_weights=DILIGENCE_CUM_WEIGHTS)[0]
        return Person(staff=staff, slug=spec.slug, profile=profile, diligence=diligence)

    def _employment(self, profile):
        """(start_date, left_on) for a profile."""
        rng, today = self.rng, self.today
        if profile == "new_starter":
            return today - rng.randint(0, 89) * DAY, None
        if profile == "future_starter":
            return today + rng.randint(1, 60) * DAY, None
        if profile == "no_start_date":
            return None, None
        start = today - rng.randint(200, 365 * 15) * DAY
        if profile == "leaver":
            return start, today - rng.randint(1, min(700, (today - start).days)) * DAY
        if profile == "planned_leaver":
            return start, today + rng.randint(1, 90) * DAY
        return start, None

    @staticmethod
    def _email_local(text):
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        return re.sub(r"[^a-z0-9.-]", "", text.replace(" ", "-"))

    def _unique_email(self, staff, domain, used):
        local = self._email_local(f"{staff.first_name}.{staff.last_name}")
        candidate, suffix = f"{local}@{domain}", 1
        while candidate in used:
            suffix += 1
            candidate = f"{local}{suffix}@{domain}"
        used.add(candidate)
        return candidate

    def _assign_flags(self, people):
        """Spread the rarer situations over people they make sense for, with a fixed quota each."""
        current = [p for p in people if p.profile in ("established", "planned_leaver", "no_start_date")]
        established = [p for p in people if p.profile == "established"]
        pools = {
            "no_email": people,
            "pending_declaration": current,
            "rejected_declaration": current,
            "exemption": established,
            "assignment": current,
            "role_changed": established,
        }
        for flag, share in FLAG_SHARES.items():
            pool = pools[flag]
            wanted = self._quota(share, len(people), FLAG_MINIMUMS.get(flag, 1))
            for person in self.rng.sample(pool, min(len(pool), wanted)):
                person.flags.add(flag)
        for person in people:
            if "no_email" in person.flags:
                person.staff.email = ""
            if "role_changed" in person.flags:
                start = person.staff.start_date
                person.staff.role_since = max(start, self.today - self.rng.randint(10, 700) * DAY)

    def _share_one_email(self, people):
        """One sessional worker is on two agencies' lists with the same personal address."""
        firsts = {}
        for person in people:
            slug = person.slug
            if (
                slug in SHARED_EMAIL_AGENCIES
                and slug not in firsts
                and person.profile == "established"
                and person.staff.email
            ):
                firsts[slug] = person
        if len(firsts) < 2 or "Youth worker" not in self.roles:
            return
        main, second = (firsts[slug] for slug in SHARED_EMAIL_AGENCIES)
        email = self._email_local(f"{main.staff.first_name}.{main.staff.last_name}") + "@mail.example.com"
        team = self.teams.get((SHARED_EMAIL_AGENCIES[1], "Prevention and diversion"))
        second.staff.team_id = team.pk if team else second.staff.team_id
        for person in (main, second):
            person.staff.email = email
            person.staff.first_name = main.staff.first_name
            person.staff.last_name = main.staff.last_name
            person.staff.job_role_id = self.roles["Youth worker"].pk
            person.staff.job_title = "Sessional youth worker"

    # -- histories ----------------------------------------------------------------------------

    def _histories(self, person):
        staff = person.staff
        reference = staff.left_on if staff.left_on and staff.left_on <= self.today else self.today
        reqs = self.requirements.get(staff.job_role_id, [])
        histories = []
        for req in reqs:
            history = PairHistory(req.module, latest=reference)
            self._outcome(person, history, reference)
            for completed_on, expires_on in history.verified:
                self._completion(staff, req.module, completed_on, expires_on)
            histories.append(history)
        for flag, verification in (
            ("pending_declaration", Verification.PENDING),
            ("rejected_declaration", Verification.REJECTED),
        ):
            if histories and flag in person.flags:
                self._declaration(staff, self._declared_pair(histories), verification)
        if "exemption" in person.flags:
            self._exemption(staff, reqs)
        if "assignment" in person.flags:
            self._assignment(staff, reqs)

    def _outcome(self, person, history, reference):
        rng, profile = self.rng, person.profile
        if profile == "future_starter":
            if rng.random() < 0.1:
                self._brought_with_them(history, person.staff.start_date)
            return
        if profile == "new_starter":
            roll = rng.random()
            if roll < 0.25:
                start = person.staff.start_date
                history.add(start + rng.randint(0, (self.today - start).days) * DAY)
            elif roll < 0.4:
                self._brought_with_them(history, person.staff.start_date)
            return
        weights = OUTCOME_CUM_WEIGHTS[person.diligence]
        outcome = rng.choices(OUTCOMES, cum_weights=weights)[0]
        if history.module.validity_months is None and outcome != "never":
            outcome = "compliant"
        getattr(self, f"_outcome_{outcome}")(history, reference)

    def _brought_with_them(self, history, start):
        """Training done before joining (with a previous employer) still counts."""
        history.add(min(start, self.today) - self.rng.randint(30, 700) * DAY)

    def _outcome_never(self, history, reference):
        pass

    def _outcome_compliant(self, history, reference):
        module = history.module
        if module.validity_months is None:
            history.add(reference - self.rng.randint(0, 1500) * DAY)
            return
        # The earliest date whose expiry still lies beyond the renewal window.
        earliest = add_months(reference, -module.validity_months) + (module.renewal_window_days + 2) * DAY
        span = max(0, (reference - earliest).days)
        history.add(reference - self.rng.randint(0, span) * DAY)

    def _outcome_renewal_due(self, history, reference):
        module = history.module
        target = reference + self.rng.randint(1, max(1, module.renewal_window_days)) * DAY
        history.add(min(reference, add_months(target, -module.validity_months)))

    def _outcome_expired(self, history, reference):
        target = reference - self.rng.randint(0, 900) * DAY
        history.add(add_months(target, -history.module.validity_months))

    def _outcome_renewed(self, history, reference):
        """Renewed inside the window: the second expiry runs on from the first (no drift)."""
        module = history.module
        target = reference + self.rng.randint(-400, module.renewal_window_days - 1) * DAY
        first_expiry = history.add(add_months(target, -module.validity_months))
        if first_expiry is None:
            return
        window_opens = first_expiry - module.renewal_window_days * DAY
        latest = min(first_expiry - DAY, reference)
        if window_opens > latest:
            return
        history.add(window_opens + self.rng.randint(0, (latest - window_opens).days) * DAY)

    def _outcome_renewed_late(self, history, reference):
        """Renewed after the first completion had expired: the new expiry rolls from the new date."""
        module = history.module
        first_expiry = history.add(
            add_months(reference - self.rng.randint(30, 700) * DAY, -module.validity_months)
        )
        if first_expiry is None or first_expiry >= reference:
            return
        history.add(first_expiry + self.rng.randint(1, min(300, (reference - first_expiry).days)) * DAY)

    def _completion(self, staff, module, completed_on, expires_on):
        source = self.rng.choices(SOURCES, cum_weights=SOURCE_CUM_WEIGHTS)[0]
        if source == CompletionSource.REGISTER:
            reference = f"REG-{completed_on:%Y%m%d}-{module.code}"
        elif source == CompletionSource.IMPORT:
            reference = f"NSCP-{self.rng.randint(100000, 999999)}"
        else:
            reference = ""
        self.completions.add(
            staff_id=staff.id,
            module_id=module.pk,
            completed_on=completed_on,
            expires_on=expires_on,
            source=source,
            verification=Verification.VERIFIED,
            certificate_reference=reference,
            recorded_by_id=self.actor_id,
            verified_by_id=self.actor_id,
            verified_at=self.now,
        )

    def _declared_pair(self, histories):
        """People declare what they still need: prefer a module they have no valid completion for."""
        lacking = [history for history in histories if not history.valid_on(self.today)]
        return self.rng.choice(lacking or histories)

    def _declaration(self, staff, history, verification):
        """A self-declared completion from the last few weeks, waiting for (or refused) verification.

        It does not count, so it is not added to the history; its expiry is what recording it
        computes from the counted completions before it (verification computes it again). It was
        recorded a day or two after the course, so some have waited longer than the review limit.
        """
        completed_on = self.today - self.rng.randint(1, 20) * DAY
        if completed_on in history.dates:
            return
        rejected = verification == Verification.REJECTED
        recorded_on = min(self.today, completed_on + self.rng.randint(0, 2) * DAY)
        recorded_at = min(self.now, timezone.make_aware(datetime.datetime.combine(recorded_on, NINE_THIRTY)))
        self.completions.add(
            staff_id=staff.id,
            module_id=history.module.pk,
            completed_on=completed_on,
            expires_on=history.expiry_for(completed_on),
            source=CompletionSource.SELF_DECLARED,
            verification=verification,
            certificate_reference=f"Certificate {self.rng.randint(1000, 9999)}",
            notes="Declared by the member of staff.",
            recorded_at=recorded_at,
            verified_at=self.now if rejected else None,
            rejection_reason=self.rng.choice(REJECTION_REASONS) if rejected else "",
        )

    def _exemption(self, staff, reqs):
        rng, today = self.rng, self.today
        kind = len(self.exemptions.rows) % 4
        if kind == 0 or not reqs:  # off long-term, open-ended
            values = {"module_id": None, "reason": ExemptionReason.LONG_TERM_ABSENCE, "ends_on": None}
            values["starts_on"] = today - rng.randint(20, 200) * DAY
            values["details"] = "Long-term sick leave; review on return."
        elif kind == 1:  # off long-term with a planned return
            values = {"module_id": None, "reason": ExemptionReason.LONG_TERM_ABSENCE}
            values["starts_on"] = today - rng.randint(30, 200) * DAY
            values["ends_on"] = today + rng.randint(14, 120) * DAY
            values["details"] = "Maternity leave."
        elif kind == 2:  # an equivalent qualification, for good
            module = rng.choice(reqs).module
            values = {"module_id": module.pk, "reason": ExemptionReason.EQUIVALENT_QUALIFICATION}
            values["starts_on"] = today - rng.randint(30, 900) * DAY
            values["ends_on"] = None
            values["details"] = "Completed an equivalent accredited course with a previous employer."
        else:  # an exemption that has already ended
            values = {"module_id": None, "reason": ExemptionReason.LONG_TERM_ABSENCE}
            values["starts_on"] = today - rng.randint(200, 500) * DAY
            values["ends_on"] = values["starts_on"] + rng.randint(30, 150) * DAY
            values["details"] = "Secondment outside the partnership."
        self.exemptions.add(staff_id=staff.id, created_by_id=self.actor_id, **values)

    def _assignment(self, staff, reqs):
        required = {req.module.pk for req in reqs}
        extra = [module for module in self.modules if module.pk not in required]
        if not extra:
            return
        assigned_on = self.today - self.rng.randint(0, 120) * DAY
        self.assignments.add(
            staff_id=staff.id,
            module_id=self.rng.choice(extra).pk,
            assigned_on=assigned_on,
            due_on=assigned_on + 90 * DAY,
            reason="Agreed in supervision as part of a development plan.",
            assigned_by_id=self.actor_id,
        )


# ---------------------------------------------------------------------------------------------
# Writing many rows quickly
# ---------------------------------------------------------------------------------------------

_REQUIRED = object()


class BulkTable:
    """Rows of one model as plain lists, written at once with their simple-history "created" rows.

    Building model instances and going through bulk_create costs around 100 microseconds a row in
    Python, which is most of the time for 50,000 people and their completions. Plain rows written
    with COPY (PostgreSQL) or executemany (SQLite) cost a few. Every column is filled: from the
    values given, else the field's default, else empty or null, else it is a mistake (ValueError).
    """

    def __init__(self, model, *, now, history_user_id, reason):
        self.model = model
        self.now = now
        self.history_user_id = history_user_id
        self.reason = reason
        fields = model._meta.concrete_fields
        self.columns = [f.attname for f in fields]
        self.position = {name: index for index, name in enumerate(self.columns)}
        self.defaults = [self._default(f) for f in fields]
        self.rows = []

    def _default(self, field):
        if field.primary_key:
            return None
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return self.now
        if field.has_default() or field.null:
            return field.get_default()
        default = field.get_default()
        return _REQUIRED if default is None else default

    def add(self, **values):
        row = list(self.defaults)
        for name, value in values.items():
            row[self.position[name]] = value
        self.rows.append(row)

    def assign_ids(self):
        pk = self.position[self.model._meta.pk.attname]
        for row, new_id in zip(self.rows, reserve_ids(self.model, len(self.rows)), strict=True):
            row[pk] = new_id

    def write(self):
        if not self.rows:
            return
        for row in self.rows:
            if _REQUIRED in row:
                missing = self.columns[row.index(_REQUIRED)]
                raise ValueError(f"{self.model.__name__}.{missing} needs a value.")
        insert_rows(self.model, self.columns, self.rows)
        self._write_history()

    def _write_history(self):
        history = self.model.history.model
        tracked = [f.attname for f in history.tracked_fields]
        extras = {
            "history_date": self.now,
            "history_change_reason": self.reason,
            "history_type": "+",
            "history_user_id": self.history_user_id,
        }
        columns = [f.attname for f in history._meta.concrete_fields if not f.primary_key]
        unknown = set(columns) - set(tracked) - set(extras)
        if unknown:
            raise ValueError(f"Cannot fill {history.__name__} columns: {', '.join(sorted(unknown))}.")
        picks = [self.position[name] if name in tracked else None for name in columns]
        constants = [extras.get(name) for name in columns]
        rows = [
            [
                row[pick] if pick is not None else constant
                for pick, constant in zip(picks, constants, strict=True)
            ]
            for row in self.rows
        ]
        insert_rows(history, columns, rows)


def insert_rows(model, columns, rows):
    """Insert plain rows (lists of column values in `columns` order) into the model's table."""
    quote = connection.ops.quote_name
    table = model._meta.db_table
    names = ", ".join(quote(name) for name in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = _datetime_adapter(model, columns)
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})"  # noqa: S608
        for start in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, [adapt(row) for row in rows[start : start + BATCH_SIZE]])


def _datetime_adapter(model, columns):
    """Store aware datetimes the way the ORM does on this database (naive UTC text on SQLite)."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    positions = [i for i, name in enumerate(columns) if isinstance(by_attname[name], models.DateTimeField)]
    cache = {None: None}

    def adapt(row):
        row = list(row)
        for i in positions:
            value = row[i]
            if value not in cache:
                cache[value] = connection.ops.adapt_datetimefield_value(value)
            row[i] = cache[value]
        return row

    return adapt


# ---------------------------------------------------------------------------------------------
# Demo logins
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    label: str
    group: str
    email: str
    first_name: str
    last_name: str
    is_staff: bool = False
    agency_slug: str = ""


DEMO_USERS = (
    DemoUser(
        "lead",
        "Partnership lead",
        LEAD_GROUP,
        "workforce.development@partnership.northshire.example.org",
        "Morgan",
        "Ellis",
        is_staff=True,
    ),
    DemoUser(
        "hr",
        "Agency HR, Northshire Children's Services",
        AGENCY_HR_GROUP,
        "hr@childrens-services.northshire.example.org",
        "Sam",
        "Okafor",
        agency_slug=HR_DEMO_AGENCY,
    ),
)
_LOGIN_LINE = re.compile(r"username:\s*(\S+)\s+password:\s*(\S+)")
_KEY_LINE = re.compile(r"authenticator key for (\S+):\s*([A-Z2-7]+)\b")


def demo_logins_file():
    return Path(settings.DEMO_LOGINS_FILE)


def demo_users_ensure():
    """Create the demo lead and Agency HR users that are missing, each with a new random password
    and an authenticator app (the second factor both must have) with a new random key.

    Returns the text of the logins file. Existing users keep their passwords and keys; their logins
    are read back from the file written when they were created (None when that file has gone). An
    existing user with no authenticator app (made before the second factor) is given one.
    """
    User = get_user_model()
    path = demo_logins_file()
    known = _read_logins(path)
    keys = _read_keys(path)
    logins = []
    changed = False
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = _create_demo_user(spec, password)
            changed = True
        else:
            password = known.get(spec.username)
        key = keys.get(spec.username)
        if not has_second_factor(user):
            key = generate_totp_secret()
            second_factor_set_up(user=user, secret=key)
            changed = True
        logins.append((spec, password, key))
    text = _logins_text(logins)
    if changed:
        _write_private(path, text)
    return text


def _create_demo_user(spec, password):
    User = get_user_model()
    user = User.objects.create_user(
        username=spec.username,
        email=spec.email,
        password=password,
        first_name=spec.first_name,
        last_name=spec.last_name,
        is_staff=spec.is_staff,
    )
    user.groups.add(Group.objects.get_or_create(name=spec.group)[0])
    if spec.agency_slug:
        agency_membership_grant(user=user, agency=Agency.objects.get(slug=spec.agency_slug))
    return user


def _read_logins(path):
    try:
        text = path.read_text()
    except OSError:
        return {}
    return dict(_LOGIN_LINE.findall(text))


def demo_authenticator_keys():
    """{username: authenticator key} of the demo users, from the logins file ({} without it)."""
    return _read_keys(demo_logins_file())


def _read_keys(path):
    try:
        text = path.read_text()
    except OSError:
        return {}
    return dict(_KEY_LINE.findall(text))


def _logins_text(logins):
    url = settings.SITE_URL + reverse("login")
    lines = [
        "Demo logins for the HSB training tracker (fictional data only).",
        f"Sign in at {url}",
        "After the password, the tracker asks for a code from an authenticator app: add the key to one,",
        "or run `.venv/bin/python manage.py demo_code` for each demo user's current code.",
        "",
    ]
    for spec, password, key in logins:
        if password is None:
            shown = "(not known: set one with `manage.py changepassword " + spec.username + "`)"
            lines.append(f"{spec.label}: username: {spec.username}  {shown}")
        else:
            lines.append(f"{spec.label}: username: {spec.username}  password: {password}")
        if key:
            lines.append(f"  authenticator key for {spec.username}: {key}")
        else:
            lines.append(f"  authenticator key for {spec.username}: (not known: a lead can reset it)")
    return "\n".join(lines) + "\n"


def _write_private(path, text):
    """Write the logins readable by the owner only (the passwords are real, if only for a demo)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
