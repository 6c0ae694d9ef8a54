"""The privacy notice: public, editable by a lead, linked from every page's footer and every email."""

import pytest
from django.core import mail
from django.urls import reverse

from privacy.models import PrivacyNotice
from privacy.notice import blocks, default_text
from workforce import signin

pytestmark = pytest.mark.django_db


class TestThePage:
    def test_anyone_reads_the_default_notice_signed_out(self, client):
        response = client.get(reverse("privacy:notice"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "What we hold" in body and "How long we keep it" in body
        assert "Six years after you leave" in body
        assert reverse("privacy:notice_edit") not in body

    def test_every_page_links_to_it_from_its_footer(self, client, hr_a):
        assert reverse("privacy:notice") in client.get(reverse("login")).content.decode()
        client.force_login(hr_a)
        assert f'href="{reverse("privacy:notice")}"' in client.get(reverse("home")).content.decode()

    def test_a_lead_changes_the_text(self, client, lead):
        client.force_login(lead)
        assert "Change the privacy notice" in client.get(reverse("privacy:notice")).content.decode()
        text = "## Who we are\nThe Northshire partnership.\n\n- one\n- two\n\n<script>alert(1)</script>"
        response = client.post(reverse("privacy:notice_edit"), {"text": text})
        assert response.status_code == 302
        body = client.get(reverse("privacy:notice")).content.decode()
        assert '<h2 class="govuk-heading-m">Who we are</h2>' in body
        assert "<li>one</li><li>two</li>" in body
        assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
        notice = PrivacyNotice.objects.get()
        assert notice.updated_by == lead and notice.history.get().history_user == lead

    def test_an_empty_text_is_refused_and_nothing_is_saved(self, client, lead):
        client.force_login(lead)
        response = client.post(reverse("privacy:notice_edit"), {"text": "  "})
        assert response.status_code == 200
        assert "Enter the text of the privacy notice" in response.content.decode()
        assert not PrivacyNotice.objects.exists()

    @pytest.mark.parametrize("persona", ["hr_a", "outsider"])
    def test_only_a_lead_edits(self, client, request, persona):
        client.force_login(request.getfixturevalue(persona))
        assert client.get(reverse("privacy:notice_edit")).status_code == 404
        assert client.post(reverse("privacy:notice_edit"), {"text": "Mine"}).status_code == 404
        assert not PrivacyNotice.objects.exists()


class TestTheText:
    def test_headings_paragraphs_and_lists(self):
        parsed = blocks("Intro line\ncontinues.\n\n## Heading\n- a\n- b\n\n- c\nAfter")
        assert [(b.kind, b.text, b.items) for b in parsed] == [
            ("paragraph", "Intro line continues.", []),
            ("heading", "Heading", []),
            ("list", "", ["a", "b"]),
            ("list", "", ["c"]),
            ("paragraph", "After", []),
        ]

    def test_the_default_names_what_is_held_and_why(self):
        text = default_text()
        for words in (
            "What we hold",
            "Why we hold it",
            "Who can see it",
            "How long we keep it",
            "Your rights",
        ):
            assert f"## {words}" in text


class TestEmails:
    def test_the_sign_in_email_links_to_it(self, staff_a, settings):
        assert signin.signin_link_send(staff_ids=[staff_a.pk], email=staff_a.email)
        message = mail.outbox[-1]
        url = settings.SITE_URL + reverse("privacy:notice")
        assert url in message.body
        assert f'href="{url}"' in message.alternatives[0][0]
