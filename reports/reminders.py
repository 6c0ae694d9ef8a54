"""The monthly board report email (PRODUCT.md section 12): on the first working day of each month,
every partnership lead gets the board report of the whole partnership as a PDF, through the
reminder engine's outbox, exactly once.

One series per lead and month (the cycle date is the month's first day) with one stage on the
month's first working day, so the engine's unique key makes a second planner run, a retried task
or a second beat plan nothing new. A planner that did not run that day catches up on a later day
within CATCH_UP_DAYS, still once. The recipients are the active users of the "Partnership lead"
group with an email address; a lead may switch it off from the link in it (it is a digest in the
engine's terms, with one-click unsubscribe), and one who is no longer a lead when it is sent is
not sent it.

Nothing large is stored: the outbox keeps the email's text, and the PDF is rendered when the email
is sent (`attachments`), from the figures of that day: each lead's email reads the report and
renders its PDF once (about 2 s and 0.5 s at 50,000 staff, far inside the send task's time
limit). GOV.UK Notify sends no attachment through the tracker's one template, so with Notify the
email links to the report page instead.

BoardReportEmails is a reminder source of the engine (notifications.sources), registered by
ReportsConfig.ready(); the engine knows nothing of reports.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from notifications import notify, rules, sources
from notifications.sources import Check, NamedStage, ReminderKind, ReminderSource
from notifications.sources.digests import digest_opt_outs
from workforce.access import LEAD_GROUP
from workforce.database import heavy_reads

from .documents import board_report_pdf, file_name
from .selectors import board_report

KIND = "board_report"
STAGE = "monthly-report"
CATCH_UP_DAYS = 7
DAY = datetime.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------


def first_working_day(month: datetime.date) -> datetime.date:
    """The month's first Monday to Friday. Bank holidays are not known to the tracker: on New
    Year's Day the email goes that day."""
    day = month.replace(day=1)
    while day.weekday() >= 5:
        day += DAY
    return day


def report_due(day: datetime.date) -> bool:
    """Whether `day` may plan this month's email: its first working day, or up to CATCH_UP_DAYS
    after it when the planner missed that day (the outbox's key sends it once either way)."""
    first = first_working_day(day)
    return first <= day <= first + CATCH_UP_DAYS * DAY


def stages(month: datetime.date) -> list[rules.Stage]:
    return [rules.Stage(first_working_day(month), 0, KIND, STAGE)]


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


def lead_emails() -> list[str]:
    """Addresses of the active members of the partnership lead group, lower case, once each."""
    users = get_user_model().objects.filter(is_active=True, groups__name=LEAD_GROUP).exclude(email="")
    return sorted({email.strip().lower() for email in users.values_list("email", flat=True)})


def attaches_pdf() -> bool:
    """The PDF goes with the email, except through GOV.UK Notify (a link instead)."""
    return notify.attachments_supported()


# ---------------------------------------------------------------------------------------------
# The source
# ---------------------------------------------------------------------------------------------


class BoardReportEmails(ReminderSource):
    kinds = (
        ReminderKind(
            KIND,
            "Monthly board report",
            digest=True,
            description=(
                "On the first working day of each month: the board report of the whole partnership, as a PDF."
            ),
            footer="You get this monthly email as a partnership lead in the tracker.",
        ),
    )
    named_stages = {STAGE: NamedStage("on the first working day of each month", "month")}

    def series(self, planning):
        day = planning.day
        if not report_due(day):
            return
        month = rules.month_start(day)
        opted_out = digest_opt_outs()
        for email in lead_emails():
            if (email, KIND) not in opted_out:
                yield sources.series(
                    kind=KIND, recipient=email, stages=stages(month), today=day, cycle_date=month
                )

    def check(self, items, *, today):
        leads, opted_out = set(lead_emails()), digest_opt_outs()
        found, report = {}, None
        for item in items:
            if (item.recipient, item.kind) in opted_out:
                found[item.id] = Check("unsubscribed from the monthly board report")
            elif item.recipient not in leads:
                found[item.id] = Check("no longer an active partnership lead")
            else:
                # Read once for all the items, only when one is to be sent, from the read replica
                # when there is one (the figures of a day need not be to the second).
                if report is None:
                    with heavy_reads():
                        report = board_report(on=today)
                found[item.id] = Check(content=report)
        return found

    def email_context(self, item, facts):
        report = facts.contents[item.id]
        return {
            "report": report,
            "month": item.cycle_date,
            "report_url": settings.SITE_URL + reverse("reports:board"),
            "attached": attaches_pdf(),
            "pdf_name": file_name(report, "pdf"),
        }

    def attachments(self, item, facts):
        if item.id not in facts.contents or not attaches_pdf():
            return []
        report = facts.contents[item.id]
        return [(file_name(report, "pdf"), board_report_pdf(report), "application/pdf")]


SOURCE = BoardReportEmails()
