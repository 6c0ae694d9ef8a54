import pytest
from django.urls import reverse

from strategy.models import Framework, StrategySettings

pytestmark = pytest.mark.django_db

MODELS = ["strategysettings", "framework", "domain", "item", "assessmentround", "attachment", "action"]


def test_lead_reads_every_strategy_admin_page(client, lead, make_round, action_a, framework):
    assessment_round = make_round()
    client.force_login(lead)
    for model in MODELS:
        assert client.get(reverse(f"admin:strategy_{model}_changelist")).status_code == 200, model
    for model, pk in [
        ("framework", framework.pk),
        ("assessmentround", assessment_round.pk),
        ("action", action_a.pk),
    ]:
        assert client.get(reverse(f"admin:strategy_{model}_change", args=[pk])).status_code == 200, model


def test_agency_hr_is_kept_out_of_the_admin(client, hr_a):
    client.force_login(hr_a)
    response = client.get(reverse("admin:strategy_action_changelist"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_settings_saved_in_the_admin_go_through_the_service(client, lead):
    client.force_login(lead)
    response = client.post(
        reverse("admin:strategy_strategysettings_add"),
        {
            "lead_name": "Priya",
            "lead_role": "",
            "lead_email": "Priya@Example.org",
            "sponsor_name": "",
            "sponsor_role": "",
            "sponsor_email": "",
            "round_interval_months": "6",
        },
    )
    assert response.status_code == 302
    settings = StrategySettings.objects.get()
    assert (settings.pk, settings.lead_email, settings.updated_by) == (1, "priya@example.org", lead)
    assert client.get(reverse("admin:strategy_strategysettings_add")).status_code == 403


def test_a_second_default_framework_is_refused_with_a_message(client, lead, framework):
    client.force_login(lead)
    response = client.post(
        reverse("admin:strategy_framework_add"),
        {
            "name": "Another",
            "description": "",
            "is_default": "on",
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
            "domains-MIN_NUM_FORMS": "0",
            "domains-MAX_NUM_FORMS": "1000",
        },
    )
    assert "Another framework is already the default. Untick it there first." in response.content.decode()
    assert Framework.objects.count() == 1


def test_an_item_added_on_a_domain_page_joins_the_rounds_in_progress(client, lead, make_round, framework):
    """Through strategy.services.item_create, as on the strategy pages: a round in progress gains
    an unrated row for the new item (saving the row directly, as the admin once did, skipped it)."""
    assessment_round = make_round()
    domain = framework.domains.order_by("position").first()
    client.force_login(lead)
    response = client.post(
        reverse("admin:strategy_domain_change", args=[domain.pk]),
        {
            "name": domain.name,
            "description": domain.description,
            "position": domain.position,
            "framework": framework.pk,
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-position": "99",
            "items-0-statement": "A statement added in the admin",
            "items-0-guidance": "",
            "items-0-active": "on",
        },
    )
    assert response.status_code == 302
    item = domain.items.get(statement="A statement added in the admin")
    assert item.position == 99
    assert assessment_round.ratings.filter(item=item).count() == 1
