"""The default catalogue of job roles, modules and requirements (PRODUCT.md section 7).

Plain data, so that a partnership can read it, the demo can install it, and tests can check the
database against it. `catalogue_install` is the one loader: it adds whatever is missing, through
the services (so the history names who installed it), and never changes anything a lead has
already set up.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction

from workforce.models import JobRole, Tier
from workforce.services import job_role_create

from . import services
from .models import DeliveryMode, FrameworkDomain, Module, Requirement

DUE_WITHIN_DAYS = 90
RENEWAL_WINDOW_DAYS = 60


@dataclass(frozen=True)
class ModuleSpec:
    code: str
    title: str
    tier: int
    domain: str
    delivery_mode: str
    duration: str
    validity_months: int | None
    description: str
    renewal_window_days: int = RENEWAL_WINDOW_DAYS


@dataclass(frozen=True)
class JobRoleSpec:
    name: str
    tier: int
    modules: tuple[str, ...]
    aliases: tuple[str, ...]


MODULES = (
    ModuleSpec(
        "HSB-101",
        "Understanding harmful sexual behaviour",
        Tier.AWARENESS,
        FrameworkDomain.PREVENTION,
        DeliveryMode.E_LEARNING,
        "2 hours",
        36,
        "What harmful sexual behaviour is, how it differs from healthy sexual development, and what "
        "every member of the children's workforce should do when they are worried about a child.",
    ),
    ModuleSpec(
        "HSB-102",
        "Local HSB pathway and referral briefing",
        Tier.AWARENESS,
        FrameworkDomain.RESPONSES,
        DeliveryMode.LIVE_ONLINE,
        "90 minutes",
        36,
        "How a concern about a child's sexual behaviour travels through the partnership: who to "
        "call, what the front door needs from you, and what happens next.",
    ),
    ModuleSpec(
        "HSB-201",
        "Using a sexual behaviours traffic light tool",
        Tier.PRACTITIONER,
        FrameworkDomain.PREVENTION,
        DeliveryMode.CLASSROOM,
        "3 hours",
        36,
        "Practice in telling expected, problematic and harmful behaviour apart with a traffic light "
        "tool, using case studies across the age ranges.",
    ),
    ModuleSpec(
        "HSB-202",
        "Responding along the continuum: multi-agency workshop",
        Tier.PRACTITIONER,
        FrameworkDomain.RESPONSES,
        DeliveryMode.CLASSROOM,
        "1 day",
        36,
        "Practitioners from different agencies work through cases together to agree proportionate "
        "responses, from reassurance and education to a strategy discussion.",
    ),
    ModuleSpec(
        "HSB-203",
        "Technology-assisted harmful sexual behaviour",
        Tier.PRACTITIONER,
        FrameworkDomain.PREVENTION,
        DeliveryMode.LIVE_ONLINE,
        "3 hours",
        36,
        "Image sharing, online grooming by peers and other harm that happens through phones and "
        "platforms, and how to respond without criminalising children.",
    ),
    ModuleSpec(
        "HSB-204",
        "Child-on-child sexual abuse for designated safeguarding leads",
        Tier.PRACTITIONER,
        FrameworkDomain.RESPONSES,
        DeliveryMode.LIVE_ONLINE,
        "3 hours",
        24,
        "For designated safeguarding leads and their deputies: handling reports of child-on-child "
        "sexual abuse in school, risk and support plans, and working with police and social care.",
    ),
    ModuleSpec(
        "HSB-301",
        "HSB assessment model: certified practitioner",
        Tier.SPECIALIST,
        FrameworkDomain.ASSESSMENT,
        DeliveryMode.CLASSROOM,
        "3 days",
        36,
        "Certification in a structured assessment model for children and young people who display "
        "harmful sexual behaviour, including report writing and formulation.",
    ),
    ModuleSpec(
        "HSB-302",
        "HSB assessment for children under 12",
        Tier.SPECIALIST,
        FrameworkDomain.ASSESSMENT,
        DeliveryMode.CLASSROOM,
        "2 days",
        36,
        "Adapting assessment for younger children, whose behaviour needs to be understood through "
        "their development, family and experiences of harm.",
    ),
    ModuleSpec(
        "HSB-303",
        "Intervention and safety planning with families",
        Tier.SPECIALIST,
        FrameworkDomain.INTERVENTIONS,
        DeliveryMode.CLASSROOM,
        "2 days",
        36,
        "Building safety plans with children and their carers, and delivering strengths-based "
        "interventions that involve the whole family.",
    ),
    ModuleSpec(
        "HSB-401",
        "Supervising HSB practice and leading the partnership audit",
        Tier.STRATEGIC,
        FrameworkDomain.DEVELOPMENT,
        DeliveryMode.WORKSHOP,
        "half a day",
        36,
        "For managers and leads: supervising practitioners who work with harmful sexual behaviour, "
        "and running the partnership's multi-agency case audit.",
    ),
)

JOB_ROLES = (
    JobRoleSpec(
        "Children's social worker",
        Tier.PRACTITIONER,
        ("HSB-101", "HSB-201", "HSB-202"),
        ("Social worker", "Childrens social worker", "Child and family social worker"),
    ),
    JobRoleSpec(
        "Social work team manager",
        Tier.STRATEGIC,
        ("HSB-101", "HSB-201", "HSB-202", "HSB-401"),
        ("Team manager", "Social work manager", "Team manager (social work)"),
    ),
    JobRoleSpec(
        "Residential care worker",
        Tier.PRACTITIONER,
        ("HSB-101", "HSB-201", "HSB-203"),
        ("Residential support worker", "Residential childcare worker", "Children's home worker"),
    ),
    JobRoleSpec(
        "Early help practitioner",
        Tier.PRACTITIONER,
        ("HSB-101", "HSB-201", "HSB-202"),
        ("Early help worker", "Family support worker", "Family practitioner"),
    ),
    JobRoleSpec(
        "Police officer",
        Tier.AWARENESS,
        ("HSB-101", "HSB-102"),
        ("PC", "Police constable", "Police sergeant", "Neighbourhood officer"),
    ),
    JobRoleSpec(
        "Child abuse investigation officer",
        Tier.PRACTITIONER,
        ("HSB-101", "HSB-202", "HSB-203"),
        ("CAIT officer", "Child abuse investigator", "Detective constable (CAIT)"),
    ),
    JobRoleSpec(
        "School nurse",
        Tier.PRACTITIONER,
        ("HSB-101", "HSB-201", "HSB-203"),
        ("School nursing practitioner", "Specialist community public health nurse (school nursing)"),
    ),
    JobRoleSpec(
        "Health visitor",
        Tier.PRACTITIONER,
        ("HSB-101", "HSB-201"),
        ("HV", "Specialist community public health nurse (health visiting)"),
    ),
    JobRoleSpec(
        "GP or practice nurse",
        Tier.AWARENESS,
        ("HSB-101", "HSB-102"),
        ("GP", "General practitioner", "Practice nurse"),
    ),
    JobRoleSpec(
        "CAMHS clinician",
        Tier.SPECIALIST,
        ("HSB-101", "HSB-201", "HSB-202", "HSB-301", "HSB-303"),
        ("CAMHS practitioner", "CAMHS therapist", "Child and adolescent mental health practitioner"),
    ),
    JobRoleSpec(
        "Named safeguarding nurse",
        Tier.STRATEGIC,
        ("HSB-101", "HSB-201", "HSB-202", "HSB-401"),
        ("Named nurse", "Named nurse for safeguarding", "Safeguarding nurse"),
    ),
    JobRoleSpec(
        "Teacher or school support staff",
        Tier.AWARENESS,
        ("HSB-101",),
        ("Teacher", "Teaching assistant", "TA", "School support staff", "Learning support assistant"),
    ),
    JobRoleSpec(
        "Designated safeguarding lead",
        Tier.PRACTITIONER,
        ("HSB-101", "HSB-201", "HSB-204"),
        ("DSL", "Deputy DSL", "Deputy designated safeguarding lead", "Designated safeguarding officer"),
    ),
    JobRoleSpec(
        "Youth justice case manager",
        Tier.SPECIALIST,
        ("HSB-101", "HSB-201", "HSB-202", "HSB-301", "HSB-303"),
        ("YJS case manager", "YOT case manager", "Youth offending case manager"),
    ),
    JobRoleSpec(
        "Youth worker",
        Tier.AWARENESS,
        ("HSB-101", "HSB-102"),
        ("Youth support worker", "Detached youth worker", "Sessional youth worker"),
    ),
    JobRoleSpec(
        "Specialist HSB practitioner",
        Tier.SPECIALIST,
        ("HSB-101", "HSB-201", "HSB-202", "HSB-301", "HSB-302", "HSB-303"),
        ("HSB practitioner", "HSB specialist", "HSB worker"),
    ),
    JobRoleSpec(
        "HSB strategic lead",
        Tier.STRATEGIC,
        ("HSB-101", "HSB-102", "HSB-401"),
        ("HSB lead", "Partnership HSB lead", "Strategic lead (HSB)"),
    ),
)


@dataclass(frozen=True)
class CatalogueInstalled:
    """What `catalogue_install` added (zero everywhere when the catalogue was already there)."""

    job_roles: int
    modules: int
    requirements: int


def catalogue_install(*, in_force_from: datetime.date, actor=None) -> CatalogueInstalled:
    """Create the default job roles, modules and requirements that are missing.

    Existing rows are never changed: a lead may have renamed a module, changed a validity or
    retired something, and installing again must not undo that. A requirement is only added
    alongside a job role or module created in the same call, so a requirement a lead deleted
    between two existing rows stays deleted. New requirements are in force from `in_force_from`.
    """
    with transaction.atomic():
        modules, new_module_codes = _install_modules(actor)
        roles, new_role_names = _install_job_roles(actor)
        requirements = _install_requirements(
            modules=modules,
            roles=roles,
            new_module_codes=new_module_codes,
            new_role_names=new_role_names,
            in_force_from=in_force_from,
            actor=actor,
        )
    return CatalogueInstalled(
        job_roles=len(new_role_names), modules=len(new_module_codes), requirements=requirements
    )


def _install_modules(actor):
    existing = {module.code: module for module in Module.objects.filter(code__in=[m.code for m in MODULES])}
    created = set()
    for spec in MODULES:
        if spec.code in existing:
            continue
        existing[spec.code] = services.module_create(
            actor=actor,
            code=spec.code,
            title=spec.title,
            description=spec.description,
            tier=spec.tier,
            domain=spec.domain,
            delivery_mode=spec.delivery_mode,
            duration=spec.duration,
            validity_months=spec.validity_months,
            renewal_window_days=spec.renewal_window_days,
        )
        created.add(spec.code)
    return existing, created


def _install_job_roles(actor):
    existing = {role.name: role for role in JobRole.objects.filter(name__in=[r.name for r in JOB_ROLES])}
    created = set()
    for spec in JOB_ROLES:
        if spec.name in existing:
            continue
        existing[spec.name] = job_role_create(
            actor=actor, name=spec.name, tier=spec.tier, aliases="\n".join(spec.aliases)
        )
        created.add(spec.name)
    return existing, created


def _install_requirements(*, modules, roles, new_module_codes, new_role_names, in_force_from, actor):
    existing = set(Requirement.objects.values_list("job_role_id", "module_id"))
    count = 0
    for spec in JOB_ROLES:
        for code in spec.modules:
            if spec.name not in new_role_names and code not in new_module_codes:
                continue
            role, module = roles[spec.name], modules[code]
            if (role.pk, module.pk) in existing:
                continue
            services.requirement_create(
                actor=actor,
                job_role=role,
                module=module,
                due_within_days=DUE_WITHIN_DAYS,
                starts_on=in_force_from,
            )
            count += 1
    return count
