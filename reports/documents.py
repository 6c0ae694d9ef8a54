"""The board report as a document: HTML for the page and the file, PDF through WeasyPrint.

WeasyPrint needs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0, which `make run`'s set-up and
.ci/run install); it is imported only when a PDF is made, so nothing else pays its start-up.
"""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from training.charts import bar_chart

from .selectors import BoardReport

STYLESHEET = "reports/board.css"


def report_context(report: BoardReport) -> dict:
    return {
        "report": report,
        "trend_chart": bar_chart(
            ((bar.label[:3], bar.percent) for bar in report.trend), target=report.target
        ),
    }


def stylesheet_text() -> str:
    with open(finders.find(STYLESHEET), encoding="utf-8") as handle:
        return handle.read()


def board_report_html(report: BoardReport) -> str:
    """A standalone HTML file (its stylesheet inside) that prints as the PDF does."""
    return render_to_string(
        "reports/board_document.html", {**report_context(report), "inline_css": stylesheet_text()}
    )


def board_report_pdf(report: BoardReport) -> bytes:
    from weasyprint import CSS, HTML  # noqa: PLC0415 - heavy, and only needed here

    html = render_to_string("reports/board_document.html", report_context(report))
    return HTML(string=html).write_pdf(stylesheets=[CSS(string=stylesheet_text())])


def file_name(report: BoardReport, extension: str) -> str:
    subject = report.agency.slug if report.agency is not None else "partnership"
    return f"board-report-{subject}-{report.on.isoformat()}.{extension}"
