"""The compliance report that `compliance_report --json` prints and `GET /api/v1/compliance/`
answers (PRODUCT.md section 8): one selector, so the two can never differ."""

from operator import attrgetter

from training.compliance import Status
from training.models import Module
from training.selectors.engine import compliance_statuses, compliance_summary, summaries_by
from training.selectors.state import maintained
from workforce.models import Agency


def build_report(*, on, agency=None):
    """The report as PRODUCT.md section 8 gives it. Every agency in scope and every active module
    appears in the breakdowns, with zeros where nobody is required, so the keys are stable.

    The statuses come from training.selectors.compliance_statuses (the rules classified by the
    database, checked against the pure function by a property test): a partnership-wide report
    never needs each pair's dates, only its status. They are read from the maintained state when
    it is on `on` (training.selectors.state), so today's report reads a table.
    """
    rows = compliance_statuses(on=on, agency=agency, from_state=maintained(on))
    summary = compliance_summary(rows)
    agencies = [agency] if agency is not None else list(Agency.objects.filter(active=True).order_by("slug"))
    modules = list(Module.objects.filter(active=True).order_by("code"))
    per_agency = summaries_by(rows, attrgetter("agency_id"))
    per_module = summaries_by(rows, attrgetter("module_id"))
    return {
        "on": on.isoformat(),
        "pairs": summary.status_counts(),
        "rate": round(summary.rate, 4) if summary.rate is not None else None,
        "people": {"total": summary.people_total, "compliant": summary.people_compliant},
        "by_agency": {each.slug: _counts(per_agency.get(each.pk)) for each in agencies},
        "by_module": {each.code: _counts(per_module.get(each.pk)) for each in modules},
    }


def _counts(summary):
    return summary.status_counts() if summary is not None else {status.value: 0 for status in Status}
