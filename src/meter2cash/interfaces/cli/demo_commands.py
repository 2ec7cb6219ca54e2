"""``m2c demo``: build the synthetic demo bureau (蒙西演示供电所). Parses, calls
`meter2cash.demo.build.build_demo`, renders the summary."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, cast

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from meter2cash.billing.review_wording import title
from meter2cash.demo import steps
from meter2cash.demo.billing_cycle import BILLING
from meter2cash.demo.collection_cycle import COLLECTING
from meter2cash.demo.fault_kinds import KIND_NAMES_ZH
from meter2cash.demo.spec import DEFAULT_ACCOUNTS, DEFAULT_MONTHS, DEFAULT_SEED, DEFAULT_UNTIL, DemoSpec
from meter2cash.demo.users import ADMIN
from meter2cash.interfaces.cli.common import (
    EXIT_REFUSED,
    AsUser,
    JsonFlag,
    cli_errors,
    console,
    context,
    err_console,
    print_json,
)
from meter2cash.interfaces.cli.demo_collection_view import demo_collection, render_collection
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import ROLE_NAMES_ZH, Role
from meter2cash.registry.codes import ZH_NAMES

if TYPE_CHECKING:
    from meter2cash.demo.billing_cycle import BillingOutcome
    from meter2cash.demo.build import DemoOutcome
    from meter2cash.demo.reading_cycle import CycleOutcome


def _step_labels() -> dict[str, str]:
    return {
        steps.GENERATE: _("Generating the bureau and its history"),
        steps.FILES: _("Writing the demo files"),
        steps.ROUTE_BOOKS: _("Importing route books"),
        steps.AREAS: _("Importing transformer areas"),
        steps.ACCOUNTS: _("Importing accounts"),
        steps.REPLACEMENTS: _("Replacing meters"),
        steps.ENERGY_SPLITS: _("Importing energy splits"),
        BILLING: _("Pricing bills"),
        COLLECTING: _("Collecting payments"),
    }


class RichProgress:
    """Rich progress bars, one per step of the build."""

    def __init__(self, *, enabled: bool) -> None:
        self._bars = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._labels = _step_labels()

    def __enter__(self) -> RichProgress:
        self._bars.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._bars.__exit__(kind, error, trace)

    def start(self, step: str, total: int | None) -> None:
        kind, _space, detail = step.partition(" ")
        label = self._labels.get(step) or f"{self._labels.get(kind, kind)} {detail}".strip()
        self._tasks[step] = self._bars.add_task(label, total=total)

    def update(self, step: str, done: int) -> None:
        task = self._tasks[step]
        if self._bars._tasks[task].total is None:  # a step of unknown length ends when it reports
            self._bars.update(task, total=done, completed=done)
        else:
            self._bars.update(task, completed=done)


def demo(
    *,
    accounts: int = typer.Option(DEFAULT_ACCOUNTS, "--accounts", min=20, help="Number of accounts (户数)."),
    seed: int = typer.Option(
        DEFAULT_SEED, "--seed", min=0, help="Random seed; the same seed gives the same bureau."
    ),
    until: datetime = typer.Option(
        DEFAULT_UNTIL.isoformat(), "--until", formats=["%Y-%m-%d"], help="End of the history (exclusive)."
    ),
    months: int = typer.Option(DEFAULT_MONTHS, "--months", min=2, max=60, help="Months of daily history."),
    fresh: bool = typer.Option(
        False, "--fresh", help="Delete the SQLite database and the demo files in the data directory first."
    ),
    cycle_months: int = typer.Option(
        2,
        "--cycle-months",
        min=0,
        max=11,
        help="Run the monthly reading cycle (抄表) for the last N months of the history; 0 skips it.",
    ),
    serve: bool = typer.Option(
        False, "--serve", help="Then start the web console, portal and API on the demo bureau."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="With --serve: address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="With --serve: port to listen on."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """Build the demo bureau in western Inner Mongolia (蒙西): archive, 13 months of daily
    registers, planted faults and one user per role."""
    from meter2cash.demo.build import OtherDemoExists, build_demo
    from meter2cash.demo.fresh import FreshRefused, reset_demo

    spec = DemoSpec(accounts=accounts, seed=seed, until=until.date(), months=months)
    ctx = context()
    try:
        if fresh:
            for path in reset_demo(ctx):
                err_console.print(_("Deleted {path}").format(path=path), highlight=False)
        with cli_errors(as_json=as_json), RichProgress(enabled=not as_json) as progress:
            outcome = build_demo(ctx, spec=spec, actor=as_user or ADMIN, progress=progress)
            cycle = _reading_cycle(ctx, spec=spec, months=cycle_months, progress=progress)
            billing = _billing(ctx, cycle=cycle, progress=progress)
            collection = (
                None
                if billing is None
                else demo_collection(ctx, spec=spec, periods=billing.periods, progress=progress)
            )
            customers = _portal_customers(ctx, billing=billing)
    except (OtherDemoExists, FreshRefused) as refused:
        if as_json:
            print_json({"error": "refused", "message": str(refused)})
        else:
            err_console.print(f"[bold red]{refused}[/]", highlight=False)
        raise typer.Exit(EXIT_REFUSED) from None
    if as_json:
        print_json(
            _as_dict(outcome)
            | {
                "reading_cycle": None if cycle is None else asdict(cycle),
                "billing": None if billing is None else asdict(billing),
                "collection": None if collection is None else asdict(collection),
                "portal_customers": [{"account_no": a, "password": p} for a, p in customers],
            }
        )
    else:
        _render(outcome)
        if cycle is not None:
            _render_cycle(cycle)
        if billing is not None:
            _render_billing(billing)
        if collection is not None:
            render_collection(collection)
    if serve:
        from meter2cash.interfaces.cli.serve_command import run_server

        _render_web_logins(outcome, customers=customers, host=host, port=port)
        run_server(ctx, host=host, port=port)


def _portal_customers(ctx: AppContext, *, billing: BillingOutcome | None) -> list[tuple[str, str]]:
    """A few demo customers with issued bills, enrolled in the portal with known passwords."""
    if billing is None:
        return []
    from meter2cash.demo.portal_demo import enrol_demo_customers

    return enrol_demo_customers(ctx, actor=ADMIN)


def _render_web_logins(
    outcome: DemoOutcome, *, customers: list[tuple[str, str]], host: str, port: int
) -> None:
    """Where to open the demo in a browser, a login for each role and the portal's customers."""
    console.print(
        _("Open the demo in a browser: http://{host}:{port}/").format(host=host, port=port), style="bold"
    )
    logins = Table(_("Role"), _("User"), _("Password"), title=_("Staff console logins (for a demo only)"))
    for username, role, password in outcome.users:
        logins.add_row(f"{ROLE_NAMES_ZH[Role(role)]} {role}", username, password)
    console.print(logins)
    if customers:
        console.print(
            _("Customer portal: http://{host}:{port}/portal/login").format(host=host, port=port), style="bold"
        )
        portal = Table(_("Account"), _("Password"), title=_("Customer portal logins (for a demo only)"))
        for account_no, password in customers:
            portal.add_row(account_no, password)
        console.print(portal)


def _reading_cycle(
    ctx: AppContext, *, spec: DemoSpec, months: int, progress: RichProgress
) -> CycleOutcome | None:
    """The demo's monthly reading cycle, on a clock of its own that walks through the months."""
    if months == 0:
        return None
    from meter2cash.demo.reading_cycle import cycle_periods, run_reading_cycle
    from meter2cash.demo.users import CLERK, READER

    demo_ctx = AppContext.create(engine=ctx.engine, clock=FixedClock(), settings=ctx.settings)
    periods = cycle_periods(until=spec.until, months=months)
    return run_reading_cycle(
        demo_ctx, periods=periods, reader=READER, clerk=CLERK, admin=ADMIN, progress=progress
    )


def _billing(ctx: AppContext, *, cycle: CycleOutcome | None, progress: RichProgress) -> BillingOutcome | None:
    """Bill the periods the reading cycle closed: the catalog, then per period a bill run, the
    review (clean bills approved, flagged ones left for a person) and the issue of every route book."""
    if cycle is None:
        return None
    from meter2cash.demo.billing_cycle import run_billing
    from meter2cash.demo.users import CLERK, REVIEWER

    demo_ctx = AppContext.create(engine=ctx.engine, clock=FixedClock(), settings=ctx.settings)
    return run_billing(
        demo_ctx, periods=cycle.periods, admin=ADMIN, clerk=CLERK, reviewer=REVIEWER, progress=progress
    )


def _render_billing(billing: BillingOutcome) -> None:
    for period in billing.periods:
        summary = billing.summaries[period]
        table = Table(
            _("Class"), _("Bills"), _("kWh"), _("Amount (yuan)"),
            title=_("Bills of {period} (revenue by class)").format(period=period),
        )  # fmt: skip
        by_category = cast(dict[str, dict[str, str]], summary["by_category"])
        for category, row in by_category.items():
            table.add_row(
                f"{ZH_NAMES.get(category, category)} {category}", row["bills"], row["kwh"], row["total"]
            )
        table.add_row(_("Total"), str(summary["bills"]), str(summary["kwh"]), str(summary["total"]))
        console.print(table)
        for reason, count in cast(dict[str, int], summary["unpriced"]).items():
            console.print(f"  {_('Not priced')}: {count} — {reason}", highlight=False, markup=False)
        by_state = cast(dict[str, int], summary["by_state"])
        console.print(
            _("Bills by state: {states}").format(
                states=", ".join(f"{_state_name(s)} {s} {n}" for s, n in sorted(by_state.items()))
            ),
            highlight=False,
        )
        review = cast(dict[str, object], billing.kpis.get(period, {}).get("review", {}))
        flagged = cast(dict[str, int], review.get("flagged_by_code", {}))
        console.print(
            _("Approved automatically: {approved}; flagged for a reviewer by code: {codes}").format(
                approved=review.get("auto_approved", 0),
                codes=", ".join(f"{code} {title(code)} {n}" for code, n in flagged.items()) or "-",
            ),
            highlight=False,
        )
    if billing.faults:
        faults = Table(
            _("Planted fault"), _("Touched a bill"), _("Held at reading"), _("Stopped at review"),
            _("Reached a customer"),
            title=_("Planted faults: stopped at review or reaching a customer"),
        )  # fmt: skip
        for fault in billing.faults:
            faults.add_row(
                f"{KIND_NAMES_ZH[str(fault['kind'])]} {fault['kind']}",
                str(fault["planted"]),
                str(fault["held_at_reading"]),
                str(fault["stopped_at_review"]),
                str(fault["reached_customer"]),
            )
        console.print(faults)
    last = billing.periods[-1]
    if billing.documents:
        console.print(_("Sample bills (电费通知单):"), style="bold")
        for path in billing.documents:
            console.print(f"  {path}", highlight=False)
    elif billing.documents_skipped:
        console.print(billing.documents_skipped, style="bold yellow", highlight=False)
    console.print(_("Try billing yourself:"), style="bold")
    for command in (
        f"m2c bill summary --period {last}",
        f"m2c bill queue --period {last}",
        "m2c bill approve BILL_ID --reason … --as reviewer",
        "m2c bill reject BILL_ID --reason … --back-to reading --as reviewer",
        f"m2c bill issue --period {last} --route-book MX-RB-001 --as clerk",
        f"m2c bill kpis --period {last}",
        f"m2c bill show ACCOUNT_NO --period {last}",
        "m2c bill quote --input docs/examples/quote/large-industry.json",
        "m2c tariff list",
    ):
        console.print(f"  {command}", highlight=False)


def _state_name(state: str) -> str:
    names = {
        "draft": _("draft"),
        "flagged": _("flagged for review"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "issued": _("issued"),
    }
    return names.get(state, state)


def _render_cycle(cycle: CycleOutcome) -> None:
    periods = "、".join(cycle.periods)
    if cycle.skipped:
        console.print(
            _("The reading cycle of {periods} was run before; nothing was added.").format(periods=periods),
            style="bold yellow",
        )
        return
    table = Table(
        _("What"), _("How many"), title=_("Monthly reading cycle {periods}").format(periods=periods)
    )
    for label, value in (
        (_("Opening readings loaded (go-live)"), cycle.opening),
        (_("Area supply meter daily readings imported"), cycle.supply_readings),
        (_("Meters collected over DL/T 645"), cycle.collected),
        (_("Collection failures (then read by hand)"), cycle.collection_failed),
        (_("Handheld readings imported"), cycle.handheld),
        (_("Billing determinants"), cycle.determinants),
        (_("Estimated (missed)"), cycle.estimated),
        (_("Held back by open exceptions"), cycle.held),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    console.print(_("Exceptions by code: {codes}").format(codes=cycle.exceptions_by_code), highlight=False)
    faults = Table(_("Planted fault"), _("Planted"), _("Caught"), _("Codes"))
    for row in cycle.faults:
        codes = cast(dict[str, int], row["codes"])
        faults.add_row(
            f"{KIND_NAMES_ZH[str(row['kind'])]} {row['kind']}",
            str(row["planted"]),
            str(row["caught"]),
            ", ".join(f"{c} {n}" for c, n in codes.items()),
        )
    console.print(faults)
    last = cycle.periods[-1]
    console.print(_("Try the reading cycle yourself:"), style="bold")
    for command in (
        f"m2c read kpis --period {last}",
        "m2c read exceptions",
        f"m2c read determinants --period {last}",
        "m2c read edit ID --total … --reason … --as clerk",
        "m2c read approve EDIT --reason … --as reviewer",
        "m2c meters simulate",
    ):
        console.print(f"  {command}", highlight=False)


def _as_dict(outcome: DemoOutcome) -> dict[str, object]:
    return {
        "already_existed": outcome.already_existed,
        "summary": outcome.summary,
        "directory": str(outcome.directory),
        "files": [str(path) for path in outcome.files],
        "users": [{"username": u, "role": r, "password": p} for u, r, p in outcome.users],
        "users_created": outcome.users_created,
        "imported": outcome.imported,
        "replacements": outcome.replacements,
    }


def _render(outcome: DemoOutcome) -> None:
    summary = outcome.summary
    if outcome.already_existed:
        console.print(_("The demo bureau already exists here; nothing was added."), style="bold yellow")
    else:
        console.print(_("Demo bureau built."), style="bold green")
    table = Table(_("What"), _("How many"), title=_("Demo bureau (western Inner Mongolia)"))
    by_category = cast(dict[str, int], summary["accounts_by_category"])
    for category, count in by_category.items():
        table.add_row(f"{ZH_NAMES[category]} {category}", str(count))
    for key, label in (
        ("areas", _("Transformer areas (incl. 10 kV feeders)")),
        ("feeders", _("10 kV feeders")),
        ("route_books", _("Route books")),
        ("customer_meters", _("Customer meters (incl. replacements)")),
        ("supply_meters", _("Area supply meters")),
        ("card_meters", _("Card meters")),
        ("smart_prepaid", _("Smart prepaid accounts")),
        ("tou_meters", _("Time-of-use meters")),
        ("history_days", _("History days")),
        ("register_rows", _("Daily register rows")),
    ):
        table.add_row(label, f"{summary[key]:,}")
    table.add_row(_("History window"), f"{summary['history_first_day']} … {summary['history_last_day']}")
    console.print(table)
    faults = Table(_("Planted fault"), _("How many"))
    for kind, count in cast(dict[str, int], summary["faults"]).items():
        faults.add_row(f"{KIND_NAMES_ZH[kind]} {kind}", str(count))
    console.print(faults)
    users = Table(_("User"), _("Role"), _("Password"), title=_("Demo users (for a demo only)"))
    for username, role, password in outcome.users:
        users.add_row(username, f"{ROLE_NAMES_ZH[Role(role)]} {role}", password)
    console.print(users)
    console.print(_("Data files in {directory}:").format(directory=outcome.directory), highlight=False)
    for path in outcome.files:
        console.print(f"  {path.name}", highlight=False)
    console.print(_("What to try next:"), style="bold")
    for command in (
        "m2c user list",
        "m2c audit verify",
        "m2c archive export --help",
        "m2c audit show user reviewer2 --as admin",
    ):
        console.print(f"  {command}", highlight=False)
