"""What-if: the preview of a change to a module equals a slow reference that really applies the
change in a transaction, recomputes every pair with the pure rules (compliance_pairs) and rolls
back; the preview writes nothing; the page is the lead's; the command's refusals explain."""

import datetime
import io
import json
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse

from notifications.selectors.planning import reminder_plan
from reports.whatif import LATER_DAYS, Change, change_apply, whatif
from tests.training.compliance_fixtures import ON
from training.compliance import Status
from training.models import Completion, Module, Requirement
from training.selectors.engine import compliance_pairs

pytestmark = pytest.mark.django_db


def row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.managed}


def statuses(on):
    return {(pair.staff_id, pair.module.id): pair.status for pair in compliance_pairs(on=on)}


def counts(found):
    tally = Counter(found.values())
    return {status.value: tally.get(status, 0) for status in Status}


def changed(before, after):
    return sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def reference(change, on):
    """Apply the change for real, measure with the pure rules pair by pair, roll back."""
    later = on + datetime.timedelta(days=LATER_DAYS)
    before = {
        "today": statuses(on),
        "later": statuses(later),
        "reminders": len(reminder_plan(day=on).pending),
    }
    with transaction.atomic():
        change_apply(change, on=on)
        after = {
            "today": statuses(on),
            "later": statuses(later),
            "reminders": len(reminder_plan(day=on).pending),
        }
        transaction.set_rollback(True)
    return {
        "before": counts(before["today"]),
        "after": counts(after["today"]),
        "changed": changed(before["today"], after["today"]),
        "later_changed": changed(before["later"], after["later"]),
        "reminders_next_run": {"before": before["reminders"], "after": after["reminders"]},
    }


CHANGES = {
    "validity": lambda s: Change(module=s.hsb101, validity_months=12),
    "never expires": lambda s: Change(module=s.hsb101, validity_months=None),
    "renewal window": lambda s: Change(module=s.hsb101, renewal_window_days=700),
    "due within": lambda s: Change(module=s.hsb201, due_within_days=10),
    "require": lambda s: Change(module=s.hsb201, require=[s.police]),
    "unrequire": lambda s: Change(module=s.hsb101, unrequire=[s.police]),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_the_preview_equals_the_slow_reference_and_writes_nothing(scene, on_day, name):
    change = CHANGES[name](scene)
    expected = reference(change, ON)
    written_before = row_counts()
    expiries = list(Completion.objects.order_by("pk").values_list("expires_on", flat=True))
    result = whatif(change, on=ON)
    assert row_counts() == written_before
    assert list(Completion.objects.order_by("pk").values_list("expires_on", flat=True)) == expiries
    assert result["before"] == expected["before"]
    assert result["after"] == expected["after"]
    assert result["changed"] == expected["changed"]
    assert result["in_90_days"]["changed"] == expected["later_changed"]
    assert result["reminders_next_run"] == expected["reminders_next_run"]
    assert result["changed"] > 0 or result["in_90_days"]["changed"] > 0, "the case should change something"
    # The agencies' figures add up to the partnership's.
    for side in ("before", "after"):
        total = Counter()
        for values in result["by_agency"].values():
            total.update(values[side])
        assert {key: total[key] for key in result[side]} == result[side]


def test_a_shorter_validity_expires_a_valid_completion(scene, on_day):
    # Valid for 6 months, Ben's (1 June 2025), Asha's (10 January 2025) and Rhys's (20 March 2023)
    # HSB-101 have all expired by 4 March 2026.
    result = whatif(Change(module=scene.hsb101, validity_months=6), on=ON)
    assert result["after"]["expired"] == result["before"]["expired"] + 3


def test_saving_a_validity_change_recomputes_the_stored_expiries(scene, on_day, lead):
    change_apply(Change(module=scene.hsb101, validity_months=12), on=ON, actor=lead)
    ben = Completion.objects.get(staff=scene.people["ben"], module=scene.hsb101)
    assert ben.expires_on == datetime.date(2026, 6, 1)
    assert ben.history.order_by("-history_id").first().history_user == lead


class TestCommand:
    def run(self, *arguments):
        out = io.StringIO()
        call_command("whatif", *arguments, stdout=out, stderr=io.StringIO())
        return json.loads(out.getvalue())

    def test_json_as_section_8_gives_it(self, scene, on_day):
        result = self.run("--module", "hsb-101", "--validity-months", "12", "--on", "2026-03-04", "--json")
        assert set(result) >= {"on", "before", "after", "changed", "by_agency", "reminders_next_run"}
        assert result["on"] == "2026-03-04"
        assert set(result["by_agency"]) == {scene.agency_a.slug, scene.agency_b.slug}

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (["--module", "HSB-999"], "There is no module with the code 'HSB-999'"),
            (["--module", "HSB-101"], "Say what would change"),
            (["--module", "HSB-101", "--validity-months", "two"], "--validity-months must be a whole number"),
            (
                ["--module", "HSB-101", "--require", "Astronaut"],
                "--require: there is no job role called 'Astronaut'",
            ),
            (["--module", "HSB-101", "--on", "4/3/2026", "--validity-months", "12"], "--on must be a date"),
        ],
    )
    def test_refusals_explain_and_write_nothing(self, scene, arguments, message):
        written = row_counts()
        with pytest.raises(CommandError, match=message):
            call_command("whatif", *arguments, "--json", stdout=io.StringIO())
        assert row_counts() == written


class TestPage:
    def post(self, client, scene, **data):
        return client.post(reverse("reports:what_if"), {"module": scene.hsb101.code, **data})

    def test_the_lead_previews_then_applies(self, client, lead, scene, on_day):
        client.force_login(lead)
        written = row_counts()
        preview = self.post(client, scene, validity_months="6", action="preview")
        page = preview.content.decode()
        assert "The effect" in page and "Apply this change" in page
        assert "Completions of HSB-101 stay valid 6 months" in page
        assert row_counts() == written
        applied = self.post(client, scene, validity_months="6", action="apply")
        assert applied.status_code == 302
        assert Module.objects.get(pk=scene.hsb101.pk).validity_months == 6

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"validity_months": "0"}, "Valid for must be a whole number of months from 1 to 240"),
            ({}, "Say what would change"),
            ({"renewal_window_days": "-1"}, "Renewal window must be 0 days or more"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_written(self, client, lead, scene, data, message):
        client.force_login(lead)
        written = row_counts()
        response = self.post(client, scene, action="apply", **data)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert row_counts() == written

    def test_requiring_a_role_that_already_must_do_it_is_refused(self, client, lead, scene):
        client.force_login(lead)
        response = self.post(client, scene, require=[scene.police.pk], action="apply")
        assert "Police officer already has to do HSB-101" in response.content.decode()
        assert Requirement.objects.count() == 3

    def test_hr_and_outsiders_get_404_and_nothing_changes(self, client, hr_a, outsider, scene):
        for user in (hr_a, outsider):
            client.force_login(user)
            assert client.get(reverse("reports:what_if")).status_code == 404
            assert self.post(client, scene, validity_months="6", action="apply").status_code == 404
        assert Module.objects.get(pk=scene.hsb101.pk).validity_months == 36
