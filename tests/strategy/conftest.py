"""Fixtures for the workforce strategy tests: the default catalogue and checklist, rounds, actions."""

import datetime

import pytest

from strategy import services
from strategy.models import ActionStatus, Item, Rating
from training.catalogue import catalogue_install

D = datetime.date
TODAY = D(2026, 11, 26)
DEFAULT_ASSESSED = D(2026, 3, 4)
DEFAULT_REVIEW = D(2027, 3, 1)


@pytest.fixture
def catalogue(db):
    catalogue_install(in_force_from=D(2020, 1, 1))


@pytest.fixture
def framework(catalogue):
    return services.framework_install_default()


@pytest.fixture
def items(framework):
    """The default checklist's active items, by (domain position, item position)."""
    rows = Item.objects.filter(domain__framework=framework).select_related("domain")
    return {(item.domain.position, item.position): item for item in rows}


def rate_all(assessment_round, value=Rating.PARTLY, overrides=None):
    """Rate every item of a round `value`, or overrides[(domain position, item position)]."""
    overrides = overrides or {}
    for rating in assessment_round.ratings.select_related("item__domain"):
        key = (rating.item.domain.position, rating.item.position)
        services.rating_update(rating=rating, actor=None, value=overrides.get(key, value), evidence_note="")


@pytest.fixture
def make_round(framework, lead):
    def make(
        *,
        assessed_on=DEFAULT_ASSESSED,
        agency=None,
        title="Round",
        value=None,
        overrides=None,
        complete=False,
    ):
        assessment_round = services.round_create(
            framework=framework, title=title, assessed_on=assessed_on, agency=agency, actor=lead
        )
        if value is not None or overrides:
            rate_all(assessment_round, value or Rating.PARTLY, overrides)
        if complete:
            assessment_round = services.round_complete(
                assessment_round=assessment_round, actor=lead, today=TODAY
            )
        return assessment_round

    return make


@pytest.fixture
def make_action(items, lead):
    def make(*, owner_agency=None, status=ActionStatus.NOT_STARTED, review_on=DEFAULT_REVIEW, **kwargs):
        values = {
            "title": "Train every designated safeguarding lead",
            "items": [items[5, 2]],
            "owner_name": "Hannah Price",
            "owner_email": "hannah.price@example.org",
            "due_on": D(2027, 1, 31),
        }
        values.update(kwargs)
        return services.action_create(
            actor=lead,
            today=TODAY,
            owner_agency=owner_agency,
            status=status,
            review_on=review_on,
            **values,
        )

    return make


@pytest.fixture
def action_a(make_action, agency_a):
    return make_action(owner_agency=agency_a, title="Action of agency A", owner_email="owner.a@example.org")


@pytest.fixture
def action_b(make_action, agency_b):
    return make_action(owner_agency=agency_b, title="Action of agency B", owner_email="owner.b@example.org")
