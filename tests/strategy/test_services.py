import datetime
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from strategy import framework_default, services
from strategy.models import (
    Action,
    ActionStatus,
    Attachment,
    Domain,
    Framework,
    Item,
    ItemRating,
    ProgressNote,
    ProgressVia,
    Rating,
    RoundStatus,
    StrategySettings,
)
from workforce.models import JobRole, Tier

from .conftest import TODAY, rate_all

D = datetime.date
pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# The default framework
# ---------------------------------------------------------------------------------------------


def test_default_framework_has_five_domains_of_three_to_six_items(framework):
    domains = list(framework.domains.order_by("position"))
    assert [d.name for d in domains] == [
        "Responses",
        "Prevention",
        "Assessment",
        "Interventions",
        "Development",
    ]
    for each in domains:
        assert 3 <= each.items.count() <= 6
    assert framework.is_default


def test_default_framework_links_live_evidence(items):
    assert (items[5, 1].evidence_module.code, items[5, 1].evidence_tier) == ("HSB-101", Tier.AWARENESS)
    assert (items[5, 2].evidence_module.code, items[5, 2].evidence_job_role.name) == (
        "HSB-201",
        "Designated safeguarding lead",
    )
    assert (items[5, 3].evidence_module.code, items[5, 3].evidence_tier) == ("HSB-301", Tier.SPECIALIST)
    assert items[1, 1].evidence_module is None


def test_installing_again_changes_nothing(framework):
    item = Item.objects.filter(domain__framework=framework).first()
    services.item_update(
        item=item, actor=None, statement="Our own words", guidance="", position=1, active=True
    )
    counts = (Framework.objects.count(), Domain.objects.count(), Item.objects.count())
    assert services.framework_install_default() == framework
    assert (Framework.objects.count(), Domain.objects.count(), Item.objects.count()) == counts
    assert Item.objects.get(pk=item.pk).statement == "Our own words"


def test_default_framework_without_catalogue_installs_without_evidence(db):
    framework = services.framework_install_default()
    assert not Item.objects.filter(domain__framework=framework, evidence_module__isnull=False).exists()
    assert Item.objects.filter(domain__framework=framework).count() == sum(
        len(d.items) for d in framework_default.DOMAINS
    )


def test_item_create_joins_open_rounds_only(framework, make_round):
    open_round = make_round(title="Open")
    done_round = make_round(title="Done", value=Rating.PARTLY, complete=True)
    domain = framework.domains.get(name="Development")
    item = services.item_create(domain=domain, actor=None, statement="A new statement")
    assert item.position == 7
    assert ItemRating.objects.filter(item=item, round=open_round).exists()
    assert not ItemRating.objects.filter(item=item, round=done_round).exists()


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({"evidence_tier": 1}, "evidence_module", "Choose the module whose compliance rate is the evidence."),
        (
            {"evidence_tier": 1, "with_role": True, "with_module": True},
            "evidence_job_role",
            "Choose a tier or a job role for the evidence, not both.",
        ),
    ],
)
def test_item_evidence_spec_is_checked(framework, spec, field, message):
    domain = framework.domains.get(name="Development")
    kwargs = {"evidence_tier": spec["evidence_tier"]}
    if spec.get("with_role"):
        kwargs["evidence_job_role"] = JobRole.objects.first()
    if spec.get("with_module"):
        kwargs["evidence_module"] = Item.objects.filter(evidence_module__isnull=False).first().evidence_module
    before = Item.objects.count()
    with pytest.raises(ValidationError) as error:
        services.item_create(domain=domain, actor=None, statement="X", **kwargs)
    assert error.value.message_dict[field] == [message]
    assert Item.objects.count() == before


# ---------------------------------------------------------------------------------------------
# Rounds
# ---------------------------------------------------------------------------------------------


def test_round_create_makes_one_unrated_row_per_active_item(framework, items, make_round):
    services.item_update(
        item=items[1, 1], actor=None, statement=items[1, 1].statement, guidance="", position=1, active=False
    )
    assessment_round = make_round()
    assert assessment_round.ratings.count() == len(items) - 1
    assert set(assessment_round.ratings.values_list("rating", flat=True)) == {""}


def test_round_cannot_complete_until_every_item_is_rated(make_round, lead):
    assessment_round = make_round(value=Rating.PARTLY)
    assessment_round.ratings.filter(pk__in=assessment_round.ratings.values("pk")[:2]).update(rating="")
    with pytest.raises(ValidationError) as error:
        services.round_complete(assessment_round=assessment_round, actor=lead, today=TODAY)
    assert error.value.messages == ["2 items are not rated yet. Rate every item before completing the round."]
    assessment_round.refresh_from_db()
    assert assessment_round.status == RoundStatus.IN_PROGRESS
    assert not assessment_round.ratings.filter(evidence_required__isnull=False).exists()


def test_completed_round_refuses_changes_until_reopened(make_round, lead):
    assessment_round = make_round(value=Rating.PARTLY, complete=True)
    rating = assessment_round.ratings.first()
    with pytest.raises(ValidationError) as error:
        services.rating_update(rating=rating, actor=lead, value=Rating.FULLY, evidence_note="")
    assert "is completed, so its ratings can no longer change" in error.value.messages[0]
    assert ItemRating.objects.get(pk=rating.pk).rating == Rating.PARTLY
    services.round_reopen(assessment_round=assessment_round, actor=lead)
    rating.refresh_from_db()
    services.rating_update(rating=rating, actor=lead, value=Rating.FULLY, evidence_note="Fixed")
    assert ItemRating.objects.get(pk=rating.pk).rating == Rating.FULLY


def test_round_needs_items(lead):
    empty = Framework.objects.create(name="Empty")
    with pytest.raises(ValidationError) as error:
        services.round_create(framework=empty, title="R", assessed_on=TODAY, actor=lead)
    assert error.value.message_dict["framework"] == ["Empty has no items to rate yet. Add some first."]


# ---------------------------------------------------------------------------------------------
# Attachments: type from content, 10 MB at most
# ---------------------------------------------------------------------------------------------


def _xlsx_bytes():
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def _docx_bytes(main_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


ACCEPTED = [
    ("audit.pdf", b"%PDF-1.7\n1 0 obj\n", "application/pdf"),
    ("chart.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
    ("photo.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
    (
        "minutes.docx",
        _docx_bytes(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("figures.xlsx", _xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
]


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED)
def test_attachment_accepted(make_round, lead, name, content, content_type, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rating = make_round().ratings.first()
    attachment = services.attachment_add(rating=rating, actor=lead, upload=SimpleUploadedFile(name, content))
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        name,
        content_type,
        len(content),
    )
    assert attachment.file.read() == content


REFUSED = [
    (
        "report.pdf",
        b"MZ\x90\x00 an executable",
        "report.pdf must be a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file.",
    ),
    (
        "macro.docm",
        _docx_bytes("application/vnd.ms-word.document.macroEnabled.main+xml"),
        "macro.docm must be a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file.",
    ),
    ("notes.txt", b"plain text", "notes.txt must be a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file."),
    (
        "image.pdf",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 20,
        "image.pdf contains a PNG image but its name does not end in .png. Rename it and upload it again.",
    ),
    ("empty.pdf", b"", "empty.pdf is empty."),
    (
        "huge.pdf",
        b"%PDF-" + b"0" * (10 * 1024 * 1024),
        "huge.pdf is larger than 10 MB. Upload a smaller file.",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_attachment_refused(make_round, lead, name, content, message, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rating = make_round().ratings.first()
    with pytest.raises(ValidationError) as error:
        services.attachment_add(rating=rating, actor=lead, upload=SimpleUploadedFile(name, content))
    assert error.value.message_dict["attachment"] == [message]
    assert not Attachment.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_attachment_remove_deletes_row_and_file(
    make_round, lead, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    rating = make_round().ratings.first()
    attachment = services.attachment_add(
        rating=rating, actor=lead, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4")
    )
    path = attachment.file.path
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_remove(attachment=attachment, actor=lead)
    assert not Attachment.objects.exists()
    assert not (tmp_path / path).exists()


# ---------------------------------------------------------------------------------------------
# Actions and progress
# ---------------------------------------------------------------------------------------------


def test_action_review_date_defaults_to_six_months(items, lead):
    action = services.action_create(
        actor=lead,
        today=D(2026, 8, 31),
        title="T",
        items=[items[5, 1]],
        owner_name="O",
        owner_email="O@Example.org",
        due_on=D(2027, 1, 1),
    )
    assert action.review_on == D(2027, 2, 28)  # 31 August + 6 months, clamped
    assert action.owner_email == "o@example.org"
    assert list(action.items.all()) == [items[5, 1]]


def test_action_needs_an_item(lead):
    with pytest.raises(ValidationError) as error:
        services.action_create(
            actor=lead,
            today=TODAY,
            title="T",
            items=[],
            owner_name="O",
            owner_email="o@example.org",
            due_on=D(2027, 1, 1),
        )
    assert error.value.message_dict["items"] == [
        "Choose at least one checklist item that this action answers."
    ]
    assert not Action.objects.exists()


def test_progress_outside_the_review_window_keeps_the_review_date(make_action, lead):
    action = make_action(review_on=D(2027, 3, 1))
    note = services.action_progress_add(
        action=action, actor=lead, today=TODAY, note="Started", status=ActionStatus.ON_TRACK
    )
    action.refresh_from_db()
    assert (action.status, action.review_on) == (ActionStatus.ON_TRACK, D(2027, 3, 1))
    assert (note.status_before, note.status_after, note.via) == (
        ActionStatus.NOT_STARTED,
        ActionStatus.ON_TRACK,
        "lead",
    )
    assert note.author_name == "lead"


@pytest.mark.parametrize(
    ("review_on", "next_review"),
    [
        (D(2026, 12, 10), D(2027, 6, 10)),  # 14 days ahead: a review; six months on from the date
        (D(2026, 11, 26), D(2027, 5, 26)),  # on the day
        (D(2026, 10, 1), D(2027, 5, 26)),  # late: six months from today, not from the missed date
    ],
)
def test_progress_inside_the_review_window_counts_as_the_review(make_action, review_on, next_review):
    action = make_action(review_on=review_on)
    note = services.action_progress_add(
        action=action,
        actor=None,
        today=TODAY,
        note="Reviewed",
        status=ActionStatus.AT_RISK,
        author_name="Owner",
        via=ProgressVia.OWNER_LINK,
    )
    action.refresh_from_db()
    assert action.review_on == next_review
    assert (note.review_on_before, note.review_on_after) == (review_on, next_review)


def test_done_keeps_its_review_date(make_action):
    action = make_action(review_on=D(2026, 12, 1))
    services.action_progress_add(
        action=action,
        actor=None,
        today=TODAY,
        note="All done",
        status=ActionStatus.DONE,
        author_name="Owner",
        via=ProgressVia.OWNER_LINK,
    )
    action.refresh_from_db()
    assert (action.status, action.review_on) == (ActionStatus.DONE, D(2026, 12, 1))


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"note": "  ", "status": "on_track"},
            "note",
            "Enter a progress note: what has happened since the last update.",
        ),
        ({"note": "x", "status": "finished"}, "status", "Choose the action's status."),
        (
            {"note": "x", "status": "on_track", "next_review_on": TODAY},
            "next_review_on",
            "The next review date must be in the future.",
        ),
    ],
)
def test_progress_refusals_write_nothing(make_action, lead, kwargs, field, message):
    action = make_action()
    with pytest.raises(ValidationError) as error:
        services.action_progress_add(action=action, actor=lead, today=TODAY, **kwargs)
    assert error.value.message_dict[field] == [message]
    assert not ProgressNote.objects.exists()
    assert Action.objects.get(pk=action.pk).status == ActionStatus.NOT_STARTED


def test_settings_update_is_a_singleton(lead):
    services.strategy_settings_update(actor=lead, lead_name="A", lead_email="A@Example.org")
    services.strategy_settings_update(actor=lead, sponsor_name="B")
    settings = StrategySettings.objects.get()
    assert (settings.pk, settings.lead_name, settings.lead_email, settings.sponsor_name) == (
        1,
        "A",
        "a@example.org",
        "B",
    )


def test_settings_refuse_bad_values(lead):
    with pytest.raises(ValidationError) as error:
        services.strategy_settings_update(actor=lead, round_interval_months=3, lead_email="not-an-email")
    assert set(error.value.message_dict) == {"round_interval_months", "lead_email"}
    assert not StrategySettings.objects.exists()


def test_rate_all_helper_rates_everything(make_round):
    assessment_round = make_round()
    rate_all(assessment_round, Rating.FULLY)
    assert set(assessment_round.ratings.values_list("rating", flat=True)) == {Rating.FULLY}
