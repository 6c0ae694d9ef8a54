"""The default partnership checklist: five domains, written for this product in its own words.

Plain data, so a partnership can read it and tests can check the database against it.
`strategy.services.framework_install_default` is the one writer. Evidence specs name a module by
code and a job role by name; the installer links them when those exist in the catalogue.
"""

from dataclasses import dataclass

from workforce.models import Tier

NAME = "Partnership HSB self-assessment"
DESCRIPTION = (
    "A checklist for a local safeguarding children partnership to rate how well it responds to, "
    "prevents, assesses and intervenes in harmful sexual behaviour, and how well it develops its "
    "workforce to do so. Rate each statement for the partnership as it is today, with the evidence "
    "you relied on."
)


@dataclass(frozen=True)
class ItemSpec:
    statement: str
    guidance: str
    evidence_module: str = ""  # module code
    evidence_tier: int | None = None
    evidence_job_role: str = ""  # job role name


@dataclass(frozen=True)
class DomainSpec:
    name: str
    description: str
    items: tuple[ItemSpec, ...]


DOMAINS = (
    DomainSpec(
        "Responses",
        "What happens when someone is worried about a child's sexual behaviour.",
        (
            ItemSpec(
                "Every agency uses one agreed route for raising a worry about a child's sexual "
                "behaviour, and its staff can describe it.",
                "Look for a written pathway that names the front door, what information it needs and "
                "what happens next, and for staff in different agencies describing it the same way.",
            ),
            ItemSpec(
                "Worries are screened by someone able to tell behaviour that fits a child's age and "
                "stage from behaviour that is a problem or causes harm.",
                "Sample recent contacts: was the decision recorded with reasons, and did it use a "
                "recognised way of placing behaviour on a continuum?",
            ),
            ItemSpec(
                "Plans made after a worry cover the safety and needs of each child involved, "
                "including the child who caused harm and any siblings or classmates.",
                "Check that plans name each child and that support for one child is not delayed by "
                "decisions about another.",
            ),
            ItemSpec(
                "Multi-agency meetings about a child's sexual behaviour include the school, health "
                "and any other service that knows the children.",
                "Attendance records from a sample of meetings are good evidence.",
            ),
            ItemSpec(
                "The partnership knows how long it takes to get from a worry to a decision, and acts "
                "when that takes too long.",
                "Timeliness figures reported to the partnership board, with actions taken on delays.",
            ),
        ),
    ),
    DomainSpec(
        "Prevention",
        "Stopping harmful sexual behaviour before it starts, and catching early signs.",
        (
            ItemSpec(
                "Children learn about their bodies, respectful relationships, consent and staying "
                "safe online in ways that suit their age, in school and outside it.",
                "Curriculum maps, youth-work programmes and children's own feedback.",
            ),
            ItemSpec(
                "Parents and carers can easily find local advice on what sexual development is "
                "typical and who to ask when they are unsure.",
                "Published local information, and whether parents who asked found it useful.",
            ),
            ItemSpec(
                "Schools, colleges and youth settings each have a written approach to sexual abuse "
                "between children that their staff know how to follow.",
                "Policies seen, and staff able to say what they would do.",
            ),
            ItemSpec(
                "Prevention work is aimed where local data shows the most need: by age, place, "
                "setting or route (including online).",
                "An analysis of referrals that has changed where prevention effort goes.",
            ),
        ),
    ),
    DomainSpec(
        "Assessment",
        "Understanding a child's behaviour, history and needs before deciding what to do.",
        (
            ItemSpec(
                "Children whose behaviour may be harmful are assessed by a practitioner trained in a "
                "recognised assessment model.",
                "A list of assessors and their training, compared with who actually did recent assessments.",
            ),
            ItemSpec(
                "The depth of assessment matches the concern: a short assessment for lower-level "
                "worries and a specialist one for serious or repeated behaviour.",
                "Thresholds written down and applied in a sample of cases.",
            ),
            ItemSpec(
                "Assessments cover the child's own experiences, including any harm done to them, and "
                "the strengths and pressures in their family.",
                "Case audits that look at what assessments covered.",
            ),
            ItemSpec(
                "Younger children, under 12, are assessed with methods designed for their age and "
                "development.",
                "The tools used with younger children, and staff trained in them.",
            ),
        ),
    ),
    DomainSpec(
        "Interventions",
        "Help for children and families that follows from the assessment.",
        (
            ItemSpec(
                "Each intervention is built on the child's assessment and checked against the goals "
                "that assessment set.",
                "Intervention plans that refer to assessed needs, with review dates kept.",
            ),
            ItemSpec(
                "Parents and carers are involved in the work and in keeping children safe at home.",
                "Safety plans signed by carers; carers' views recorded.",
            ),
            ItemSpec(
                "A child who has been harmed gets support for their own sake, whatever happens to "
                "the child who harmed them.",
                "Support offered and taken up by children who were harmed, and how quickly.",
            ),
            ItemSpec(
                "A child returning to school or another setting does so under a plan that every "
                "agency involved has agreed.",
                "Return plans in a sample of cases, with the views of each setting recorded.",
            ),
            ItemSpec(
                "Specialist help can be reached locally without a long wait.",
                "Waiting times for specialist services, reported to the partnership.",
            ),
        ),
    ),
    DomainSpec(
        "Development",
        "Workforce development and awareness raising: people who know what to do, and are trained "
        "to do it. Figures beside these items come from this tracker's training records.",
        (
            ItemSpec(
                "Staff across the universal workforce have completed HSB awareness training.",
                "The figure shows HSB-101 compliance among everyone in a tier 1 (awareness) role.",
                evidence_module="HSB-101",
                evidence_tier=Tier.AWARENESS,
            ),
            ItemSpec(
                "Designated safeguarding leads are trained to use a tool that helps them identify "
                "where a behaviour sits on the continuum.",
                "The figure shows HSB-201 compliance among designated safeguarding leads.",
                evidence_module="HSB-201",
                evidence_job_role="Designated safeguarding lead",
            ),
            ItemSpec(
                "Staff who assess harmful sexual behaviour are trained in an assessment model.",
                "The figure shows HSB-301 compliance among everyone in a tier 3 (specialist) role.",
                evidence_module="HSB-301",
                evidence_tier=Tier.SPECIALIST,
            ),
            ItemSpec(
                "People who supervise HSB practice are trained to supervise it and to lead case audits.",
                "The figure shows HSB-401 compliance among everyone in a tier 4 (strategic) role.",
                evidence_module="HSB-401",
                evidence_tier=Tier.STRATEGIC,
            ),
            ItemSpec(
                "The partnership has a named lead for HSB and a senior sponsor, who report progress "
                "to the partnership board.",
                "Names recorded in this tracker's strategy settings; board minutes showing reports.",
            ),
            ItemSpec(
                "Practitioners working with HSB can get reflective supervision and case consultation "
                "when they need it.",
                "Supervision arrangements written down, and practitioners saying they can use them.",
            ),
        ),
    ),
)
