"""Reads of the workforce strategy that are more than a `.get`.

Live evidence comes from the tracker's one compliance engine (training.selectors.engine): one call to
`compliance_pairs` for every evidence module of a framework, then the same `compliance_summary`
that compliance_report uses, over the pairs each item's spec selects.
"""

import datetime
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Prefetch, Q

from training.compliance import add_months
from training.selectors.compliance import floor_percent
from training.selectors.engine import compliance_pairs, compliance_summary
from workforce import access

from . import scoring
from .models import (
    Action,
    ActionStatus,
    AssessmentRound,
    Domain,
    Framework,
    Item,
    ItemRating,
    Rating,
    RoundStatus,
    StrategySettings,
)

REVIEW_NOTICE_DAYS = 14


def strategy_settings() -> StrategySettings:
    """The settings row, or unsaved defaults before a lead has saved any."""
    return StrategySettings.objects.filter(pk=StrategySettings.SINGLETON_PK).first() or StrategySettings(
        pk=StrategySettings.SINGLETON_PK
    )


def default_framework() -> Framework | None:
    return Framework.objects.filter(is_default=True).first() or Framework.objects.order_by("id").first()


# ---------------------------------------------------------------------------------------------
# Rhythm of assessment
# ---------------------------------------------------------------------------------------------


def last_partnership_round() -> AssessmentRound | None:
    """The latest completed partnership-wide round: the next round is due from its date."""
    return (
        AssessmentRound.objects.filter(status=RoundStatus.COMPLETED, agency__isnull=True)
        .order_by("-assessed_on", "-id")
        .first()
    )


@dataclass(frozen=True)
class RoundDue:
    last_round: AssessmentRound | None
    due_on: datetime.date | None
    interval_months: int

    def is_due(self, today):
        return self.due_on is not None and self.due_on <= today


def next_round_due(*, settings=None) -> RoundDue:
    settings = settings or strategy_settings()
    last = last_partnership_round()
    due_on = add_months(last.assessed_on, settings.round_interval_months) if last else None
    return RoundDue(last_round=last, due_on=due_on, interval_months=settings.round_interval_months)


def leadership_panel(*, today) -> dict:
    """Context for strategy/includes/leadership_panel.html (also used by the partnership dashboard):
    {% include "strategy/includes/leadership_panel.html" with panel=panel %}"""
    settings = strategy_settings()
    due = next_round_due(settings=settings)
    open_actions = Action.objects.exclude(status=ActionStatus.DONE)
    counts = open_actions.aggregate(
        open=_count(),
        overdue_review=_count(Q(review_on__lt=today)),
        at_risk=_count(Q(status=ActionStatus.AT_RISK)),
    )
    return {
        "settings": settings,
        "configured": bool(settings.lead_name or settings.sponsor_name),
        "round_due": due,
        "round_overdue": due.is_due(today),
        "today": today,
        "open_actions": counts["open"],
        "overdue_review": counts["overdue_review"],
        "at_risk": counts["at_risk"],
    }


def _count(condition=None):
    return Count("id", filter=condition)


# ---------------------------------------------------------------------------------------------
# Frameworks
# ---------------------------------------------------------------------------------------------


def framework_domains(framework, *, active_only=False):
    """The framework's domains, each with its items prefetched in order (two queries)."""
    items = Item.objects.select_related("evidence_module", "evidence_job_role").order_by("position", "id")
    if active_only:
        items = items.filter(active=True)
    return list(
        Domain.objects.filter(framework=framework)
        .order_by("position", "id")
        .prefetch_related(Prefetch("items", queryset=items, to_attr="ordered_items"))
    )


# ---------------------------------------------------------------------------------------------
# Live evidence
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """The compliance of an item's module among the staff its spec selects, on a date."""

    valid: int
    required: int  # required pairs less exempt pairs: the denominator of the rate
    on: datetime.date
    frozen: bool = False

    @property
    def rate(self) -> float | None:
        return self.valid / self.required if self.required else None

    @property
    def percent_display(self) -> int | None:
        return floor_percent(self.valid, self.required)  # the one rounding of rates


def pair_matches(item, pair) -> bool:
    """Whether one compliance pair falls inside an item's evidence spec."""
    if pair.module.id != item.evidence_module_id:
        return False
    if item.evidence_tier is not None and pair.job_role.tier != item.evidence_tier:
        return False
    if item.evidence_job_role_id is not None and pair.job_role.id != item.evidence_job_role_id:
        return False
    return True


def live_evidence(items, *, on, agency=None) -> dict[int, Evidence]:
    """Evidence for every item with a spec, by item id, from one compliance_pairs call."""
    specced = [item for item in items if item.has_evidence_spec]
    if not specced:
        return {}
    module_ids = sorted({item.evidence_module_id for item in specced})
    pairs = compliance_pairs(on=on, agency=agency, module=module_ids)
    evidence = {}
    for item in specced:
        summary = compliance_summary(pair for pair in pairs if pair_matches(item, pair))
        evidence[item.id] = Evidence(valid=summary.valid, required=summary.required - summary.exempt, on=on)
    return evidence


def evidence_date(assessment_round, *, today) -> datetime.date:
    """A round's evidence describes its own date, or today while that date is still ahead."""
    return min(assessment_round.assessed_on, today)


# ---------------------------------------------------------------------------------------------
# Rounds: ratings, scores, comparison with the previous round
# ---------------------------------------------------------------------------------------------


def previous_round(assessment_round) -> AssessmentRound | None:
    """The latest completed round before this one with the same framework and the same scope."""
    earlier = Q(assessed_on__lt=assessment_round.assessed_on) | Q(
        assessed_on=assessment_round.assessed_on, id__lt=assessment_round.id
    )
    return (
        AssessmentRound.objects.filter(
            framework_id=assessment_round.framework_id,
            agency_id=assessment_round.agency_id,
            status=RoundStatus.COMPLETED,
        )
        .filter(earlier)
        .exclude(pk=assessment_round.pk)
        .order_by("-assessed_on", "-id")
        .first()
    )


def is_baseline(assessment_round) -> bool:
    """The first round for its framework and scope is the baseline."""
    return (
        not AssessmentRound.objects.filter(
            framework_id=assessment_round.framework_id, agency_id=assessment_round.agency_id
        )
        .filter(
            Q(assessed_on__lt=assessment_round.assessed_on)
            | Q(assessed_on=assessment_round.assessed_on, id__lt=assessment_round.id)
        )
        .exists()
    )


@dataclass
class ItemRow:
    item: Item
    rating: ItemRating
    previous_rating: str | None
    evidence: Evidence | None

    @property
    def change(self):
        return (
            scoring.compare_ratings(self.previous_rating, self.rating.rating) if self.has_previous else None
        )

    @property
    def has_previous(self):
        return self.previous_rating is not None

    @property
    def change_label(self):
        change = self.change
        return scoring.CHANGE_LABELS[change] if change else ""

    @property
    def previous_label(self):
        return _rating_label(self.previous_rating)


@dataclass
class DomainRow:
    domain: Domain
    rows: list[ItemRow] = field(default_factory=list)
    previous: scoring.DomainScore | None = None

    @property
    def score(self) -> scoring.DomainScore:
        return scoring.domain_score(row.rating.rating for row in self.rows)

    @property
    def change(self):
        if self.previous is None:
            return None
        return scoring.compare(_ratio(self.previous), _ratio(self.score))

    @property
    def change_label(self):
        change = self.change
        return scoring.CHANGE_LABELS[change] if change else ""


def _ratio(score):
    return Fraction(score.points, score.scored) if score.scored else None


def _rating_label(value):
    return Rating(value).label if value else "Not rated"


@dataclass
class RoundReport:
    round: AssessmentRound
    previous: AssessmentRound | None
    domains: list[DomainRow]
    baseline: bool

    @property
    def rated(self):
        return sum(1 for domain in self.domains for row in domain.rows if row.rating.rating)

    @property
    def total(self):
        return sum(len(domain.rows) for domain in self.domains)

    @property
    def complete(self):
        return self.rated == self.total

    @property
    def overall(self) -> scoring.DomainScore:
        return scoring.domain_score(row.rating.rating for domain in self.domains for row in domain.rows)


def round_report(assessment_round, *, today, with_evidence=True) -> RoundReport:
    """Everything a round page, its summary and its export show, in a fixed number of queries."""
    ratings = list(
        ItemRating.objects.filter(round=assessment_round)
        .select_related("item__domain", "item__evidence_module", "item__evidence_job_role")
        .prefetch_related("attachments")
        .order_by("item__domain__position", "item__domain_id", "item__position", "item_id")
    )
    previous = previous_round(assessment_round)
    previous_ratings = (
        dict(ItemRating.objects.filter(round=previous).values_list("item_id", "rating")) if previous else {}
    )
    evidence = _round_evidence(assessment_round, ratings, today=today) if with_evidence else {}

    domains: dict[int, DomainRow] = {}
    previous_by_domain: dict[int, list[str]] = {}
    for rating in ratings:
        item = rating.item
        domain_row = domains.setdefault(item.domain_id, DomainRow(domain=item.domain))
        previous_value = previous_ratings.get(item.id) or None
        domain_row.rows.append(ItemRow(item, rating, previous_value, evidence.get(item.id)))
        if previous and item.id in previous_ratings:
            previous_by_domain.setdefault(item.domain_id, []).append(previous_ratings[item.id])
    for domain_id, values in previous_by_domain.items():
        domains[domain_id].previous = scoring.domain_score(values)
    return RoundReport(
        round=assessment_round,
        previous=previous,
        domains=list(domains.values()),
        baseline=previous is None and is_baseline(assessment_round),
    )


def _round_evidence(assessment_round, ratings, *, today):
    """Frozen figures for a completed round, live ones (from the compliance engine) otherwise."""
    if assessment_round.is_completed:
        return {
            rating.item_id: Evidence(
                valid=rating.evidence_valid,
                required=rating.evidence_required,
                on=assessment_round.assessed_on,
                frozen=True,
            )
            for rating in ratings
            if rating.evidence_required is not None
        }
    return live_evidence(
        [rating.item for rating in ratings],
        on=evidence_date(assessment_round, today=today),
        agency=assessment_round.agency,
    )


def rounds_with_scores(rounds):
    """Each round with its overall score, for lists: two queries whatever the number of rounds."""
    rounds = list(rounds.select_related("framework", "agency"))
    values: dict[int, list[str]] = {}
    for round_id, rating in ItemRating.objects.filter(round__in=rounds).values_list("round_id", "rating"):
        values.setdefault(round_id, []).append(rating)
    return [(each, scoring.domain_score(values.get(each.id, []))) for each in rounds]


# ---------------------------------------------------------------------------------------------
# Action plan
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionFilters:
    owner: str = ""
    agency: int | None = None
    status: str = ""
    overdue_review: bool = False


def action_list(queryset, *, filters: ActionFilters, today):
    """Actions in scope (a queryset from visible_actions), filtered, with their
    items and owner agency loaded: three queries whatever the number of actions."""
    queryset = queryset.select_related("owner_agency").prefetch_related(
        Prefetch(
            "items", queryset=Item.objects.select_related("domain").order_by("domain__position", "position")
        )
    )
    if filters.owner:
        queryset = queryset.filter(
            Q(owner_name__icontains=filters.owner) | Q(owner_email__icontains=filters.owner)
        )
    if filters.agency:
        queryset = queryset.filter(owner_agency_id=filters.agency)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.overdue_review:
        queryset = overdue_for_review(queryset, today=today)
    return queryset.order_by("review_on", "id")


def overdue_for_review(queryset, *, today):
    """Open actions whose review date has passed without a review moving it on."""
    return queryset.exclude(status=ActionStatus.DONE).filter(review_on__lt=today)


def review_window_open(action, *, today) -> bool:
    """An update sent from 14 days before the review date counts as the review."""
    return today >= action.review_on - datetime.timedelta(days=REVIEW_NOTICE_DAYS)


def next_review_date(action, *, today, months=6) -> datetime.date:
    """After a review, the next one is six months on from the scheduled date, or from today when
    the review is late: reviewing a little early does not pull the whole cycle forward."""
    return add_months(max(today, action.review_on), months)


def action_history(action):
    return action.notes.select_related("author").order_by("-created_at", "-id")


# ---------------------------------------------------------------------------------------------
# What each user may see, scoped by workforce.access (the one access module)
# ---------------------------------------------------------------------------------------------
# Partnership leads read and change everything here. Agency HR users read the actions owned
# within their own agencies, and nothing else of the strategy: no rounds, frameworks or
# settings, and no editing. Anyone else sees nothing; out-of-scope objects answer 404.


def visible_actions(user):
    return access.scope(user, Action.objects.all(), agency="owner_agency")


def get_visible_action_or_404(user, **lookup):
    return access.get_scoped_or_404(
        user, Action.objects.select_related("owner_agency"), agency="owner_agency", **lookup
    )


def get_editable_action_or_404(user, **lookup):
    access.require_lead(user)
    return get_visible_action_or_404(user, **lookup)


def visible_rounds(user):
    return access.scope(user, AssessmentRound.objects.all(), agency=None)


def get_visible_round_or_404(user, **lookup):
    return access.get_scoped_or_404(
        user, AssessmentRound.objects.select_related("framework", "agency"), agency=None, **lookup
    )


def visible_frameworks(user):
    return access.scope(user, Framework.objects.all(), agency=None)


def get_visible_framework_or_404(user, **lookup):
    return access.get_scoped_or_404(user, Framework.objects.all(), agency=None, **lookup)
