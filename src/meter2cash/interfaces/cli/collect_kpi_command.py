"""``m2c collect kpis --period P [--top N] [--json]``: the collection KPIs (收费指标) of a billing
period — 电费回收率 for the period and year to date, arrears aging (欠费账龄), the month's late fees,
write-offs and payments by channel, and the top debtors (欠费大户). It parses, calls
`collection_kpis`, renders; ``--json`` prints its ``as_json`` (public contract,
docs/collection-kpis.md)."""

from __future__ import annotations

import typer
from rich.table import Table

from meter2cash.collection.collection_kpis import DEFAULT_TOP, MAX_TOP, CollectionKpis, collection_kpis
from meter2cash.collection.gl import CHANNEL_NAMES_ZH
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.codes import ZH_NAMES

CHANNEL_NAMES = {channel.value: f"{name} {channel.value}" for channel, name in CHANNEL_NAMES_ZH.items()}


def collect_kpis(
    period: str = typer.Option(..., "--period", help="Billing period YYYY-MM."),
    top: int = typer.Option(
        DEFAULT_TOP, "--top", min=0, max=MAX_TOP, help="How many top debtors to list (0–1000)."
    ),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """收费指标 电费回收率 (period and year to date), arrears aging, late fees, payments by channel,
    top debtors."""
    with cli_errors(as_json=as_json):
        kpis = collection_kpis(context(), actor=as_user, period=period, top=top)
    if as_json:
        print_json(kpis.as_json())
        return
    _show(kpis)


def _pct(value: object) -> str:
    return "-" if value is None else f"{value}%"


def _show(kpis: CollectionKpis) -> None:
    data = kpis.as_json()
    if kpis.unposted.bills:
        console.print(
            _(
                "{bills} issued bills ({amount} yuan) are not yet posted to the ledger and not counted: "
                "run m2c collect post"
            ).format(bills=kpis.unposted.bills, amount=kpis.unposted.amount),
            style="yellow",
            highlight=False,
        )
    _recovery(kpis)
    _aging(kpis)
    _month(kpis, data)
    _debtors(kpis)


def _recovery(kpis: CollectionKpis) -> None:
    table = Table(
        _("KPI"),
        _("Amount issued"),
        _("Amount collected"),
        _("Written off"),
        _("Outstanding"),
        _("Recovery rate"),
        title=_("Collection KPIs of {period} (today {today})").format(
            period=kpis.period, today=kpis.today.isoformat()
        ),
    )
    period, ytd = kpis.recovery, kpis.year_to_date
    table.add_row(
        _("Bills of {period} ({bills})").format(period=kpis.period, bills=period.bills),
        str(period.issued),
        str(period.collected),
        str(period.written_off),
        str(period.outstanding),
        _pct(kpis.recovery_rate_pct),
    )
    table.add_row(
        "  " + _("by {day} (the month after)").format(day=kpis.window_ends_on.isoformat()),
        "",
        str(kpis.window_collected),
        "",
        "",
        _pct(kpis.window_recovery_rate_pct),
    )
    table.add_row(
        _("Year to date {first}–{last} ({bills})").format(
            first=f"{kpis.period[:4]}-01", last=kpis.period, bills=ytd.bills
        ),
        str(ytd.issued),
        str(ytd.collected),
        str(ytd.written_off),
        str(ytd.outstanding),
        _pct(kpis.year_to_date_rate_pct),
    )
    console.print(table)


def _aging(kpis: CollectionKpis) -> None:
    aging = kpis.aging
    table = Table(
        _("Days past due"),
        _("Open bills"),
        _("Principal owed"),
        title=_("Arrears aging as of {day}").format(day=kpis.as_of.isoformat()),
    )
    table.add_row(_("Not yet due"), str(aging.current_items), str(aging.current))
    for bucket in aging.buckets:
        label = (
            _("over {days}").format(days=bucket.min_days - 1)
            if bucket.max_days is None
            else f"{bucket.min_days}–{bucket.max_days}"
        )
        table.add_row(label, str(bucket.items), str(bucket.amount))
    table.add_row(_("Total"), str(aging.items), str(aging.total))
    table.add_row(_("Late fees owed"), "", str(kpis.late_fees_owed))
    console.print(table)


def _month(kpis: CollectionKpis, data: dict[str, object]) -> None:
    month = kpis.month
    table = Table(
        _("KPI"),
        _("Value"),
        title=_("The month {first} to {last}").format(
            first=month.first_day.isoformat(), last=month.last_day.isoformat()
        ),
    )
    table.add_row(_("Principal collected"), str(month.principal_collected))
    table.add_row(_("Late fees charged"), str(month.late_fees_charged))
    table.add_row(_("Late fees collected"), str(month.late_fees_collected))
    table.add_row(_("Late fees waived"), str(month.late_fees_waived))
    table.add_row(_("Written off"), str(month.written_off))
    for channel, row in kpis.payments.items():
        name = CHANNEL_NAMES.get(channel, channel)
        shown = _("{count} payments, {amount} yuan").format(count=row.payments, amount=row.amount)
        if row.reversed_payments:
            shown += " " + _("({count} reversed, {amount} yuan)").format(
                count=row.reversed_payments, amount=row.reversed_amount
            )
        table.add_row(_("Payments: {channel}").format(channel=name), shown)
    payments = data["payments"]
    assert isinstance(payments, dict)
    table.add_row(
        _("Payments: all channels"),
        _("{count} payments, {amount} yuan").format(count=payments["payments"], amount=payments["amount"]),
    )
    console.print(table)


def _debtors(kpis: CollectionKpis) -> None:
    if kpis.top == 0:
        return
    table = Table(
        _("Account"),
        _("Customer"),
        _("Class"),
        _("Principal owed"),
        _("Late fees owed"),
        _("Oldest due date"),
        _("Days past due"),
        title=_("Top {top} debtors as of {day}").format(top=kpis.top, day=kpis.as_of.isoformat()),
    )
    for row in kpis.top_debtors:
        table.add_row(
            row.account_no,
            row.customer_name,
            ZH_NAMES.get(row.category, row.category),
            str(row.principal),
            str(row.late_fees),
            row.oldest_due_on.isoformat(),
            str(row.days_overdue),
        )
    console.print(table)
