"""Bulk actions on a list of people (issue 13 point 4): send a reminder now, record an exemption,
add an assignment; on the ticked people or the whole filtered list, after a confirmation page that
counts them; HR limited to their agency (a selection with anyone else is refused whole, nothing
written), an outsider refused; and the person page's own actions (point 5)."""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import ReminderItem
from tests.training.compliance_fixtures import more_staff
from training.models import Assignment, Exemption
from workforce.signin import staff_for_token

pytestmark = pytest.mark.usefixtures("on_day", "isolated_cache")

ACT = reverse("bulk_action")
PEOPLE = reverse("compliance:people")


def agency_list(agency):
    return reverse("agency_staff", kwargs={"slug": agency.slug})


def nothing_written():
    """Rows the actions write (the scene's own exemption, Femi's, left out)."""
    exemptions = Exemption.objects.exclude(staff__first_name="Femi", module__code="HSB-101", created_by=None)
    return (ReminderItem.objects.count(), exemptions.count(), Assignment.objects.count())


def pick(*people, action="remind", **extra):
    return {"action": action, "list": "people", "filters": "", "staff": [p.pk for p in people], **extra}


EXEMPTION = {"reason": "long_term_absence", "details": "", "starts_on": "4/3/2026", "ends_on": ""}


# ---------------------------------------------------------------------------------------------
# The lists offer the actions
# ---------------------------------------------------------------------------------------------


def test_both_lists_have_a_checkbox_per_person_and_the_actions(client, lead, scene):
    client.force_login(lead)
    for url in (PEOPLE + "?status=overdue", agency_list(scene.agency_a)):
        page = client.get(url).content.decode()
        assert 'id="bulk-actions"' in page
        assert f'name="staff" type="checkbox" value="{scene.people["asha"].pk}" form="bulk-actions"' in page
        for label in ("Send a reminder now", "Record an exemption", "Add an assignment"):
            assert label in page


# ---------------------------------------------------------------------------------------------
# Send a reminder now
# ---------------------------------------------------------------------------------------------


def test_lead_reminds_the_whole_filtered_list_after_a_page_that_counts_them(client, lead, scene):
    client.force_login(lead)
    form = {"action": "remind", "list": "people", "filters": "status=overdue", "scope": "all"}

    confirm = client.post(ACT, form)

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Send a reminder now for 2 people?" in page  # Asha (HSB-201) and Cara, every page
    assert "2 people will be reminded" in page
    assert nothing_written() == (0, 0, 0)
    people = confirm.context["ids"]

    done = client.post(ACT, {**form, "confirm": "yes", "people": people}, follow=True)

    assert done.redirect_chain[-1][0] == PEOPLE + "?status=overdue"
    assert "2 reminders queued." in done.content.decode()
    items = ReminderItem.objects.order_by("staff__last_name")
    assert [(item.staff.first_name, item.kind, item.requested_by) for item in items] == [
        ("Cara", "reminder_now", lead),
        ("Asha", "reminder_now", lead),
    ]


def test_a_second_request_the_same_day_queues_nothing_and_says_who_was_reminded(client, lead, hr_a, scene):
    asha = scene.people["asha"]
    client.force_login(lead)
    client.post(ACT, pick(asha, confirm="yes"))
    client.force_login(hr_a)

    confirm = client.post(ACT, {**pick(asha), "list": "agency", "agency": scene.agency_a.slug})

    page = confirm.content.decode()
    assert "1 has been reminded today already" in page
    assert "Nobody here can be reminded now" in page
    done = client.post(ACT, pick(asha, confirm="yes"), follow=True)
    assert "1 had been reminded today already: nothing more was queued for them." in done.content.decode()
    assert ReminderItem.objects.count() == 1


def test_people_without_an_email_or_with_nothing_outstanding_are_counted_not_reminded(client, lead, scene):
    ben = scene.people["ben"]  # fully compliant
    scene.people["ewa"].email = ""
    scene.people["ewa"].save()
    client.force_login(lead)

    page = client.post(ACT, pick(ben, scene.people["ewa"])).content.decode()

    assert "1 has no email address" in page
    assert "1 has nothing outstanding" in page
    client.post(ACT, pick(ben, scene.people["ewa"], confirm="yes"))
    assert nothing_written() == (0, 0, 0)


# ---------------------------------------------------------------------------------------------
# Scope: HR's own agency only, outsiders refused, nothing written
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["remind", "exempt", "assign"])
@pytest.mark.parametrize("confirmed", [False, True])
def test_hr_choosing_someone_of_another_agency_is_refused_whole(client, hr_a, scene, action, confirmed):
    client.force_login(hr_a)
    form = pick(scene.people["asha"], scene.people["cara"], action=action)
    if confirmed:
        people = f"{scene.people['asha'].pk},{scene.people['cara'].pk}"
        form = {**form, "confirm": "yes", "people": people, "module": scene.hsb101.pk, "due_on": "1/6/2026"}
        form.update(EXEMPTION)

    response = client.post(ACT, form, follow=True)

    assert "1 of the chosen people is not in an agency you look after." in response.content.decode()
    assert "Nothing was changed" in response.content.decode()
    assert nothing_written() == (0, 0, 0)


@pytest.mark.parametrize("action", ["remind", "exempt", "assign"])
def test_hr_acting_on_their_whole_list_gets_their_own_agency_only(client, hr_a, scene, action):
    client.force_login(hr_a)

    confirm = client.post(ACT, {"action": action, "list": "people", "filters": "", "scope": "all"})

    chosen = {person.agency_id for person in confirm.context["people"]}
    assert chosen == {scene.agency_a.pk}
    assert nothing_written() == (0, 0, 0)


def test_an_outsider_and_another_agencys_list_are_404(client, outsider, hr_b, scene):
    client.force_login(outsider)
    assert client.post(ACT, pick(scene.people["asha"])).status_code == 404
    client.force_login(hr_b)
    form = {"action": "remind", "list": "agency", "agency": scene.agency_a.slug, "scope": "all"}
    assert client.post(ACT, form).status_code == 404
    assert client.get(ACT).status_code == 405
    assert nothing_written() == (0, 0, 0)


def test_nothing_ticked_or_a_made_up_id_is_refused_with_a_message(client, lead, scene):
    client.force_login(lead)
    empty = client.post(ACT, {"action": "remind", "list": "people", "filters": ""}, follow=True)
    assert "Tick at least one person, or choose everyone in this list." in empty.content.decode()
    bogus = client.post(ACT, {**pick(scene.people["asha"]), "people": "1,x"}, follow=True)
    assert "Some of the chosen people are not valid." in bogus.content.decode()
    missing = client.post(ACT, {**pick(), "people": "999999"}, follow=True)
    assert "1 of the chosen people is not in an agency you look after." in missing.content.decode()
    assert client.post(ACT, {**pick(scene.people["asha"]), "action": "delete"}).status_code == 404
    assert nothing_written() == (0, 0, 0)


# ---------------------------------------------------------------------------------------------
# Record an exemption, add an assignment
# ---------------------------------------------------------------------------------------------


def test_hr_exempts_their_whole_agency_list_with_history_leaving_the_already_exempt(client, hr_a, scene):
    client.force_login(hr_a)
    form = {"action": "exempt", "list": "agency", "agency": scene.agency_a.slug, "scope": "all"}
    confirm = client.post(ACT, form)
    assert "Record an exemption for 5 people?" in confirm.content.decode()  # current staff of A
    people = confirm.context["ids"]

    invalid = client.post(ACT, {**form, "confirm": "yes", "people": people, "module": scene.hsb101.pk})
    assert invalid.status_code == 200
    assert "Select the reason for the exemption." in invalid.content.decode()
    assert Exemption.objects.count() == 1  # Femi's, from the scene

    done = client.post(
        ACT, {**form, "confirm": "yes", "people": people, "module": scene.hsb101.pk, **EXEMPTION}, follow=True
    )

    assert done.redirect_chain[-1][0] == agency_list(scene.agency_a)
    text = done.content.decode()
    assert "4 people are now exempt from HSB-101. 1 already had it: left as it was." in text
    new = Exemption.objects.exclude(staff=scene.people["femi"])
    assert sorted(new.values_list("staff__first_name", flat=True)) == ["Asha", "Dan", "Ewa", "Rhys"]
    assert {exemption.created_by for exemption in new} == {hr_a}
    assert all(exemption.history.get().history_user == hr_a for exemption in new)


def test_lead_assigns_a_module_to_the_ticked_people(client, lead, scene):
    asha, ben, cara = (scene.people[name] for name in ("asha", "ben", "cara"))
    client.force_login(lead)
    confirm = client.post(ACT, pick(asha, ben, cara, action="assign"))
    assert "Add an assignment for 3 people?" in confirm.content.decode()
    form = {**pick(action="assign"), "confirm": "yes", "people": confirm.context["ids"]}

    past = client.post(ACT, {**form, "module": scene.hsb201.pk, "due_on": "1/1/2026"})
    assert "The due date must be today or later." in past.content.decode()
    assert Assignment.objects.count() == 0

    done = client.post(ACT, {**form, "module": scene.hsb201.pk, "due_on": "1/6/2026"}, follow=True)

    assert "Assigned HSB-201 to 3 of 3 people." in done.content.decode()
    rows = Assignment.objects.order_by("staff__first_name")
    assert [(row.staff.first_name, row.due_on, row.assigned_on) for row in rows] == [
        ("Asha", datetime.date(2026, 6, 1), datetime.date(2026, 3, 4)),
        ("Ben", datetime.date(2026, 6, 1), datetime.date(2026, 3, 4)),
        ("Cara", datetime.date(2026, 6, 1), datetime.date(2026, 3, 4)),
    ]
    assert all(row.assigned_by == lead and row.history.count() == 1 for row in rows)
    again = client.post(ACT, {**form, "module": scene.hsb201.pk, "due_on": "1/6/2026"}, follow=True)
    assert "Assigned HSB-201 to 0 of 3 people. 3 already had it: left as they were." in again.content.decode()
    assert Assignment.objects.count() == 3


# ---------------------------------------------------------------------------------------------
# The person page: a reminder now, a fresh sign-in link, record a completion
# ---------------------------------------------------------------------------------------------


def person_url(name, person):
    return reverse(name, kwargs={"pk": person.pk})


def test_person_page_offers_the_actions_to_lead_and_hr(client, lead, hr_a, scene):
    asha = scene.people["asha"]
    for user in (lead, hr_a):
        client.force_login(user)
        page = client.get(person_url("staff_detail", asha)).content.decode()
        assert person_url("staff_remind", asha) in page
        assert person_url("staff_signin_link", asha) in page
    client.force_login(lead)
    assert (
        reverse("records:completion_add", kwargs={"pk": asha.pk})
        in client.get(person_url("staff_detail", asha)).content.decode()
    )


def test_person_page_reminder_now_once_a_day(client, hr_a, scene):
    asha = scene.people["asha"]
    client.force_login(hr_a)

    first = client.post(person_url("staff_remind", asha), follow=True)
    second = client.post(person_url("staff_remind", asha), follow=True)

    assert "A reminder to Asha Patel is queued" in first.content.decode()
    assert "Asha Patel has been reminded today already: nothing more was queued." in second.content.decode()
    item = ReminderItem.objects.get()
    assert (item.staff, item.requested_by, item.kind) == (asha, hr_a, "reminder_now")


def test_person_page_sends_a_fresh_signin_link(
    client, lead, scene, eager_tasks, django_capture_on_commit_callbacks
):
    asha = scene.people["asha"]
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(person_url("staff_signin_link", asha), follow=True)

    assert "A sign-in link is on its way to asha.patel@agency-a.example.org." in response.content.decode()
    [email] = mail.outbox
    assert email.to == ["Asha Patel <asha.patel@agency-a.example.org>"]
    [token] = re.findall(r"/sign-in/([A-Za-z0-9_-]{20,})/", email.body)
    assert [person.pk for person in staff_for_token(token)] == [asha.pk]


def test_person_page_actions_refused_for_others_and_for_the_unreachable(client, hr_b, outsider, lead, scene):
    asha, gail = scene.people["asha"], scene.people["gail"]
    for user in (hr_b, outsider):
        client.force_login(user)
        for name in ("staff_remind", "staff_signin_link"):
            assert client.post(person_url(name, asha)).status_code == 404
    client.force_login(lead)
    left = client.post(person_url("staff_signin_link", gail), follow=True)
    assert "No link was sent: Gail Hart has left" in left.content.decode()
    assert client.get(person_url("staff_remind", asha)).status_code == 405
    assert ReminderItem.objects.count() == 0
    assert mail.outbox == []


# ---------------------------------------------------------------------------------------------
# Set-based: the confirmation page and the reminders' request read a fixed number of times
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["remind", "exempt"])
def test_the_confirmation_of_a_whole_list_reads_a_fixed_number_of_times(
    client, lead, scene, action, django_assert_max_num_queries
):
    client.force_login(lead)
    form = {"action": action, "list": "agency", "agency": scene.agency_a.slug, "scope": "all"}
    more_staff(scene, 5)
    with CaptureQueriesContext(connection) as few:
        client.post(ACT, form)
    more_staff(scene, 45)
    with django_assert_max_num_queries(len(few)):
        response = client.post(ACT, form)
    assert len(response.context["people"]) == 55


def test_reminding_a_whole_list_writes_a_fixed_number_of_times(client, lead, scene):
    client.force_login(lead)
    form = {"action": "remind", "list": "people", "filters": "", "scope": "all", "confirm": "yes"}
    more_staff(scene, 5)
    with CaptureQueriesContext(connection) as few:
        client.post(ACT, form)
    ReminderItem.objects.all().delete()
    more_staff(scene, 45)
    with CaptureQueriesContext(connection) as many:
        client.post(ACT, form)
    assert ReminderItem.objects.count() >= 50
    assert _statements(many) <= _statements(few)


def _statements(captured):
    """The queries run, counting one bulk insert as one: SQLite splits it into statements of at
    most 999 parameters (each batch in its own savepoint), so more rows are more INSERTs of the
    same table there, not on PostgreSQL."""
    count, previous = 0, None
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
            continue
        table = sql.split("(", 1)[0] if sql.startswith("INSERT") else None
        if table is None or table != previous:
            count += 1
        previous = table
    return count
