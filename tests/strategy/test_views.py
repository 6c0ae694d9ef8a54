"""Every strategy page as each persona: the lead sees and changes everything; Agency HR reads the
actions owned within its own agency and nothing else; outsiders get 404; anonymous users sign in."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from strategy import owner_links
from strategy.models import (
    Action,
    ActionStatus,
    AssessmentRound,
    Attachment,
    ProgressNote,
    Rating,
    StrategySettings,
)

from .conftest import TODAY

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 26, 12, 0), tick=False)


@pytest.fixture
def world(make_round, action_a, action_b, items):
    baseline = make_round(title="Baseline", assessed_on=D(2025, 11, 1), value=Rating.EMERGING, complete=True)
    second = make_round(title="Second", assessed_on=D(2026, 11, 1), value=Rating.PARTLY)
    domain = items[1, 1].domain
    return {"baseline": baseline, "second": second, "domain": domain, "item": items[1, 1]}


def lead_pages(world, action_a):
    framework = world["domain"].framework
    second = world["second"]
    return [
        reverse("strategy:overview"),
        reverse("strategy:settings"),
        reverse("strategy:framework_list"),
        reverse("strategy:framework_detail", args=[framework.pk]),
        reverse("strategy:framework_edit", args=[framework.pk]),
        reverse("strategy:domain_edit", args=[world["domain"].pk]),
        reverse("strategy:item_add", args=[world["domain"].pk]),
        reverse("strategy:item_edit", args=[world["item"].pk]),
        reverse("strategy:round_list"),
        reverse("strategy:round_create"),
        reverse("strategy:round_detail", args=[second.pk]),
        reverse("strategy:round_rate_domain", args=[second.pk, world["domain"].pk]),
        reverse("strategy:round_summary", args=[second.pk]),
        reverse("strategy:round_summary", args=[world["baseline"].pk]),
        reverse("strategy:round_export", args=[second.pk]),
        reverse("strategy:action_create"),
        reverse("strategy:action_edit", args=[action_a.pk]),
        reverse("strategy:action_progress", args=[action_a.pk]),
    ]


def read_pages(action):
    return [
        reverse("strategy:action_list"),
        reverse("strategy:action_export"),
        reverse("strategy:action_detail", args=[action.pk]),
    ]


def test_lead_sees_every_page(client, lead, world, action_a, action_b):
    client.force_login(lead)
    for url in lead_pages(world, action_a) + read_pages(action_a) + read_pages(action_b):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("persona", ["outsider", "hr_a"])
def test_lead_only_pages_are_404_for_others(client, request, persona, world, action_a):
    client.force_login(request.getfixturevalue(persona))
    for url in lead_pages(world, action_a):
        if url == reverse("strategy:overview") and persona == "hr_a":
            continue  # Agency HR are sent on to the action plan (below)
        assert client.get(url).status_code == 404, url


def test_agency_hr_overview_leads_to_the_action_plan(client, hr_a):
    client.force_login(hr_a)
    assert client.get(reverse("strategy:overview"))["Location"] == reverse("strategy:action_list")


def test_agency_hr_reads_own_agency_actions_only(client, hr_a, world, action_a, action_b):
    client.force_login(hr_a)
    listing = client.get(reverse("strategy:action_list")).content.decode()
    assert "Action of agency A" in listing
    assert "Action of agency B" not in listing
    assert "Add an action" not in listing
    detail = client.get(reverse("strategy:action_detail", args=[action_a.pk])).content.decode()
    assert "Action of agency A" in detail and "Add a progress note" not in detail
    assert client.get(reverse("strategy:action_detail", args=[action_b.pk])).status_code == 404


def test_action_plan_filters_are_not_marked_optional_and_no_export_of_nothing(client, lead, action_a):
    client.force_login(lead)
    listing = client.get(reverse("strategy:action_list")).content.decode()
    assert "(optional)" not in listing
    assert "Download these as a spreadsheet" in listing

    nothing = client.get(reverse("strategy:action_list"), {"owner": "nobody-by-this-name"}).content.decode()
    assert "No actions match." in nothing
    assert "Download these as a spreadsheet" not in nothing


def test_agency_hr_export_holds_own_agency_only(client, hr_b, action_a, action_b):

    client.force_login(hr_b)
    response = client.get(reverse("strategy:action_export"))
    sheet = load_workbook(io.BytesIO(response.content))["Action plan"]
    titles = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["Action of agency B"]


def test_agency_hr_cannot_edit_or_add_notes(client, hr_a, action_a):
    client.force_login(hr_a)
    before = Action.objects.get(pk=action_a.pk)
    for url, data in [
        (reverse("strategy:action_progress", args=[action_a.pk]), {"status": "done", "note": "Sneaky"}),
        (reverse("strategy:action_edit", args=[action_a.pk]), {"title": "Changed"}),
        (reverse("strategy:action_create"), {"title": "New"}),
    ]:
        assert client.post(url, data).status_code == 404
    after = Action.objects.get(pk=action_a.pk)
    assert (after.title, after.status) == (before.title, before.status)
    assert not ProgressNote.objects.exists()
    assert Action.objects.count() == 1


@pytest.mark.parametrize("persona", ["outsider", "hr_a", "hr_b"])
def test_others_cannot_see_actions_outside_their_agency(client, request, persona, action_a, action_b):
    client.force_login(request.getfixturevalue(persona))
    visible = {"outsider": set(), "hr_a": {action_a.pk}, "hr_b": {action_b.pk}}[persona]
    for action in (action_a, action_b):
        expected = 200 if action.pk in visible else 404
        assert client.get(reverse("strategy:action_detail", args=[action.pk])).status_code == expected
    if persona == "outsider":
        assert client.get(reverse("strategy:action_list")).status_code == 404
        assert client.get(reverse("strategy:action_export")).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, world, action_a):
    for url in lead_pages(world, action_a) + read_pages(action_a):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_post_only_endpoints_refuse_others(client, hr_a, world):
    client.force_login(hr_a)
    second = world["second"]
    for url in [
        reverse("strategy:round_complete", args=[second.pk]),
        reverse("strategy:framework_install"),
    ]:
        assert client.post(url).status_code == 404
    assert AssessmentRound.objects.get(pk=second.pk).status == "in_progress"


def test_settings_saved_and_shown_on_overview(client, lead):
    client.force_login(lead)
    response = client.post(
        reverse("strategy:settings"),
        {
            "lead_name": "Priya Sharma",
            "lead_role": "HSB lead",
            "lead_email": "Priya@Example.org",
            "sponsor_name": "Martin Okafor",
            "sponsor_role": "Director",
            "sponsor_email": "",
            "round_interval_months": "6",
        },
    )
    assert response.status_code == 302
    settings = StrategySettings.objects.get()
    assert (settings.lead_email, settings.round_interval_months) == ("priya@example.org", 6)
    page = client.get(reverse("strategy:overview")).content.decode()
    assert "Priya Sharma" in page and "Martin Okafor" in page


def test_settings_refuses_other_interval(client, lead):
    client.force_login(lead)
    response = client.post(reverse("strategy:settings"), {"round_interval_months": "3"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not StrategySettings.objects.exists()


def test_lead_rates_a_domain(client, lead, world):
    client.force_login(lead)
    second = world["second"]
    domain = world["domain"]
    ratings = list(second.ratings.filter(item__domain=domain))
    data = {"save": "1"}
    for rating in ratings:
        data[f"r{rating.pk}-rating"] = Rating.FULLY
        data[f"r{rating.pk}-evidence_note"] = "Seen in audit"
    response = client.post(reverse("strategy:round_rate_domain", args=[second.pk, domain.pk]), data)
    assert response.status_code == 302
    assert set(second.ratings.filter(item__domain=domain).values_list("rating", flat=True)) == {Rating.FULLY}


def test_lead_adds_an_action_with_default_review_date(client, lead, items, agency_a):
    client.force_login(lead)
    response = client.post(
        reverse("strategy:action_create"),
        {
            "title": "Run DSL training",
            "items": [items[5, 2].pk],
            "owner_name": "Hannah Price",
            "owner_email": "Hannah.Price@Example.org",
            "owner_agency": agency_a.pk,
            "due_on": "31/01/2027",
            "review_on": "",
            "status": ActionStatus.NOT_STARTED,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    action = Action.objects.get()
    assert action.review_on == D(2027, 5, 26)  # six months after 26 November 2026
    assert action.owner_email == "hannah.price@example.org"


def test_action_without_items_is_refused(client, lead):
    client.force_login(lead)
    response = client.post(
        reverse("strategy:action_create"),
        {
            "title": "No items",
            "owner_name": "A",
            "owner_email": "a@example.org",
            "due_on": "31/01/2027",
            "status": "not_started",
        },
    )
    assert "Choose at least one checklist item that this action answers." in response.content.decode()
    assert not Action.objects.exists()


def test_action_filters(client, lead, make_action, agency_a, agency_b):
    make_action(title="Overdue one", owner_agency=agency_a, review_on=D(2026, 11, 1))
    make_action(
        title="At risk one", owner_agency=agency_b, status=ActionStatus.AT_RISK, owner_name="Tom Ellis"
    )
    make_action(title="Done overdue", status=ActionStatus.DONE, review_on=D(2026, 10, 1))
    client.force_login(lead)

    def titles(**params):
        response = client.get(reverse("strategy:action_list"), params)
        return {action.title for action in response.context["actions"]}

    assert titles(overdue_review="on") == {"Overdue one"}
    assert titles(status="at_risk") == {"At risk one"}
    assert titles(agency=agency_a.pk) == {"Overdue one"}
    assert titles(owner="tom") == {"At risk one"}
    assert titles() == {"Overdue one", "At risk one", "Done overdue"}


def test_action_list_query_count_is_fixed(client, lead, make_action, agency_a, django_assert_max_num_queries):
    for number in range(12):
        make_action(title=f"Action {number}", owner_agency=agency_a)
    client.force_login(lead)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("strategy:action_list"))
    assert len(response.context["actions"]) == 12


def test_owner_link_not_login_required(client, action_a):
    response = client.get(owner_links.owner_path(action_a))
    assert response.status_code == 200
    assert "Action of agency A" in response.content.decode()


def test_evidence_file_upload_download_and_remove(client, lead, hr_a, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(lead)
    second, domain = world["second"], world["domain"]
    rating = second.ratings.get(item=world["item"])
    url = reverse("strategy:round_rate_domain", args=[second.pk, domain.pk])
    data = {"save": "1", f"r{rating.pk}-rating": Rating.FULLY, f"r{rating.pk}-evidence_note": "Audit"}
    data[f"r{rating.pk}-attachment"] = SimpleUploadedFile("audit.pdf", b"%PDF-1.7 audit")
    assert client.post(url, data).status_code == 302
    attachment = Attachment.objects.get()
    download = client.get(reverse("strategy:attachment_download", args=[attachment.pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.7 audit"
    assert 'filename="audit.pdf"' in download["Content-Disposition"]

    client.force_login(hr_a)
    assert client.get(reverse("strategy:attachment_download", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("strategy:attachment_remove", args=[attachment.pk])).status_code == 404
    assert Attachment.objects.exists()

    client.force_login(lead)
    assert client.post(reverse("strategy:attachment_remove", args=[attachment.pk])).status_code == 302
    assert not Attachment.objects.exists()


def test_a_refused_file_is_shown_on_its_statement_and_the_rest_is_saved(
    client, lead, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(lead)
    second, domain = world["second"], world["domain"]
    rating = second.ratings.get(item=world["item"])
    data = {
        "save": "1",
        f"r{rating.pk}-rating": Rating.EMERGING,
        f"r{rating.pk}-attachment": SimpleUploadedFile("virus.pdf", b"MZ not a pdf"),
    }
    response = client.post(reverse("strategy:round_rate_domain", args=[second.pk, domain.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "virus.pdf must be a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file." in page
    assert not Attachment.objects.exists()


def test_lead_completes_a_round_from_its_page_only_when_everything_is_rated(client, lead, world):
    client.force_login(lead)
    second = world["second"]
    second.ratings.filter(pk=second.ratings.first().pk).update(rating="")
    response = client.post(reverse("strategy:round_complete", args=[second.pk]), follow=True)
    assert (
        "1 item is not rated yet. Rate every item before completing the round." in response.content.decode()
    )
    assert AssessmentRound.objects.get(pk=second.pk).status == "in_progress"
    second.ratings.update(rating=Rating.PARTLY)
    client.post(reverse("strategy:round_complete", args=[second.pk]))
    assert AssessmentRound.objects.get(pk=second.pk).status == "completed"


def test_lead_starts_a_round_and_adds_a_statement(client, lead, world):
    client.force_login(lead)
    framework = world["domain"].framework
    response = client.post(
        reverse("strategy:round_create"),
        {"title": "Annual review 2027", "framework": framework.pk, "agency": "", "assessed_on": "4/3/2027"},
    )
    created = AssessmentRound.objects.get(title="Annual review 2027")
    assert response["Location"] == reverse("strategy:round_detail", args=[created.pk])
    assert created.assessed_on == D(2027, 3, 4) and created.agency is None
    response = client.post(
        reverse("strategy:item_add", args=[world["domain"].pk]),
        {
            "statement": "A brand new statement",
            "guidance": "",
            "evidence_module": "",
            "evidence_tier": "",
            "evidence_job_role": "",
        },
    )
    assert response.status_code == 302
    assert created.ratings.filter(item__statement="A brand new statement").exists()


def test_round_form_refuses_a_bad_date(client, lead, world):
    client.force_login(lead)
    framework = world["domain"].framework
    before = AssessmentRound.objects.count()
    response = client.post(
        reverse("strategy:round_create"),
        {"title": "X", "framework": framework.pk, "assessed_on": "31/02/2027"},
    )
    assert "Enter the assessment date as a real date, for example 4/3/2027." in response.content.decode()
    assert AssessmentRound.objects.count() == before


def test_round_list_query_count_is_fixed(client, lead, make_round, django_assert_max_num_queries):
    for number in range(6):
        make_round(title=f"Round {number}", value=Rating.PARTLY)
    client.force_login(lead)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("strategy:round_list"))
    assert response.content.decode().count("Round ") >= 6


def test_lead_edits_an_action(client, lead, action_a, items, agency_b):
    client.force_login(lead)
    url = reverse("strategy:action_edit", args=[action_a.pk])
    values = {
        "title": "Renamed",
        "description": "",
        "items": [items[5, 1].pk, items[5, 2].pk],
        "owner_name": "New Owner",
        "owner_email": "New.Owner@example.org",
        "owner_agency": agency_b.pk,
        "due_on": "31/01/2027",
        "review_on": "01/03/2027",
    }
    assert client.post(url, {**values, "review_on": TODAY.strftime("%d/%m/%Y")}).status_code == 200
    assert Action.objects.get(pk=action_a.pk).title == "Action of agency A"
    assert client.post(url, values).status_code == 302
    action = Action.objects.get(pk=action_a.pk)
    assert (action.title, action.owner_email, action.owner_agency, action.items.count()) == (
        "Renamed",
        "new.owner@example.org",
        agency_b,
        2,
    )
    assert action.status == ActionStatus.NOT_STARTED and not ProgressNote.objects.exists()


def test_leadership_panel_include_renders_for_the_dashboard(lead, make_round):
    from django.template.loader import render_to_string

    from strategy import selectors, services

    services.strategy_settings_update(
        actor=lead, lead_name="Priya Sharma", lead_role="HSB lead", sponsor_name="Martin Okafor"
    )
    make_round(assessed_on=D(2025, 10, 1), value=Rating.PARTLY, complete=True)
    html = render_to_string(
        "strategy/includes/leadership_panel.html", {"panel": selectors.leadership_panel(today=TODAY)}
    )
    assert "Priya Sharma" in html and "Martin Okafor" in html
    assert "since 1 October 2026" in html  # due 12 months after the last round, and now overdue
    assert reverse("strategy:overview") in html
