import datetime

import pytest

from demo.strategy import seed_strategy_demo
from strategy import selectors
from strategy.models import Action, ActionStatus, AssessmentRound, ItemRating, ProgressNote, StrategySettings
from tests.strategy.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_demo_has_rounds_and_actions_in_each_status_and_runs_once(catalogue):
    created = seed_strategy_demo(today=TODAY)
    assert created == {"settings": 1, "rounds": 2, "actions": 8}
    rounds = list(AssessmentRound.objects.order_by("assessed_on"))
    assert [r.is_completed for r in rounds] == [True, True]
    assert selectors.is_baseline(rounds[0]) and selectors.previous_round(rounds[1]) == rounds[0]
    report = selectors.round_report(rounds[1], today=TODAY)
    changes = {row.change for domain in report.domains for row in domain.rows}
    assert {"improved", "unchanged", "declined", "not_comparable"} <= changes
    statuses = set(Action.objects.values_list("status", flat=True))
    assert statuses == set(ActionStatus.values)
    assert selectors.overdue_for_review(Action.objects.all(), today=TODAY).count() == 1
    assert StrategySettings.objects.get().lead_name == "Priya Sharma"
    assert selectors.next_round_due().due_on > TODAY

    counts = (
        AssessmentRound.objects.count(),
        ItemRating.objects.count(),
        Action.objects.count(),
        ProgressNote.objects.count(),
    )
    assert seed_strategy_demo(today=TODAY + datetime.timedelta(days=3)) == {
        "settings": 0,
        "rounds": 0,
        "actions": 0,
    }
    assert (
        AssessmentRound.objects.count(),
        ItemRating.objects.count(),
        Action.objects.count(),
        ProgressNote.objects.count(),
    ) == counts
