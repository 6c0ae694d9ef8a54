"""The scoring rules, table-driven: no database."""

import pytest

from strategy import scoring
from strategy.scoring import EMERGING, FULLY, NOT_APPLICABLE, NOT_IN_PLACE, PARTLY


@pytest.mark.parametrize(
    ("ratings", "percent", "rag"),
    [
        ([FULLY, FULLY], 100, "green"),
        ([NOT_IN_PLACE, NOT_IN_PLACE], 0, "red"),
        ([EMERGING], 33, "red"),  # 33.3%
        ([EMERGING, PARTLY, NOT_IN_PLACE, FULLY], 50, "amber"),
        ([PARTLY, FULLY, FULLY, PARTLY], 83, "green"),  # 10/12
        ([PARTLY, PARTLY, FULLY, PARTLY], 75, "green"),  # exactly 75%: green
        ([EMERGING, PARTLY, PARTLY, PARTLY, PARTLY], 60, "amber"),
        ([NOT_IN_PLACE, EMERGING, PARTLY, NOT_IN_PLACE, PARTLY], 33, "red"),  # 5/15
        # N/A and unrated are left out: one Fully among them is 100%.
        ([FULLY, NOT_APPLICABLE, "", None], 100, "green"),
        ([NOT_APPLICABLE, NOT_APPLICABLE], None, None),
        ([], None, None),
    ],
)
def test_domain_score_and_rag(ratings, percent, rag):
    score = scoring.domain_score(ratings)
    assert score.percent_display == percent
    assert score.rag == rag


def test_counts_scored_not_applicable_and_unrated():
    score = scoring.domain_score([FULLY, NOT_APPLICABLE, "", NOT_IN_PLACE, None])
    assert (score.points, score.scored, score.not_applicable, score.unrated, score.total) == (3, 2, 1, 2, 5)
    assert score.rag_label == "Amber"  # 50%


@pytest.mark.parametrize(
    ("percent", "rag"),
    [
        (0, "red"),
        (39.99, "red"),
        (40, "amber"),
        (74.99, "amber"),
        (75, "green"),
        (100, "green"),
        (None, None),
    ],
)
def test_rag_thresholds(percent, rag):
    assert scoring.rag_for(percent) == rag


@pytest.mark.parametrize(
    ("previous", "current", "change"),
    [
        (NOT_IN_PLACE, EMERGING, "improved"),
        (EMERGING, FULLY, "improved"),
        (PARTLY, PARTLY, "unchanged"),
        (FULLY, PARTLY, "declined"),
        (NOT_APPLICABLE, FULLY, "not_comparable"),
        (FULLY, NOT_APPLICABLE, "not_comparable"),
        ("", FULLY, "not_comparable"),
        (None, NOT_IN_PLACE, "not_comparable"),
    ],
)
def test_compare_ratings(previous, current, change):
    assert scoring.compare_ratings(previous, current) == change


def test_rules_text_names_the_thresholds():
    text = " ".join(scoring.SCORING_RULES)
    assert "Red below 40%" in text and "green at 75% or more" in text
