"""Collection KPIs (收费指标) of a billing period, from the receivables ledger only. Read-only.

Definitions (docs/collection-kpis.md); P is a billing period ``YYYY-MM``, *today* the clock's
business day:

- **Issued** for P (应收电费): the ``bill`` postings to 应收电费 of the receivables whose period is
  P (a 退补 back-billing bill's period is its issue month; a refund bill is a credit, not issued).
- **Collected** for P (实收电费): the credits to those receivables' principal by payments and by
  prepayment applied (预收冲抵), less reversals (冲正) — never write-offs or waivers — dated up to
  today; and **within the window**, dated up to the last day of the month after P.
- **电费回收率** = collected ÷ issued, for P and year to date (every period of P's year up to P).
- **Aging** (欠费账龄) as of the end of P, or today while P is the current month: each bill's
  principal owed that day, by days past its due date (`aging`); the late fees owed that day.
- **The month** (the calendar month P, up to the as-of day): principal collected on any bill,
  late fees charged, collected, waived, and principal written off (坏账核销).
- **Payments by channel** paid in the month: count and amount, reversed ones apart.
- **Top debtors** (欠费大户) as of the as-of day: the accounts owing the most principal that is due.

Bills issued but not yet posted to the ledger (``m2c collect post``) are not in any figure; they
are counted under ``unposted_bills``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from meter2cash.billing.review import check_period
from meter2cash.collection import collection_kpi_queries as queries
from meter2cash.collection import gl
from meter2cash.collection.aging import (
    DEFAULT_AGING,
    Aging,
    AgingPolicy,
    OpenAmount,
    age,
    days_overdue,
    recovery_rate,
)
from meter2cash.collection.collection_kpi_queries import (
    ChannelTotals,
    Debtor,
    PeriodMovements,
    Unposted,
)
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import require, resolve_actor
from meter2cash.reading.schedule import parse_period

ZERO = Decimal("0.00")
DEFAULT_TOP = 10
MAX_TOP = 1000
REPORT_WORK_MEM = "64MB"  # PostgreSQL: per report transaction (SET LOCAL)


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class MonthActivity:
    """Ledger movements dated in the month, on any bill."""

    first_day: date
    last_day: date
    principal_collected: Decimal = ZERO
    late_fees_charged: Decimal = ZERO
    late_fees_collected: Decimal = ZERO
    late_fees_waived: Decimal = ZERO
    written_off: Decimal = ZERO

    def as_json(self) -> dict[str, object]:
        return {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "principal_collected": str(self.principal_collected),
            "late_fees_charged": str(self.late_fees_charged),
            "late_fees_collected": str(self.late_fees_collected),
            "late_fees_waived": str(self.late_fees_waived),
            "written_off": str(self.written_off),
        }


@dataclass
class CollectionKpis:
    period: str
    today: date
    as_of: date  # aging, top debtors and the month's activity: the end of P, or today
    window_ends_on: date
    recovery: PeriodMovements
    window_collected: Decimal
    year_to_date: PeriodMovements
    aging: Aging
    late_fees_owed: Decimal
    month: MonthActivity
    payments: dict[str, ChannelTotals]
    top: int
    top_debtors: list[Debtor] = field(default_factory=list)
    unposted: Unposted = field(default_factory=Unposted)

    @property
    def recovery_rate_pct(self) -> Decimal | None:
        return recovery_rate(collected=self.recovery.collected, issued=self.recovery.issued)

    @property
    def window_recovery_rate_pct(self) -> Decimal | None:
        return recovery_rate(collected=self.window_collected, issued=self.recovery.issued)

    @property
    def year_to_date_rate_pct(self) -> Decimal | None:
        return recovery_rate(collected=self.year_to_date.collected, issued=self.year_to_date.issued)

    def as_json(self) -> dict[str, object]:
        year = self.period[:4]
        recovery = self.recovery
        ytd = self.year_to_date
        standing = self.payments.values()
        return {
            "period": self.period,
            "today": self.today.isoformat(),
            "unposted_bills": {
                "bills": self.unposted.bills,
                "amount": str(self.unposted.amount),
                "of_period": self.unposted.of_period,
            },
            "recovery": {
                "bills": recovery.bills,
                "issued": str(recovery.issued),
                "collected": str(recovery.collected),
                "written_off": str(recovery.written_off),
                "outstanding": str(recovery.outstanding),
                "recovery_rate_pct": _pct(self.recovery_rate_pct),
                "window": {
                    "ends_on": self.window_ends_on.isoformat(),
                    "closed": self.window_ends_on < self.today,
                    "collected": str(self.window_collected),
                    "recovery_rate_pct": _pct(self.window_recovery_rate_pct),
                },
            },
            "year_to_date": {
                "first_period": f"{year}-01",
                "last_period": self.period,
                "bills": ytd.bills,
                "issued": str(ytd.issued),
                "collected": str(ytd.collected),
                "written_off": str(ytd.written_off),
                "outstanding": str(ytd.outstanding),
                "recovery_rate_pct": _pct(self.year_to_date_rate_pct),
            },
            "aging": {
                "as_of": self.as_of.isoformat(),
                "principal": str(self.aging.total),
                "bills": self.aging.items,
                "current": {"amount": str(self.aging.current), "bills": self.aging.current_items},
                "overdue": str(self.aging.overdue),
                "buckets": [bucket.as_json() for bucket in self.aging.buckets],
                "late_fees": str(self.late_fees_owed),
            },
            "month": self.month.as_json(),
            "payments": {
                "payments": sum(row.payments for row in standing),
                "amount": str(sum((row.amount for row in standing), ZERO)),
                "reversed_payments": sum(row.reversed_payments for row in standing),
                "reversed_amount": str(sum((row.reversed_amount for row in standing), ZERO)),
                "by_channel": {channel: row.as_json() for channel, row in self.payments.items()},
            },
            "top_debtors": {"top": self.top, "accounts": [row.as_json() for row in self.top_debtors]},
        }


def collection_kpis(
    ctx: AppContext,
    *,
    actor: str | None,
    period: str,
    top: int = DEFAULT_TOP,
    policy: AgingPolicy = DEFAULT_AGING,
) -> CollectionKpis:
    """The collection KPIs of billing period ``period`` as of today (needs ``ledger.read``).
    A period after the current month, or ``top`` outside 0–1000, is refused."""
    check_period(period)
    if not 0 <= top <= MAX_TOP:
        raise InputRefused(_("--top must be from 0 to {most}, got {top}.").format(most=MAX_TOP, top=top))
    today = business_date(ctx.clock.now())
    year, month = parse_period(period)
    if (year, month) > (today.year, today.month):
        raise InputRefused(_("The period {period} has not begun yet.").format(period=period))
    with ctx.sessions() as session:
        _begin_snapshot(session, dialect=ctx.engine.dialect.name)
        try:
            require(resolve_actor(session, username=actor), Action.LEDGER_READ)
            return _compute(session, period=period, today=today, top=top, policy=policy)
        finally:
            session.rollback()


def _begin_snapshot(session: Session, *, dialect: str) -> None:
    """One snapshot for every figure: REPEATABLE READ on PostgreSQL (SQLite's transaction already
    is one). On PostgreSQL the report's grouping gets enough memory not to spill to disk, for this
    transaction only."""
    if dialect == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
    else:
        session.connection()


def _compute(session: Session, *, period: str, today: date, top: int, policy: AgingPolicy) -> CollectionKpis:
    year, month = parse_period(period)
    first_day = date(year, month, 1)
    as_of = min(_last_day(year, month), today)
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    window_ends_on = _last_day(next_year, next_month)
    movements = queries.receivable_movements(session, first_period=f"{year:04d}-01", last_period=period)
    of_period = [row for row in movements if row.period == period]
    bills = queries.open_bills(session, as_of=as_of)
    by_due_date: dict[date, tuple[int, Decimal]] = {}
    for bill in bills:
        count, amount = by_due_date.get(bill.due_on, (0, ZERO))
        by_due_date[bill.due_on] = (count + 1, amount + bill.owed)
    return CollectionKpis(
        period=period,
        today=today,
        as_of=as_of,
        window_ends_on=window_ends_on,
        recovery=queries.add_up(of_period, through=today),
        window_collected=queries.add_up(of_period, through=min(window_ends_on, today)).collected,
        year_to_date=queries.add_up(movements, through=today),
        aging=age(
            items=[
                OpenAmount(days_overdue=days_overdue(due_on=due_on, as_of=as_of), amount=amount, items=count)
                for due_on, (count, amount) in by_due_date.items()
            ],
            policy=policy,
        ),
        late_fees_owed=queries.late_fees_owed(session, as_of=as_of),
        month=_month(session, first_day=first_day, last_day=as_of),
        payments=queries.payments_by_channel(session, start=first_day, end=as_of),
        top=top,
        top_debtors=queries.top_debtors(session, bills=bills, as_of=as_of, limit=top),
        unposted=queries.unposted_bills(session, period=period),
    )


def _month(session: Session, *, first_day: date, last_day: date) -> MonthActivity:
    sums = queries.month_movements(session, start=first_day, end=last_day)

    def total(kinds: tuple[str, ...], code: str) -> Decimal:
        return sum((sums.get((kind, code), ZERO) for kind in kinds), ZERO)

    return MonthActivity(
        first_day=first_day,
        last_day=last_day,
        principal_collected=-total(queries.COLLECTING, gl.RECEIVABLE),
        late_fees_charged=total((queries.LATE_FEE,), gl.LATE_FEE_RECEIVABLE),
        late_fees_collected=-total(queries.COLLECTING, gl.LATE_FEE_RECEIVABLE),
        late_fees_waived=-total((queries.WAIVER,), gl.LATE_FEE_RECEIVABLE),
        written_off=-total((queries.WRITE_OFF,), gl.RECEIVABLE),
    )
