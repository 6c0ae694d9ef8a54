"""Demo data for the workforce strategy: the default checklist, a named lead and sponsor, a completed
baseline round, a completed second round a year later, and an action plan with actions in each status.

`seed_strategy_demo` is called at the end of seed_demo. It runs once: when rounds or actions
already exist it leaves them alone, so a second seed_demo changes nothing. Everything is invented;
addresses use example.org.
"""

import datetime

from django.db import transaction

from strategy import selectors, services
from strategy.models import Action, ActionStatus, AssessmentRound, Item, ProgressVia, Rating, StrategySettings
from training.compliance import add_months
from workforce.models import Agency

DAY = datetime.timedelta(days=1)

LEAD = {
    "lead_name": "Priya Sharma",
    "lead_role": "HSB strategic lead, Northshire Safeguarding Children Partnership",
    "lead_email": "priya.sharma@northshire-scp.example.org",
    "sponsor_name": "Dr Martin Okafor",
    "sponsor_role": "Director of Children's Services, Northshire Council",
    "sponsor_email": "martin.okafor@northshire-council.example.org",
    "round_interval_months": 12,
}

N, E, P, F, NA = Rating.NOT_IN_PLACE, Rating.EMERGING, Rating.PARTLY, Rating.FULLY, Rating.NOT_APPLICABLE

# Ratings by domain position, one per item in order (the default checklist's shape). The second
# round mostly improves; a few statements stay or slip, so the comparison has something to say.
BASELINE = {
    1: (E, N, E, P, N),
    2: (E, N, P, N),
    3: (N, E, E, N),
    4: (E, N, E, N, N),
    5: (E, N, N, E, P, N),
}
SECOND = {
    1: (P, E, P, E, E),
    2: (F, P, P, E),
    3: (E, P, E, NA),
    4: (E, N, E, N, N),
    5: (P, F, P, P, F, P),
}
NOTES = {
    (1, 1): "Pathway agreed at the board in the spring; spot checks in three agencies found staff "
    "could describe it.",
    (2, 3): "Policies seen for all secondary schools; primary schools still to return theirs.",
    (5, 1): "See the live figure: awareness training is climbing but police and schools lag behind.",
    (5, 5): "Named in the strategy settings; quarterly reports to the board since the baseline.",
}

# (title, status, owner name, owner email local part, agency slug, items as (domain, item), due in
# days, review in days, progress notes)
ACTIONS = (
    (
        "Roll out HSB awareness e-learning to every school",
        ActionStatus.ON_TRACK,
        "Sam Whitfield",
        "sam.whitfield",
        "northshire-schools",
        ((5, 1), (2, 3)),
        150,
        40,
        ("Launched to secondary schools; 62% of staff done.",),
    ),
    (
        "Train every designated safeguarding lead in the traffic light tool",
        ActionStatus.AT_RISK,
        "Hannah Price",
        "hannah.price",
        "northshire-schools",
        ((5, 2),),
        60,
        10,
        ("Two of four sessions cancelled for lack of a trainer.",),
    ),
    (
        "Commission assessment model training for the specialist team",
        ActionStatus.NOT_STARTED,
        "Dr Amira Haddad",
        "amira.haddad",
        "northshire-camhs",
        ((3, 1), (5, 3)),
        240,
        90,
        (),
    ),
    (
        "Publish a parents' guide to healthy sexual development",
        ActionStatus.DONE,
        "Joe Barker",
        "joe.barker",
        "northshire-early-help",
        ((2, 2),),
        -30,
        20,
        ("Draft with the parents' forum.", "Published on the partnership website and in GP surgeries."),
    ),
    (
        "Report time from concern to decision to the board each quarter",
        ActionStatus.ON_TRACK,
        "Claire Donnelly",
        "claire.donnelly",
        "northshire-childrens-services",
        ((1, 5),),
        90,
        -5,
        ("First quarterly report drafted.",),
    ),
    (
        "Agree a return-to-school planning template with all agencies",
        ActionStatus.AT_RISK,
        "Tom Ellis",
        "tom.ellis",
        "northshire-youth-justice",
        ((4, 4),),
        45,
        120,
        ("Health have not yet signed up.",),
    ),
    (
        "Set up monthly HSB case consultation for practitioners",
        ActionStatus.NOT_STARTED,
        "Grace Mensah",
        "grace.mensah",
        "northshire-youth-trust",
        ((5, 6),),
        180,
        75,
        (),
    ),
    (
        "Add HSB pathway briefing to police induction",
        ActionStatus.DONE,
        "Insp. Rob Kaur",
        "rob.kaur",
        "northshire-police",
        ((1, 1), (5, 1)),
        -60,
        30,
        ("Included in the induction programme from April.",),
    ),
)


def seed_strategy_demo(*, today, actor=None) -> dict:
    """Install the strategy demo; a second call changes nothing. Returns what it created."""
    with transaction.atomic():
        framework = services.framework_install_default(actor=actor)
        created = {"settings": 0, "rounds": 0, "actions": 0}
        if not StrategySettings.objects.exists():
            services.strategy_settings_update(actor=actor, **LEAD)
            created["settings"] = 1
        if not AssessmentRound.objects.exists():
            created["rounds"] = _rounds(framework, today=today, actor=actor)
        if not Action.objects.exists():
            created["actions"] = _actions(framework, today=today, actor=actor)
    return created


def _items_by_position(framework):
    items = Item.objects.filter(domain__framework=framework, active=True).select_related("domain")
    return {(item.domain.position, item.position): item for item in items}


def _rounds(framework, *, today, actor):
    baseline_on = add_months(today, -13)
    second_on = add_months(today, -1)
    for title, assessed_on, ratings in (
        (f"Baseline assessment {baseline_on.year}", baseline_on, BASELINE),
        (f"Annual review {second_on.year}", second_on, SECOND),
    ):
        assessment_round = services.round_create(
            framework=framework, title=title, assessed_on=assessed_on, actor=actor
        )
        for rating in assessment_round.ratings.select_related("item__domain"):
            key = (rating.item.domain.position, rating.item.position)
            values = ratings.get(key[0], ())
            value = values[key[1] - 1] if key[1] <= len(values) else E
            note = NOTES.get(key, "") if ratings is SECOND else ""
            services.rating_update(rating=rating, actor=actor, value=value, evidence_note=note)
        services.round_complete(assessment_round=assessment_round, actor=actor, today=assessed_on)
    return 2


def _actions(framework, *, today, actor):
    items = _items_by_position(framework)
    agencies = {agency.slug: agency for agency in Agency.objects.all()}
    last_round = selectors.last_partnership_round()
    count = 0
    for title, status, owner, local, slug, item_keys, due_days, review_days, notes in ACTIONS:
        chosen = [items[key] for key in item_keys if key in items]
        if not chosen:
            continue
        # Created with a distant review date so that the progress notes below do not count as
        # reviews; then given its planned date, so that some reviews are due soon and one is overdue.
        action = services.action_create(
            actor=actor,
            today=today,
            title=title,
            items=chosen,
            owner_name=owner,
            owner_email=f"{local}@{slug}.example.org",
            owner_agency=agencies.get(slug),
            due_on=today + due_days * DAY,
            review_on=add_months(today, 12),
            assessment_round=last_round,
        )
        for position, note in enumerate(notes, start=1):
            services.action_progress_add(
                action=action,
                actor=actor,
                today=today,
                note=note,
                status=status if position == len(notes) else ActionStatus.ON_TRACK,
                author_name=owner,
                via=ProgressVia.OWNER_LINK,
            )
        services.action_update(
            action=action,
            actor=actor,
            title=action.title,
            items=chosen,
            owner_name=action.owner_name,
            owner_email=action.owner_email,
            owner_agency=action.owner_agency,
            due_on=action.due_on,
            review_on=today + review_days * DAY,
        )
        count += 1
    return count
