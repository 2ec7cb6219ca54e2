"""The demo's monthly billing (核算): load the illustrative 蒙西 tariff catalog, then run the
bills of each period the reading cycle closed, into draft bills awaiting review.

Runs on the demo's own clock, like the reading cycle; running it again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meter2cash.billing.bill_queries import period_summary
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.demo.steps import Progress, Silent
from meter2cash.platform.context import AppContext

BILLING = "billing"


@dataclass
class BillingOutcome:
    tariff_versions_added: int = 0
    periods: list[str] = field(default_factory=list)
    priced: dict[str, int] = field(default_factory=dict)  # period → bills priced by this call
    summaries: dict[str, dict[str, object]] = field(default_factory=dict)  # period → PeriodSummary JSON


def run_billing(
    ctx: AppContext, *, periods: list[str], admin: str, clerk: str, progress: Progress | None = None
) -> BillingOutcome:
    report = progress or Silent()
    outcome = BillingOutcome(periods=list(periods))
    loaded = load_catalog(ctx, actor=admin, path=bundled_catalog_path())
    outcome.tariff_versions_added = loaded.added
    for period in periods:

        def advance(done: int, total: int, period: str = period) -> None:
            if done == 0:
                report.start(f"{BILLING} {period}", total)
            else:
                report.update(f"{BILLING} {period}", done)

        run = run_bills(ctx, actor=clerk, period=period, progress=advance)
        outcome.priced[period] = run.priced
        outcome.summaries[period] = period_summary(ctx, actor=clerk, period=period).as_json()
    return outcome
