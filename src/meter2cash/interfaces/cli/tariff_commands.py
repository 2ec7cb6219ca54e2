"""``m2c tariff``: the tariff catalog (电价目录).

``m2c tariff load FILE [--as USER] [--json]`` checks a YAML catalog file whole and loads its
versions, or refuses it (exit 3) listing every problem by line and key path; loading the same
file again changes nothing. ``m2c tariff list [--on DATE]`` lists the stored versions and
``m2c tariff show CODE [--on DATE]`` shows the version in effect (today by default). The file
schema and the ``--json`` shapes are documented in docs/tariffs.md and docs/cli.md.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from meter2cash.billing.catalog import (
    LoadResult,
    StoredVersion,
    VersionSummary,
    get_version,
    list_versions,
    load_catalog,
)
from meter2cash.billing.catalog_files import decimal_text, tariff_to_dict
from meter2cash.billing.tariff import TOU_LABELS, TOU_PERIODS, Tariff
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.registry.codes import ZH_NAMES

app = typer.Typer(help="Tariff catalog (电价目录): load, list, show.", no_args_is_help=True)

OUTCOME_LABELS = {"added": "新增 added", "closed": "截止 closed", "unchanged": "未变 unchanged"}


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"不是日期 not a date: {value!r} (YYYY-MM-DD)") from None


OnOption = typer.Option(None, "--on", help="The day the versions are in effect on, YYYY-MM-DD.")


def _period(start: date, end: date | None) -> str:
    return f"{start.isoformat()} – {end.isoformat() if end else '…'}"


def _summary_dict(s: VersionSummary) -> dict[str, object]:
    return {
        "version": s.version,
        "code": s.code,
        "name": s.name,
        "category": s.category,
        "effective_from": s.effective_from.isoformat(),
        "effective_to": s.effective_to.isoformat() if s.effective_to else None,
        "illustrative": s.illustrative,
        "sha256": s.sha256,
        "loaded_by": s.loaded_by,
        "loaded_at": s.loaded_at,
    }


@app.command("load")
def tariff_load(
    file: Annotated[
        Path,
        typer.Argument(
            help="A YAML catalog file (docs/tariffs.md).", exists=True, dir_okay=False, readable=True
        ),
    ],
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """Load a catalog file: all its versions, or nothing (exit 3, every problem listed)."""
    ctx = context()
    with cli_errors(as_json=as_json):
        result = load_catalog(ctx, actor=as_user, path=file)
    if as_json:
        print_json(_load_dict(result))
        return
    _render_load(result)


def _load_dict(result: LoadResult) -> dict[str, object]:
    return {
        "file": result.file,
        "sha256": result.sha256,
        "added": result.added,
        "closed": result.closed,
        "unchanged": result.unchanged,
        "versions": [{"version": v, "outcome": o} for v, o in result.outcomes.items()],
    }


def _render_load(result: LoadResult) -> None:
    if not result.changed:
        console.print(
            f"[yellow]已载入过 Already loaded[/] {result.file}: {result.unchanged} 个版本未变 "
            f"versions unchanged — 未做任何改动 nothing changed.",
            highlight=False,
        )
        return
    console.print(
        f"[green]电价目录已载入 Loaded[/] {result.file}: 新增 added {result.added}, "
        f"截止 closed {result.closed}, 未变 unchanged {result.unchanged}",
        highlight=False,
    )
    for version, outcome in result.outcomes.items():
        console.print(f"  {OUTCOME_LABELS[outcome]}: {version}", highlight=False)


@app.command("list")
def tariff_list(on: str | None = OnOption, as_user: str | None = AsUser, as_json: bool = JsonFlag) -> None:
    """The stored versions, by code and start day (only those in effect on --on, if given)."""
    day = _day(on)
    with cli_errors(as_json=as_json):
        versions = list_versions(context(), actor=as_user, on=day)
    if as_json:
        print_json([_summary_dict(v) for v in versions])
        return
    table = Table(
        "代码 code", "名称 name", "类别 category", "有效期 in effect", "示例 illustrative", "sha256"
    )
    for v in versions:
        table.add_row(
            v.code,
            escape(v.name),
            f"{ZH_NAMES.get(v.category, v.category)} {v.category}",
            _period(v.effective_from, v.effective_to),
            "示例 yes" if v.illustrative else "",
            v.sha256[:12],
        )
    console.print(table)
    console.print(
        f"{len(versions)} 个版本 versions" + (f"（{day.isoformat()} 有效 in effect）" if day else "")
    )
    if any(v.illustrative for v in versions):
        console.print("[yellow]示例电价未经核实，勿用于真实计费 Illustrative prices are not verified.[/]")


@app.command("show")
def tariff_show(
    code: Annotated[str, typer.Argument(help="Catalog code, e.g. MX-RES-1.")],
    on: str | None = OnOption,
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """One version of a tariff: the one in effect on --on (default today), with every price."""
    day = _day(on)
    with cli_errors(as_json=as_json):
        stored = get_version(context(), actor=as_user, code=code, on=day)
    if as_json:
        print_json({**_summary_dict(stored.summary), "tariff": tariff_to_dict(stored.tariff)})
        return
    _render_tariff(stored)


def _money(value: Decimal) -> str:
    return decimal_text(value)


def _render_tariff(stored: StoredVersion) -> None:
    t, s = stored.tariff, stored.summary
    console.print(f"[bold]{t.code}[/] {escape(t.name)}", highlight=False)
    console.print(
        f"  版本 version: {t.version}  有效期 in effect: {_period(t.effective_from, t.effective_to)}"
    )
    console.print(
        f"  类别 category: {ZH_NAMES.get(t.category.value, '')} {t.category.value}", highlight=False
    )
    if t.illustrative:
        console.print("  [yellow]示例电价，未经核实 illustrative, not verified[/]")
    if t.source:
        console.print(f"  依据 source: {t.source}", highlight=False, markup=False)
    console.print(f"  载入 loaded by {s.loaded_by} at {s.loaded_at}; sha256 {s.sha256}", highlight=False)
    _render_energy(t)
    if t.basic is not None:
        console.print("  基本电价 basic charge (两部制 two-part):")
        if t.basic.capacity_price is not None:
            console.print(f"    按容量 by capacity: {_money(t.basic.capacity_price)} 元/kVA·月")
        if t.basic.demand_price is not None:
            console.print(f"    按需量 by demand: {_money(t.basic.demand_price)} 元/kW·月")
    if t.funds:
        console.print("  政府性基金及附加 government funds:")
        for fund in t.funds:
            exempt = f"（免征 exempt: {', '.join(sorted(fund.exempt))}）" if fund.exempt else ""
            console.print(
                f"    {fund.name} {fund.code}: {_money(fund.price)} 元/kWh{exempt}",
                highlight=False,
                markup=False,
            )
    console.print(f"  力调 power factor adjustment: {'是 yes' if t.power_factor else '否 no'}")
    r = t.rules
    console.print(
        f"  规则 rules: 需量下限 floor {_money(r.contract_demand_floor)}, 超需量 excess > "
        f"{_money(r.demand_excess_threshold)} × {_money(r.demand_excess_factor)}, "
        f"每月 {r.days_per_month} 天 days, "
        f"力调含基金 pf on funds {'是 yes' if r.pf_includes_funds else '否 no'}",
        highlight=False,
    )


def _render_energy(t: Tariff) -> None:
    energy = t.energy
    console.print("  电度电价 energy price (元/kWh):")
    if energy.flat is not None:
        console.print(f"    单一电价 flat: {_money(energy.flat)}")
    previous = "0"
    for tier in energy.tiers:
        upper = _money(tier.up_to) if tier.up_to is not None else "…"
        console.print(f"    阶梯 tier {previous}–{upper} kWh: {_money(tier.price)}")
        previous = upper
    if energy.tiers:
        console.print(f"    阶梯基准 tier basis: {energy.tier_basis.value}")
    if energy.low_income_free_kwh:
        console.print(f"    低保/五保免费电量 free allowance: {_money(energy.low_income_free_kwh)} kWh/月")
    if energy.tou is None:
        return
    table = Table("峰谷分时 time of use", *(f"{TOU_LABELS[p]} {p.value}" for p in TOU_PERIODS))
    base = energy.base_price
    rows = [("默认 default", energy.tou.multipliers)]
    rows += [
        (f"{escape(s.name)} 月 months {','.join(map(str, sorted(s.months)))}", s.multipliers)
        for s in energy.tou.seasons
    ]
    for label, multipliers in rows:
        table.add_row(
            label,
            *(f"×{_money(multipliers[p])} = {_money(base * multipliers[p])}" for p in TOU_PERIODS),
        )
    console.print(table)
