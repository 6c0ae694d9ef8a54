"""XLSX exports of an assessment round and of the action plan.

Every text cell is written as a string, never a formula, and made inert by the tracker's one
helper (workforce.spreadsheets.inert): text that a spreadsheet would run (starting with =, +, -,
@, a tab or a carriage return) gets a leading single quote.
"""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from workforce.spreadsheets import inert

from . import scoring
from .models import ActionStatus

HEADER_FONT = Font(bold=True)
DATE_FORMAT = "d mmmm yyyy"


def _sheet(workbook, title, headings, rows, widths):
    sheet = workbook.create_sheet(title)
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = HEADER_FONT
    for row in rows:
        sheet.append([inert(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a string cell, even if it looks like a number or a formula
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif hasattr(cell.value, "isoformat"):
                cell.number_format = DATE_FORMAT
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _save(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def round_workbook(report) -> bytes:
    assessment_round = report.round
    workbook = Workbook()
    workbook.remove(workbook.active)
    previous_title = report.previous.title if report.previous else ""
    domain_rows = [
        (
            domain.domain.name,
            domain.score.percent_display,
            domain.score.rag_label,
            domain.score.scored,
            domain.score.not_applicable,
            domain.score.unrated,
            domain.previous.percent_display if domain.previous else None,
            domain.change_label,
        )
        for domain in report.domains
    ]
    overall = report.overall
    summary = _sheet(
        workbook,
        "Domains",
        [
            "Domain",
            "Score (%)",
            "RAG",
            "Items scored",
            "Not applicable",
            "Not rated",
            "Previous score (%)",
            "Change",
        ],
        [
            *domain_rows,
            (
                "All domains",
                overall.percent_display,
                overall.rag_label,
                overall.scored,
                overall.not_applicable,
                overall.unrated,
                None,
                "",
            ),
        ],
        [28, 12, 12, 14, 16, 12, 20, 16],
    )
    summary.insert_rows(1, amount=4)
    summary["A1"] = inert(assessment_round.title)
    summary["A1"].font = Font(bold=True, size=14)
    summary["A2"] = inert(
        f"{assessment_round.scope_label}, assessed on {assessment_round.assessed_on:%d/%m/%Y}"
    )
    summary["A3"] = inert(
        f"Compared with: {previous_title}" if previous_title else "Baseline: no earlier round"
    )
    summary.freeze_panes = "A6"

    item_rows = []
    for domain in report.domains:
        for row in domain.rows:
            evidence = row.evidence
            item_rows.append(
                (
                    domain.domain.name,
                    row.item.statement,
                    row.rating.get_rating_display() if row.rating.rating else "Not rated",
                    scoring.rating_points(row.rating.rating),
                    row.rating.evidence_note,
                    evidence.percent_display if evidence else None,
                    f"{evidence.valid} of {evidence.required}" if evidence else "",
                    row.previous_label if report.previous else "",
                    row.change_label,
                    ", ".join(attachment.original_name for attachment in row.rating.attachments.all()),
                )
            )
    _sheet(
        workbook,
        "Items",
        [
            "Domain",
            "Statement",
            "Rating",
            "Points (0 to 3)",
            "Evidence note",
            "Live evidence (%)",
            "Staff up to date",
            "Previous rating",
            "Change",
            "Attachments",
        ],
        item_rows,
        [16, 60, 16, 10, 50, 14, 14, 16, 16, 30],
    )
    _sheet(
        workbook,
        "How scores work",
        ["Rule"],
        [(rule,) for rule in scoring.SCORING_RULES],
        [110],
    )
    return _save(workbook)


def action_plan_workbook(actions, *, today) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    rows = []
    for action in actions:
        overdue = action.status != ActionStatus.DONE and action.review_on < today
        rows.append(
            (
                action.title,
                action.description,
                "; ".join(item.statement for item in action.items.all()),
                action.owner_name,
                action.owner_email,
                action.owner_agency.name if action.owner_agency_id else "",
                action.due_on,
                action.get_status_display(),
                action.review_on,
                "Yes" if overdue else "No",
            )
        )
    _sheet(
        workbook,
        "Action plan",
        [
            "Action",
            "Description",
            "Checklist items",
            "Owner",
            "Owner email",
            "Owner agency",
            "Due date",
            "Status",
            "Review date",
            "Overdue for review",
        ],
        rows,
        [40, 50, 60, 22, 30, 30, 14, 12, 14, 12],
    )
    return _save(workbook)
