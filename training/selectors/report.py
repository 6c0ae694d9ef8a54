"""The compliance report that `compliance_report --json` prints and `GET /api/v1/compliance/`
answers (PRODUCT.md section 8): one selector, so the two can never differ."""

from training.compliance import Status
from training.models import Module
from training.selectors.compliance import Tally
from training.selectors.engine import compliance_counts
from training.selectors.state import maintained
from workforce.models import Agency


def build_report(*, on, agency=None):
    """The report as PRODUCT.md section 8 gives it. Every agency in scope and every active module
    appears in the breakdowns, with zeros where nobody is required, so the keys are stable.

    The figures come from training.selectors.compliance_counts (pairs and people counted by the
    database, checked against the pure rules by tests/training/test_figures_counted_in_sql.py),
    summed by the dashboard's own Tally: a partnership-wide report needs counts, never a row per
    pair. They are read from the maintained state's counts when it is on `on`
    (training.selectors.state), so today's report reads a few hundred rows.
    """
    tally = Tally(compliance_counts(on=on, agency=agency, from_state=maintained(on)))
    summary = tally.people_summary(lambda each, job_role: True)
    agencies = [agency] if agency is not None else list(Agency.objects.filter(active=True).order_by("slug"))
    modules = list(Module.objects.filter(active=True).order_by("code"))
    counted_modules = {module.id: module for module in tally.modules}
    return {
        "on": on.isoformat(),
        "pairs": summary.status_counts(),
        "rate": round(summary.rate, 4) if summary.rate is not None else None,
        "people": {"total": summary.people_total, "compliant": summary.people_compliant},
        "by_agency": {
            each.slug: tally.people_summary(lambda ref, _, pk=each.pk: ref.id == pk).status_counts()
            for each in agencies
        },
        "by_module": {
            each.code: tally.module_summary(counted_modules[each.pk]).status_counts()
            if each.pk in counted_modules
            else {status.value: 0 for status in Status}
            for each in modules
        },
    }
