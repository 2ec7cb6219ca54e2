"""``m2c read`` commands of the monthly reading cycle: plan, enter, exceptions, edits, close, KPIs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.clock import business_date
from meter2cash.platform.errors import InputRefused
from meter2cash.reading.closing import close_period, sweep_missed
from meter2cash.reading.entry import enter_readings
from meter2cash.reading.exceptions import (
    confirm_exception,
    decide_edit,
    exception_queue,
    propose_edit,
    request_reread,
)
from meter2cash.reading.intake import IncomingReading
from meter2cash.reading.kpis import reading_kpis
from meter2cash.reading.model import BillingDeterminant
from meter2cash.reading.plans import plan_period
from meter2cash.registry.model import Account

Period = typer.Option(..., "--period", help="Reading period YYYY-MM, e.g. 2026-11.")
Book = typer.Option(None, "--book", help="Route book code (抄表段); all books when omitted.")
Reason = typer.Option(..., "--reason", help="Why (goes into the audit trail).")


def plan(
    period: str = Period, book: str | None = Book, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """Create the period's reading tasks (抄表计划), one per active meter, due on the reading day."""
    with cli_errors(as_json=as_json):
        report = plan_period(context(), actor=as_user or "", period=period, route_book=book)
    if as_json:
        print_json(asdict(report))
    else:
        console.print(
            f"抄表计划 Plan {period}: {report.created} tasks created, {report.existing} existed, "
            f"{report.books} route books"
        )


def enter(
    meter: str = typer.Option(..., "--meter", help="Meter number (表号)."),
    read_at: datetime = typer.Option(
        ..., "--at", help="When it was read, Beijing time, e.g. 2026-11-15T10:30."
    ),
    total: str = typer.Option(..., "--total", help="Total register (总)."),
    sharp: str | None = typer.Option(None, "--sharp", help="尖"),
    peak: str | None = typer.Option(None, "--peak", help="峰"),
    flat: str | None = typer.Option(None, "--flat", help="平"),
    valley: str | None = typer.Option(None, "--valley", help="谷"),
    reactive: str | None = typer.Option(None, "--reactive", help="Reactive register (kvarh)."),
    demand: str | None = typer.Option(None, "--demand", help="Maximum demand register (kW)."),
    photo: Path | None = typer.Option(None, "--photo", help="Photo of the register."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """Enter one reading by hand (手工录入); it is checked like every other reading."""
    tou = {
        k: v
        for k, v in {"sharp": sharp, "peak": peak, "flat": flat, "valley": valley}.items()
        if v is not None
    }
    reading = IncomingReading(
        meter_no=meter,
        read_at=read_at,
        total=total,
        tou=tou,
        reactive=reactive,
        max_demand_kw=demand,
        source="manual",
    )
    with cli_errors(as_json=as_json):
        report = enter_readings(context(), actor=as_user or "", readings=[reading], photo=photo)
    if as_json:
        print_json(asdict(report))
        return
    state = "可计费 billable" if report.billable else "待处理 held for a clerk"
    console.print(
        f"已录入 Entered: {state}; exceptions opened: {report.exceptions} {report.findings_by_code}"
    )


def sweep(period: str = Period, book: str | None = Book, as_user: str | None = AsUser) -> None:
    """Mark tasks whose reading window has closed without a reading as missed (漏抄)."""
    with cli_errors():
        missed = sweep_missed(context(), actor=as_user or "", period=period, route_book=book)
    console.print(f"漏抄 Missed readings found: {missed}")


def exceptions(
    book: str | None = Book,
    all_states: bool = typer.Option(False, "--all", help="Include resolved exceptions."),
    as_json: bool = JsonFlag,
) -> None:
    """The exception queue (抄表异常) by route book."""
    states = (
        ("open", "edit_pending", "confirmed", "reread_requested", "resolved")
        if all_states
        else ("open", "edit_pending")
    )
    ctx = context()
    with ctx.sessions() as session:
        items = exception_queue(session, route_book=book, states=states)
    if as_json:
        print_json([asdict(i) for i in items])
        return
    table = Table("id", "book", "period", "meter", "code", "severity", "state", "reading", "reason")
    for i in items:
        table.add_row(
            str(i.id),
            i.route_book,
            i.period,
            i.meter_no,
            i.code,
            i.severity,
            i.state + (f" (edit {i.pending_edit_id})" if i.pending_edit_id else ""),
            i.reading_total or "",
            i.reason,
        )
    console.print(table)
    console.print(f"{len(items)} exceptions")


def confirm(
    exception_id: int = typer.Argument(...), reason: str = Reason, as_user: str | None = AsUser
) -> None:
    """Confirm a warning: the reading is right as it is (确认)."""
    with cli_errors():
        confirm_exception(context(), actor=as_user or "", exception_id=exception_id, reason=reason)
    console.print(f"已确认 Confirmed exception {exception_id}")


def reread(
    exception_id: int = typer.Argument(...), reason: str = Reason, as_user: str | None = AsUser
) -> None:
    """Set the reading aside and send the task back to the field (复抄)."""
    with cli_errors():
        request_reread(context(), actor=as_user or "", exception_id=exception_id, reason=reason)
    console.print(f"已派复抄 Re-read requested for exception {exception_id}")


def edit(
    exception_id: int = typer.Argument(...),
    total: str | None = typer.Option(None, "--total"),
    sharp: str | None = typer.Option(None, "--sharp"),
    peak: str | None = typer.Option(None, "--peak"),
    flat: str | None = typer.Option(None, "--flat"),
    valley: str | None = typer.Option(None, "--valley"),
    reason: str = Reason,
    as_user: str | None = AsUser,
) -> None:
    """Propose corrected register values (修正). A change of billed energy needs a second person."""
    values = {
        k: v
        for k, v in {"total": total, "sharp": sharp, "peak": peak, "flat": flat, "valley": valley}.items()
        if v is not None
    }
    with cli_errors():
        if not values:
            raise InputRefused(
                "给出至少一个修正值 Give at least one corrected register, e.g. --total 1234.56"
            )
        proposed = propose_edit(
            context(), actor=as_user or "", exception_id=exception_id, values=values, reason=reason
        )
    if proposed.state == "pending":
        console.print(
            f"修正待审批 Edit {proposed.id} waits for a second person: m2c read approve {proposed.id}"
        )
    else:
        console.print(f"已修正 Edit {proposed.id} applied (no billed energy changed)")


def approve(edit_id: int = typer.Argument(...), reason: str = Reason, as_user: str | None = AsUser) -> None:
    """Approve someone else's edit (四眼审批)."""
    with cli_errors():
        decide_edit(context(), actor=as_user or "", edit_id=edit_id, approve=True, reason=reason)
    console.print(f"已批准 Edit {edit_id} approved")


def reject(edit_id: int = typer.Argument(...), reason: str = Reason, as_user: str | None = AsUser) -> None:
    """Reject someone else's edit; the exception opens again."""
    with cli_errors():
        decide_edit(context(), actor=as_user or "", edit_id=edit_id, approve=False, reason=reason)
    console.print(f"已驳回 Edit {edit_id} rejected")


def close(
    period: str = Period, book: str | None = Book, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """Close the period: estimate missed meters and compute billing determinants (计费电量)."""
    with cli_errors(as_json=as_json):
        report = close_period(context(), actor=as_user or "", period=period, route_book=book)
    if as_json:
        print_json(asdict(report))
        return
    console.print(
        f"结算 Closed {period}: {report.determinants} determinants, {report.estimated} estimated, "
        f"{report.field_visits} field visits, {len(report.held)} held back, {report.existing} existed"
    )
    for held in report.held[:20]:
        console.print(f"  held: meter {held['meter_no']}: {held['reason']}")


def determinants(
    period: str = Period,
    account: str | None = typer.Option(None, "--account", help="Account number (户号)."),
    as_json: bool = JsonFlag,
) -> None:
    """Show billing determinants (计费电量) of a period."""
    ctx = context()
    with ctx.sessions() as session:
        query = (
            select(BillingDeterminant, Account.account_no)
            .join(Account)
            .where(BillingDeterminant.period == period)
            .order_by(Account.account_no)
        )
        if account:
            query = query.where(Account.account_no == account)
        rows = [_determinant_dict(d, number) for d, number in session.execute(query)]
    if as_json:
        print_json(rows)
        return
    table = Table("account", "from", "to", "days", "kWh", "尖", "峰", "平", "谷", "kvarh", "kW", "quality")
    for r in rows[:200]:
        table.add_row(
            *(
                str(r[k] if r[k] is not None else "")
                for k in (
                    "account_no",
                    "start_on",
                    "end_on",
                    "days",
                    "kwh_total",
                    "kwh_sharp",
                    "kwh_peak",
                    "kwh_flat",
                    "kwh_valley",
                    "kvarh",
                    "max_demand_kw",
                    "quality",
                )
            )
        )
    console.print(table)
    console.print(f"{len(rows)} determinants")


def _determinant_dict(d: BillingDeterminant, account_no: str) -> dict[str, object]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "account_no": account_no,
        "period": d.period,
        "start_on": d.start_on.isoformat(),
        "end_on": d.end_on.isoformat(),
        "days": d.days,
        "kwh_total": text(d.kwh_total),
        "kwh_sharp": text(d.kwh_sharp),
        "kwh_peak": text(d.kwh_peak),
        "kwh_flat": text(d.kwh_flat),
        "kwh_valley": text(d.kwh_valley),
        "kvarh": text(d.kvarh),
        "max_demand_kw": text(d.max_demand_kw),
        "quality": d.quality,
    }


def kpis(period: str = Period, as_json: bool = JsonFlag) -> None:
    """Reading KPIs: 抄表率, 实抄率, 一次抄表成功率, 差错率, exceptions by code and age."""
    ctx = context()
    with ctx.sessions() as session:
        result = reading_kpis(session, period=period, today=business_date(ctx.clock.now())).as_dict()
    if as_json:
        print_json(result)
        return
    names = {
        "reading_rate_pct": "抄表率 reading rate %",
        "actual_read_rate_pct": "实抄率 actual-read rate %",
        "first_try_success_pct": "一次抄表成功率 first-try success %",
        "error_rate_pct": "差错率 error rate %",
    }
    table = Table("KPI", "value")
    table.add_row("计划 planned tasks", str(result["planned"]))
    for key, label in names.items():
        table.add_row(label, str(result[key] if result[key] is not None else "—"))
    console.print(table)
    console.print(f"exceptions by code: {result['exceptions_by_code']}")
    console.print(f"open exceptions by age (days): {result['open_exceptions_by_age_days']}")


COMMANDS: dict[str, Callable[..., None]] = {
    "plan": plan,
    "enter": enter,
    "sweep": sweep,
    "exceptions": exceptions,
    "confirm": confirm,
    "reread": reread,
    "edit": edit,
    "approve": approve,
    "reject": reject,
    "close": close,
    "determinants": determinants,
    "kpis": kpis,
}
