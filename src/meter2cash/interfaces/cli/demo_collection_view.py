"""``m2c demo``'s collection step (收费): runs `meter2cash.demo.collection_cycle.run_collection`
on the demo's own clock after billing, and renders what it did."""

from __future__ import annotations

from datetime import date
from typing import cast

from rich.table import Table

from meter2cash.collection.disconnection_service import propose_disconnections
from meter2cash.collection.dunning_service import run_dunning
from meter2cash.demo.collection_cycle import CollectionOutcome, run_collection
from meter2cash.demo.files import demo_dir
from meter2cash.demo.spec import DemoSpec
from meter2cash.demo.steps import Progress
from meter2cash.interfaces.cli.common import console
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.i18n import gettext as _

CASHIER, MANAGER = "cashier", "manager"


def demo_collection(
    ctx: AppContext, *, spec: DemoSpec, periods: list[str], progress: Progress
) -> CollectionOutcome:
    """Post, collect, accrue, dun and propose disconnections for the billed periods."""
    demo_ctx = AppContext.create(engine=ctx.engine, clock=FixedClock(), settings=ctx.settings)
    return run_collection(
        demo_ctx,
        periods=periods,
        until=spec.until,
        cashier=CASHIER,
        manager=MANAGER,
        profiles_file=demo_dir(ctx.settings.data_dir) / "payment_profiles.csv",
        dunning=_dunning,
        propose_disconnections=_propose,
        progress=progress,
    )


def _dunning(ctx: AppContext, actor: str, day: date) -> dict[str, object]:
    return run_dunning(ctx, actor=actor, on=day).as_json()


def _propose(ctx: AppContext, actor: str, day: date) -> dict[str, object]:
    run = propose_disconnections(ctx, actor=actor, on=day)
    return {"proposed": len(run.proposed), "skipped": len(run.skipped)}


def render_collection(outcome: CollectionOutcome) -> None:
    if not outcome.first_day:
        return
    table = Table(
        _("What"),
        _("How many"),
        title=_("Collection {first} … {last}").format(first=outcome.first_day, last=outcome.last_day),
    )
    table.add_row(_("Bills posted to the ledger"), f"{outcome.bills_posted:,}")
    kinds = {
        "on_time": _("Paid on time"),
        "late": _("Paid late, with the late fee"),
        "partial": _("Partial payments"),
        "chronic": _("Paid by chronic non-payers"),
    }
    for kind, label in kinds.items():
        table.add_row(label, f"{outcome.payments.get(kind, 0):,}")
    channels = {
        "bank_withholding": _("Bank withholding (yuan)"),
        "agent": _("Agents (yuan)"),
        "counter": _("Counter (yuan)"),
    }
    for channel, label in channels.items():
        table.add_row(label, outcome.amounts.get(channel, "0.00"))
    table.add_row(_("Late fees accrued at month end (yuan)"), outcome.late_fees_accrued)
    table.add_row(_("Months closed"), "、".join(outcome.months_closed) or "-")
    table.add_row(_("Dunning runs"), str(len(outcome.dunning)))
    notices = sum(int(str(run.get("notices", 0))) for run in outcome.dunning)
    table.add_row(_("Dunning notices written"), f"{notices:,}")
    table.add_row(_("Disconnections proposed"), str(outcome.disconnections_proposed))
    console.print(table)
    rates = Table(_("Period"), _("Issued (yuan)"), _("Collected (yuan)"), _("Collection rate"))
    for period, kpis in outcome.kpis.items():
        recovery = cast(dict[str, object], kpis.get("recovery", {}))
        rates.add_row(
            period,
            str(recovery.get("issued", "")),
            str(recovery.get("collected", "")),
            f"{recovery.get('recovery_rate_pct') or '-'}%",
        )
    console.print(rates)
    console.print(_("Try collection yourself:"), style="bold")
    period = next(reversed(outcome.kpis), "")
    for command in (
        f"m2c collect kpis --period {period} --as manager",
        "m2c collect account ACCOUNT_NO --as cashier",
        "m2c collect pay --account ACCOUNT_NO --amount 100.00 --key K1 --as cashier",
        "m2c collect trial-balance --as manager",
        "m2c collect disconnections --as manager",
        "m2c collect send-notices --as cashier",
        "m2c collect late-fee --input docs/examples/late-fee/general-across-year-end.json",
    ):
        console.print(f"  {command}", highlight=False)
