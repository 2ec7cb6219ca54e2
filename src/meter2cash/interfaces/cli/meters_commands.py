"""``m2c meters``: the meters in the field (电能表) — ``simulate`` serves simulated gateways.

``m2c meters simulate`` starts one simulated gateway (集中器 / 串口服务器) per communication
endpoint of the archive, each answering DL/T 645 for the meters behind it from the demo's
register history, and runs until Ctrl-C or SIGTERM. See docs/dlt645.md.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

import typer
from rich.table import Table

from meter2cash.interfaces.cli.common import EXIT_ERROR, JsonFlag, console, context, err_console, print_json
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.register_source import NoSuchDay
from meter2cash.reading.simulation import (
    DAILY_REGISTERS,
    GatewayPlan,
    MeterClock,
    SimulatedGateways,
    archive_gateways,
    history_days,
    history_files,
    serve_gateways,
)

app = typer.Typer(help="Meters in the field (电能表): simulated gateways.", no_args_is_help=True)


@app.callback()
def meters() -> None:
    """电能表 Meters in the field."""


@app.command("simulate")
def simulate(
    day: str | None = typer.Option(
        None,
        "--day",
        help="Answer as of the end of this day, YYYY-MM-DD; default the last day of the history.",
    ),
    faults: bool = typer.Option(
        False, "--faults", help="Honour the planted faults the history encodes (missed days: no answer)."
    ),
    history: Path | None = typer.Option(
        None, "--history", help="Daily register history; default <data_dir>/demo/daily_registers.parquet."
    ),
    as_json: bool = JsonFlag,
) -> None:
    """模拟采集网关 Serve simulated gateways for the archive's meters until Ctrl-C."""
    ctx = context()
    demo_dir = ctx.settings.data_dir / "demo"
    histories = [history] if history is not None else history_files(demo_dir)
    if not histories or not histories[0].exists():
        missing = history or demo_dir / DAILY_REGISTERS
        _stop(_("No register history at {path}: build the demo first (m2c demo).").format(path=missing))
    try:
        on = date.fromisoformat(day) if day else history_days(histories[0])[1]
    except ValueError:
        raise typer.BadParameter(_("a day is written YYYY-MM-DD"), param_hint="--day") from None
    with ctx.sessions() as session:
        plans = archive_gateways(session)
    if not plans:
        _stop(_("No meter in the archive has a gateway endpoint (comm_endpoint)."))
    try:
        asyncio.run(
            _serve(plans, histories=histories, day=on, faults=faults, clock=ctx.clock.now, as_json=as_json)
        )
    except NoSuchDay:
        _stop(_("The register history has no day {day}.").format(day=on.isoformat()))


async def _serve(
    plans: Sequence[GatewayPlan],
    *,
    histories: Sequence[Path],
    day: date,
    faults: bool,
    clock: MeterClock,
    as_json: bool,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve_gateways(
        plans, histories=histories, day=day, clock=clock, faults=faults, skip_unavailable=True
    ) as gateways:
        if not gateways.running:
            _stop(_("No gateway could be started."))
        _announce(gateways, as_json=as_json)
        await stop.wait()
        requests = gateways.requests
    if not as_json:
        console.print(_("Stopped; {requests} requests answered.").format(requests=requests), highlight=False)


def _announce(gateways: SimulatedGateways, *, as_json: bool) -> None:
    planned = {(p.host, p.port): len(p.meters) for p, _ in gateways.running}
    if as_json:
        print_json(
            {
                "day": gateways.day.isoformat(),
                "faults": gateways.faults,
                "gateways": [
                    {
                        "host": host,
                        "port": port,
                        "meters": planned.get((host, port), 0),
                        "answering": answering,
                    }
                    for host, port, answering in gateways.endpoints
                ],
                "unavailable": [
                    {"host": u.host, "port": u.port, "reason": u.reason} for u in gateways.unavailable
                ],
            }
        )
    else:
        table = Table(_("Gateway"), _("Meters"), _("Answering"), title=_("Simulated gateways"))
        for host, port, answering in gateways.endpoints:
            table.add_row(f"{host}:{port}", str(planned.get((host, port), 0)), str(answering))
        console.print(table)
        for unavailable in gateways.unavailable:
            err_console.print(
                _("Not started: {host}:{port}: {reason}").format(
                    host=unavailable.host, port=unavailable.port, reason=unavailable.reason
                ),
                highlight=False,
                markup=False,
            )
        meters = sum(planned.values())
        answering = sum(a for _, _, a in gateways.endpoints)
        console.print(
            _(
                "{gateways} gateways serving {meters} meters ({answering} answering) as of {day}; "
                "press Ctrl-C to stop."
            ).format(gateways=len(gateways.running), meters=meters, answering=answering, day=gateways.day),
            highlight=False,
        )
    sys.stdout.flush()


def _stop(message: str) -> NoReturn:
    err_console.print(f"[bold red]{message}[/]", highlight=False)
    raise typer.Exit(EXIT_ERROR)
