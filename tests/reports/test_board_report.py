"""The board report (PRODUCT.md section 12): its figures are compliance_report's for the same date
and scope, read back from the PDF's text and from the HTML; at most two A4 pages; the charts'
tables hold the snapshots' numbers; leads only; the command's refusals write nothing."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from pypdf import PdfReader

from reports.documents import board_report_html, board_report_pdf
from reports.selectors import board_report
from tests import factories
from tests.training.compliance_fixtures import ON
from training.compliance import add_months
from training.models import ComplianceSnapshot, SnapshotScope
from training.selectors.report import build_report
from training.selectors.targets import rate_percent
from training.services import compliance_targets_save
from training.snapshots import compliance_snapshot_take, snapshot_summary
from workforce.models import Tier

pytestmark = pytest.mark.django_db


def percent(counts):
    valid = counts["compliant"] + counts["renewal_due"]
    measured = sum(counts.values()) - counts["exempt"]
    return None if not measured else valid * 100 // measured


def page_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def history(scene, on_day):
    """Nightly figures a year, 6, 3 and 1 months before ON, and on ON (the engine's, each day)."""
    for months_back in (12, 6, 3, 1, 0):
        compliance_snapshot_take(on=add_months(ON, -months_back))
    return scene


class TestFiguresEqualComplianceReport:
    def test_partnership_figures_in_the_pdf_and_the_html(self, history, on_day):
        expected = build_report(on=ON)
        report = board_report(on=ON)
        assert report.headline.summary.required == sum(expected["pairs"].values())
        assert report.headline.percent == percent(expected["pairs"]) == 44  # 4 of 9
        reader, text = pdf_text(board_report_pdf(report))
        assert len(reader.pages) <= 2
        html = board_report_html(report)
        for source in (text, re.sub(r"<[^>]+>", " ", html)):
            flat = " ".join(source.split())
            assert "Figures on 4 March 2026" in flat
            assert f"{percent(expected['pairs'])}% compliance rate" in flat
            for slug, counts in expected["by_agency"].items():
                line = next(line for line in report.agencies if line.slug == slug)
                assert f"{line.name} {percent(counts)}%" in flat
            assert "No sessions recorded" in flat

    def test_one_agency(self, history, on_day):
        agency = history.agency_a
        expected = build_report(on=ON, agency=agency)
        report = board_report(on=ON, agency=agency)
        assert report.headline.percent == percent(expected["pairs"]) == 33  # 2 of 6
        assert report.agencies == []
        _reader, text = pdf_text(board_report_pdf(report))
        assert f"Training compliance of {agency.name}" in text
        assert "33% compliance rate" in text

    def test_the_trend_table_holds_the_snapshots_numbers(self, history, on_day):
        report = board_report(on=ON)
        window_starts = add_months(ON.replace(day=1), -11)  # the 12 months up to ON's
        snapshots = ComplianceSnapshot.objects.filter(
            scope=SnapshotScope.PARTNERSHIP, taken_on__gte=window_starts
        )
        assert snapshots.count() == 4

        expected = {s.taken_on.replace(day=1): rate_percent(snapshot_summary(s)) for s in snapshots}
        shown = {bar.month: bar.percent for bar in report.trend if bar.percent is not None}
        assert shown == expected
        assert len(report.trend) == 12

    def test_each_tiers_change_over_the_quarter_is_its_snapshots(self, history, on_day):
        report = board_report(on=ON)
        quarter_ago = add_months(ON, -3)
        for line in report.tiers:
            tier = next(tier for tier in Tier if tier.label == line.name)
            before = ComplianceSnapshot.objects.get(scope=SnapshotScope.TIER, tier=tier, taken_on=quarter_ago)
            assert line.against.previous_on == quarter_ago
            assert line.against.previous_percent == rate_percent(snapshot_summary(before))
        _reader, text = pdf_text(board_report_pdf(report))
        assert "Change over the quarter" in text and f"since {quarter_ago.day} December 2025" in text
        # An agency's report has no tier snapshots of its own to compare with.
        assert all(
            line.against.previous_on is None for line in board_report(on=ON, agency=history.agency_a).tiers
        )

    def test_target_and_groups_at_risk(self, history, on_day):
        compliance_targets_save(partnership=40, actor=None)
        report = board_report(on=ON)
        assert report.headline.against.target_words == "Target 40%: met, 4 points above"
        # Agency A at 33% is under half; B at 66% is not.
        assert [line.slug for line in report.agencies_under_half] == [history.agency_a.slug]
        # Cara Doyle's HSB-101 has been overdue since long before 6 months ago.
        assert report.overdue_long >= 1


class TestPages:
    def test_the_lead_sees_the_page_and_downloads_the_pdf(self, client, lead, history, on_day):
        client.force_login(lead)
        page = client.get(reverse("reports:board"))
        assert page.status_code == 200
        assert "44% compliance rate" in page_text(page.content.decode())
        pdf = client.get(reverse("reports:board_pdf"), {"agency": history.agency_b.slug})
        assert pdf["Content-Type"] == "application/pdf"
        assert f"board-report-{history.agency_b.slug}-2026-03-04.pdf" in pdf["Content-Disposition"]
        _reader, text = pdf_text(pdf.content)
        assert "66% compliance rate" in text

    @pytest.mark.parametrize("name", ["reports:board", "reports:board_pdf"])
    def test_hr_and_outsiders_are_refused(self, client, hr_a, outsider, name, history):
        for user in (hr_a, outsider):
            client.force_login(user)
            assert client.get(reverse(name)).status_code == 404
        client.logout()
        assert client.get(reverse(name)).status_code == 302

    def test_a_bad_date_is_explained_and_no_pdf_is_made(self, client, lead, history, on_day):
        client.force_login(lead)
        response = client.get(reverse("reports:board_pdf"), {"on": "31/02/2026"})
        assert response.status_code == 400
        assert "Enter the date as day/month/year" in response.content.decode()


class TestCommand:
    def test_writes_a_pdf_and_an_html_file(self, history, on_day, tmp_path):
        call_command(
            "board_report", "--on", "2026-03-04", "--output", str(tmp_path / "b.pdf"), stderr=io.StringIO()
        )
        reader, text = pdf_text((tmp_path / "b.pdf").read_bytes())
        assert len(reader.pages) <= 2 and "44% compliance rate" in text
        call_command(
            "board_report",
            "--agency",
            history.agency_a.slug,
            "--output",
            str(tmp_path / "b.html"),
            stderr=io.StringIO(),
        )
        html = (tmp_path / "b.html").read_text()
        assert "<style>" in html and "33%" in html

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (["--agency", "nowhere"], "There is no agency with the slug 'nowhere'"),
            (["--on", "04/03/2026"], "--on must be a date written YYYY-MM-DD"),
            (["--on", "2026-02-31"], "--on 2026-02-31 is not a real date"),
        ],
    )
    def test_bad_arguments_write_nothing(self, history, tmp_path, arguments, message):
        output = tmp_path / "b.pdf"
        with pytest.raises(CommandError, match=re.escape(message)):
            call_command("board_report", *arguments, "--output", str(output))
        assert not output.exists()

    def test_an_output_that_is_not_pdf_or_html_is_refused(self, history, tmp_path):
        with pytest.raises(CommandError, match=r"--output must end in .pdf or .html \(got 'b.docx'\)"):
            call_command("board_report", "--output", str(tmp_path / "b.docx"))
        assert list(tmp_path.iterdir()) == []


def test_a_large_partnership_still_fits_on_two_pages(db, tmp_path):
    agencies = [factories.AgencyFactory(name=f"Northshire agency number {n}") for n in range(12)]
    for agency in agencies:
        factories.StaffMemberFactory(agency=agency)
    reader, _text = pdf_text(board_report_pdf(board_report(on=datetime.date.today())))
    assert len(reader.pages) <= 2
