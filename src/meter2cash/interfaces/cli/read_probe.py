"""``m2c read probe``: read one meter now over DL/T 645-2007 (a field tool, no database).

``--json`` prints the public contract, values as decimal strings exactly as the meter reports
them (null when the meter has no such item)::

    {"address": "...", "energy": {"total": "...", "sharp": "...", "peak": "...", "flat": "...",
     "valley": "..."}, "reactive": "...", "max_demand_kw": "...", "clock": "YYYY-MM-DDTHH:MM:SS"}

A meter or gateway that gives no usable answer exits with code 1 (`EXIT_ERROR`, as docs/cli.md
says for ``read probe``), after a clear message (or a JSON error object with ``--json``).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import typer
from rich.table import Table

from meter2cash.interfaces.cli.common import EXIT_ERROR, JsonFlag, console, err_console, print_json
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.collect import Attempt, CollectPolicy, ErrorKind, MeterResult, probe_meter
from meter2cash.reading.dlt645.frame import BadAddress, normalise_address
from meter2cash.reading.dlt645.readout import BadTariffOrder, MeterReadout, tariff_order_of

ERROR_TEXT = {
    ErrorKind.TIMEOUT: "no answer (timeout)",
    ErrorKind.GARBLED: "garbled reply",
    ErrorKind.TRUNCATED: "reply cut short",
    ErrorKind.BAD_CHECKSUM: "wrong checksum",
    ErrorKind.WRONG_ADDRESS: "another meter answered",
    ErrorKind.UNEXPECTED_REPLY: "reply does not match the request",
    ErrorKind.METER_ERROR: "the meter refused the request",
    ErrorKind.BAD_VALUE: "the meter sent an invalid value",
    ErrorKind.CONNECTION: "gateway unreachable",
    ErrorKind.BAD_ADDRESS: "not a DL/T 645 address",
    ErrorKind.INTERNAL: "internal error",
}
REGISTER_LABELS = {
    "sharp": "Sharp (尖)",
    "peak": "Peak (峰)",
    "flat": "Flat (平)",
    "valley": "Valley (谷)",
}


def probe(
    *,
    host: str = typer.Option(..., "--host", help="Gateway or serial server host."),
    port: int = typer.Option(..., "--port", min=1, max=65535, help="Gateway TCP port."),
    address: str = typer.Option(..., "--address", help="Meter address, 12 digits (AAAAAAAAAAAA: any)."),
    timeout: float = typer.Option(2.0, "--timeout", min=0.05, help="Seconds to wait for each reply."),
    attempts: int = typer.Option(3, "--attempts", min=1, max=10, help="Tries before giving up."),
    tariff_order: str = typer.Option(
        "", "--tariff-order", help="Registers of tariffs 1..n, default sharp,peak,flat,valley."
    ),
    as_json: bool = JsonFlag,
) -> None:
    """Read one meter now over DL/T 645: energy by time-of-use period, reactive, demand, clock."""
    try:
        address = normalise_address(address)
        order = tariff_order_of(tariff_order)
    except (BadAddress, BadTariffOrder) as error:
        raise typer.BadParameter(str(error)) from None
    policy = CollectPolicy(attempts=attempts, reply_timeout=timeout, connect_timeout=max(timeout, 3.0))
    result, tried = asyncio.run(
        probe_meter(host=host, port=port, address=address, policy=policy, tariff_order=order)
    )
    if result.readout is None:
        _fail(result, tried, host=host, port=port, as_json=as_json)
        return
    if as_json:
        print_json(probe_contract(result.readout))
    else:
        console.print(_table(result.readout, order))


def probe_contract(readout: MeterReadout) -> dict[str, Any]:
    """The public JSON shape of ``m2c read probe --json``."""
    return {
        "address": readout.address,
        "energy": {
            "total": _text(readout.total),
            "sharp": _text(readout.sharp),
            "peak": _text(readout.peak),
            "flat": _text(readout.flat),
            "valley": _text(readout.valley),
        },
        "reactive": _text(readout.reactive),
        "max_demand_kw": _text(readout.max_demand_kw),
        "clock": None if readout.clock is None else readout.clock.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _table(readout: MeterReadout, order: tuple[str, ...]) -> Table:
    table = Table(
        _("Item"), _("Value"), _("Unit"), title=_("Meter {address}").format(address=readout.address)
    )
    table.add_row(_("Forward active energy, total"), str(readout.total), "kWh")
    for number, name in enumerate(order, 1):
        label = _("Tariff {number}: {register}").format(number=number, register=_(REGISTER_LABELS[name]))
        table.add_row(label, _shown(getattr(readout, name)), "kWh")
    table.add_row(_("Combined reactive energy 1"), _shown(readout.reactive), "kvarh")
    table.add_row(_("Maximum demand"), _shown(readout.max_demand_kw), "kW")
    demand_at = readout.max_demand_at.strftime("%Y-%m-%d %H:%M") if readout.max_demand_at else "—"
    table.add_row(_("Maximum demand occurred"), demand_at, "")
    clock = readout.clock.strftime("%Y-%m-%d %H:%M:%S") if readout.clock else "—"
    table.add_row(_("Meter clock"), clock, "")
    if readout.refused:
        table.caption = _("Items the meter does not have: {items}").format(items=", ".join(readout.refused))
    return table


def _shown(value: object) -> str:
    return "—" if value is None else str(value)


def _fail(result: MeterResult, tried: tuple[Attempt, ...], *, host: str, port: int, as_json: bool) -> None:
    kind = result.error_kind or ErrorKind.INTERNAL
    message = _("Meter {address} at {host}:{port} could not be read: {reason} ({attempts} attempts).").format(
        address=result.target.address, host=host, port=port, reason=_(ERROR_TEXT[kind]), attempts=len(tried)
    )
    if as_json:
        print_json(
            {
                "error": "comm_failure",
                "kind": str(kind),
                "address": result.target.address,
                "message": message,
                "attempts": [
                    {
                        "attempt_no": a.attempt_no,
                        "outcome": a.outcome,
                        "error_kind": None if a.error_kind is None else str(a.error_kind),
                        "duration_s": round(a.duration_s, 3),
                        "detail": a.detail,
                    }
                    for a in tried
                ],
            }
        )
    else:
        err_console.print(f"[bold red]{message}[/]", highlight=False)
        if result.detail:
            err_console.print(result.detail, markup=False, highlight=False)
    raise typer.Exit(EXIT_ERROR)
