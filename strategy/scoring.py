"""Scoring rules for assessment rounds, as pure functions of plain values.

How a domain is scored (shown to users on the summary page, keep the two in step):

- Each rated item scores points: Not in place 0, Emerging 1, Partly in place 2, Fully in place 3.
- Not applicable and unrated items are left out of the score (neither numerator nor denominator).
- A domain's score is the mean of its items' points as a percentage of the 3 available:
  sum(points) / (3 x scored items) x 100. A domain with no scored item has no score.
- RAG: red below 40%, amber from 40% to below 75%, green at 75% or more.

Comparing two rounds: an item improved when its points went up, declined when they went down,
and is unchanged when equal; it is "not comparable" when either round has no score for it (not
rated, not applicable, or a new item). A domain compares its scores the same way.
"""

from collections.abc import Iterable
from dataclasses import dataclass

NOT_IN_PLACE = "not_in_place"
EMERGING = "emerging"
PARTLY = "partly"
FULLY = "fully"
NOT_APPLICABLE = "not_applicable"

MAX_POINTS = 3
RATING_POINTS = {NOT_IN_PLACE: 0, EMERGING: 1, PARTLY: 2, FULLY: MAX_POINTS}

RED_BELOW = 40
AMBER_BELOW = 75

RED = "red"
AMBER = "amber"
GREEN = "green"
RAG_LABELS = {RED: "Red", AMBER: "Amber", GREEN: "Green", None: "Not scored"}

IMPROVED = "improved"
UNCHANGED = "unchanged"
DECLINED = "declined"
NOT_COMPARABLE = "not_comparable"
CHANGE_LABELS = {
    IMPROVED: "Improved",
    UNCHANGED: "Unchanged",
    DECLINED: "Declined",
    NOT_COMPARABLE: "Not comparable",
}


def rating_points(rating: str | None) -> int | None:
    """Points for one rating; None for not applicable or not yet rated."""
    return RATING_POINTS.get(rating or "")


@dataclass(frozen=True)
class DomainScore:
    points: int
    scored: int  # items with points (not N/A, not unrated)
    not_applicable: int
    unrated: int

    @property
    def percent(self) -> float | None:
        if not self.scored:
            return None
        return 100 * self.points / (MAX_POINTS * self.scored)

    @property
    def percent_display(self) -> int | None:
        """The percentage as users see it: rounded half up to a whole number."""
        percent = self.percent
        return None if percent is None else int(percent + 0.5)

    @property
    def rag(self) -> str | None:
        return rag_for(self.percent)

    @property
    def rag_label(self) -> str:
        return RAG_LABELS[self.rag]

    @property
    def total(self) -> int:
        return self.scored + self.not_applicable + self.unrated


def domain_score(ratings: Iterable[str | None]) -> DomainScore:
    points = scored = not_applicable = unrated = 0
    for rating in ratings:
        value = rating_points(rating)
        if value is not None:
            points += value
            scored += 1
        elif rating == NOT_APPLICABLE:
            not_applicable += 1
        else:
            unrated += 1
    return DomainScore(points=points, scored=scored, not_applicable=not_applicable, unrated=unrated)


def rag_for(percent: float | None) -> str | None:
    if percent is None:
        return None
    if percent < RED_BELOW:
        return RED
    if percent < AMBER_BELOW:
        return AMBER
    return GREEN


def compare(previous: float | None, current: float | None) -> str:
    """Improved, unchanged or declined from `previous` to `current` (points or percentages)."""
    if previous is None or current is None:
        return NOT_COMPARABLE
    if current > previous:
        return IMPROVED
    if current < previous:
        return DECLINED
    return UNCHANGED


def compare_ratings(previous: str | None, current: str | None) -> str:
    return compare(rating_points(previous), rating_points(current))


# The rules in plain English, as the summary page and the round export show them.
SCORING_RULES = (
    "Each rated item scores points: Not in place 0, Emerging 1, Partly in place 2, Fully in place 3.",
    "Items rated Not applicable, and items not yet rated, are left out of a domain's score.",
    "A domain's score is the points its items scored as a percentage of the most they could score "
    "(3 for each scored item).",
    f"Red below {RED_BELOW}%, amber from {RED_BELOW}% up to {AMBER_BELOW}%, green at {AMBER_BELOW}% or more.",
    "Compared with the previous round of the same framework and scope: improved when the points or "
    "score went up, declined when they went down, unchanged when equal.",
)
