"""Compliance targets: the lead sets them on a settings page (HR and outsiders get 404), bad input
is explained and saves nothing, each change is in the history, and the dashboard shows each rate
against its target and its change since last month in words."""

import re

import pytest
from django.urls import reverse

from tests.training.compliance_fixtures import ON
from training.compliance import add_months
from training.models import ComplianceTarget, TargetScope
from training.selectors.targets import RateAgainstTarget, compliance_targets
from training.services import compliance_targets_save
from training.snapshots import compliance_snapshot_take

pytestmark = pytest.mark.django_db


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def form_data(scene, **overrides):
    data = {"partnership": "90", **{f"tier_{tier}": "" for tier in (1, 2, 3, 4)}}
    data.update({f"module_{module.pk}": "" for module in (scene.hsb101, scene.hsb201)})
    data.update(overrides)
    return data


class TestTargetsPage:
    def test_the_lead_sets_partnership_tier_and_module_targets(self, client, lead, scene):
        client.force_login(lead)
        assert "Partnership target" in text(client.get(reverse("compliance:targets")))
        data = form_data(scene, partnership="85", tier_3="95", **{f"module_{scene.hsb201.pk}": "70"})
        response = client.post(reverse("compliance:targets"), data, follow=True)
        assert "Targets saved" in text(response)
        targets = compliance_targets()
        assert (targets.partnership, targets.tiers, targets.modules) == (85, {3: 95}, {scene.hsb201.pk: 70})
        assert targets.for_module(scene.hsb101.pk) == 85
        assert ComplianceTarget.history.filter(history_user=lead).count() == 3
        # Blank removes a target again.
        client.post(reverse("compliance:targets"), form_data(scene, partnership="85"))
        assert compliance_targets().modules == {} and compliance_targets().tiers == {}

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("partnership", "", "Enter the partnership target as a whole percentage, for example 90"),
            (
                "partnership",
                "95%",
                "Partnership target must be a whole number from 1 to 100, without the % sign",
            ),
            ("partnership", "0", "Partnership target must be 1% or more"),
            ("tier_2", "101", "Tier 2 Practitioner must be 100% or less"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_saved(self, client, lead, scene, field, value, message):
        client.force_login(lead)
        response = client.post(reverse("compliance:targets"), form_data(scene, **{field: value}))
        assert response.status_code == 200
        assert message in text(response)
        assert text(response).startswith("Error:") or "There is a problem" in text(response)
        assert not ComplianceTarget.objects.exists()

    def test_hr_and_outsiders_get_404_and_change_nothing(self, client, hr_a, outsider, scene):
        for user in (hr_a, outsider):
            client.force_login(user)
            assert client.get(reverse("compliance:targets")).status_code == 404
            assert (
                client.post(reverse("compliance:targets"), form_data(scene, partnership="50")).status_code
                == 404
            )
        assert not ComplianceTarget.objects.exists()


class TestWords:
    @pytest.mark.parametrize(
        ("percent", "target", "previous", "target_words", "change_words"),
        [
            (92, 90, 89, "Target 90%: met, 2 points above", "Up 3 points since 4 February 2026 (89% then)"),
            (90, 90, 91, "Target 90%: met", "Down 1 point since 4 February 2026 (91% then)"),
            (64, 90, 64, "Target 90%: 26 points below", "No change since 4 February 2026 (64% then)"),
            (64, 90, None, "Target 90%: 26 points below", "No figure a month ago to compare with"),
            (None, 90, None, "Target 90%", "No figure a month ago to compare with"),
        ],
    )
    def test_target_and_change_in_words(self, percent, target, previous, target_words, change_words):
        previous_on = add_months(ON, -1) if previous is not None else None
        shown = RateAgainstTarget(percent, target, previous, previous_on)
        assert (shown.target_words, shown.change_words) == (target_words, change_words)


class TestDashboard:
    def test_the_headline_rate_shows_its_target_and_last_months_change(self, client, lead, scene, on_day):
        compliance_snapshot_take(on=add_months(ON, -1))
        compliance_targets_save(partnership=50)
        client.force_login(lead)
        page = text(client.get(reverse("compliance:dashboard")))
        assert "Target 50%: 6 points below." in page  # 4 of 9 valid: 44%
        assert re.search(r"(Up|Down) \d+ points? since 4 February 2026|No change since 4 February 2026", page)

    def test_a_module_filter_uses_the_module_target(self, client, lead, scene, on_day):
        ComplianceTarget.objects.create(scope=TargetScope.MODULE, module=scene.hsb201, percent=30)
        client.force_login(lead)
        page = text(client.get(reverse("compliance:dashboard"), {"module": scene.hsb201.code}))
        assert "Target 30%" in page

    def test_hr_sees_the_target_without_the_lead_settings_links(self, client, hr_a, scene, on_day):
        client.force_login(hr_a)
        page = text(client.get(reverse("home")))
        assert "Target 90%" in page
        assert "Board report" not in page and "Compliance targets" not in page


def test_an_agency_page_shows_its_rate_against_the_target_and_last_month(client, lead, scene, on_day):
    compliance_snapshot_take(on=add_months(ON, -1))
    client.force_login(lead)
    page = text(client.get(reverse("agency_staff", kwargs={"slug": scene.agency_b.slug})))
    assert "Target 90%: 24 points below." in page  # 2 of 3 valid: 66%
    assert "since 4 February 2026" in page
