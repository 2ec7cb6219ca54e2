"""Bill runs (电费计算批次): price every account of a period whose determinants are closed.

``run_bills`` prices the accounts in chunks; each chunk is one transaction with its bills, their
lines, the accounts it could not price and its audit record, so a run interrupted at any point
resumes where it stopped. Re-running changes nothing: an account whose draft bill was priced from
its current determinant is left alone (``reprice`` prices drafts again, e.g. after an archive
change). Flagged and rejected bills are priced again like drafts (their review findings go with
them, and the new draft is reviewed again); approved and issued bills are never touched.
Accounts that cannot be priced (no tariff, no closed determinant, a rule that cannot apply) are
listed with the reason; the rest go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import QUANTITY, REPRICEABLE_STATES, Bill, BillRun, BillRunIssue
from meter2cash.billing.bill_store import allocate_bill_ids, remove_drafts, write
from meter2cash.billing.bills import PricedAccounts, price_job
from meter2cash.billing.fixed_point import QTY
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.run_inputs import RunInputs, TariffBook, candidates, load_inputs
from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.permissions import Action
from meter2cash.reading.plans import route_books
from meter2cash.registry.model import Account

Progress = Callable[[int, int], None]
CHUNK = 20000
_Q = 10**QUANTITY.scale


@dataclass
class RunReport:
    run_id: int
    period: str
    scope: str
    accounts: int = 0
    priced: int = 0
    unchanged: int = 0
    unpriced: dict[str, str] = field(default_factory=dict)  # account no → reason
    revenue_by_category: dict[str, str] = field(default_factory=dict)  # this call's priced bills

    def as_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "period": self.period,
            "scope": self.scope,
            "accounts": self.accounts,
            "priced": self.priced,
            "unchanged": self.unchanged,
            "unpriced": [{"account_no": a, "reason": r} for a, r in sorted(self.unpriced.items())],
            "revenue_by_category": self.revenue_by_category,
        }


def _check_period(period: str) -> None:
    try:
        year, month = period.split("-")
        date(int(year), int(month), 1)
    except ValueError:
        raise InputRefused(f"账期格式应为 YYYY-MM: {period}") from None


def run_bills(
    ctx: AppContext,
    *,
    actor: str | None,
    period: str,
    route_book: str | None = None,
    reprice: bool = False,
    chunk_size: int = CHUNK,
    progress: Progress | None = None,
) -> RunReport:
    """Price the period's accounts (of one route book, or all) into draft bills."""
    _check_period(period)
    scope = route_book or "*"
    with use_case(ctx, actor=actor, action=Action.BILL_RUN) as (session, who):
        books = route_books(session, route_book)
        run = session.scalar(select(BillRun).where(BillRun.period == period, BillRun.scope == scope))
        now = ctx.clock.now()
        if run is None:
            run = BillRun(
                period=period,
                scope=scope,
                state="running",
                started_by=who.username,
                started_at=now.isoformat(),
                priced=0,
                unpriced=0,
                unchanged=0,
            )
            session.add(run)
            session.flush()
            record_audit(
                session,
                at=now,
                actor=who.username,
                action="bill.run.start",
                object_type="bill_run",
                object_id=str(run.id),
                after={"period": period, "scope": scope},
            )
        else:
            run.state = "running"
        run_id = run.id
        accounts = list(
            session.execute(
                select(Account.id, Account.account_no, Account.status)
                .where(Account.route_book_id.in_([b.id for b in books]))
                .order_by(Account.id)
            )
        )
        numbers = {a.id: a.account_no for a in accounts}
        found = {
            c.account_id: c.determinant_id
            for c in candidates(session, period=period, route_book_ids=[b.id for b in books])
        }
        existing = {
            b.account_id: (b.id, b.determinant_id, b.state)
            for b in session.execute(
                select(Bill.account_id, Bill.id, Bill.determinant_id, Bill.state)
                .join(Account, Account.id == Bill.account_id)
                .where(
                    Bill.period == period,
                    Bill.kind == "regular",
                    Account.route_book_id.in_([b.id for b in books]),
                )
            )
        }
        missing = [a.id for a in accounts if a.id not in found and a.status == "active"]
        _replace_issues(
            session,
            run_id=run_id,
            account_ids=missing,
            reason="没有本期已结算的计费电量（抄表未完成或未结算）",
        )
    report = RunReport(run_id=run_id, period=period, scope=scope, accounts=len(accounts))
    report.unpriced.update({numbers[a]: "没有本期已结算的计费电量（抄表未完成或未结算）" for a in missing})
    todo: list[int] = []
    for account_id, determinant_id in found.items():
        current = existing.get(account_id)
        if current is not None and (
            current[2] not in REPRICEABLE_STATES or (current[1] == determinant_id and not reprice)
        ):
            report.unchanged += 1
            continue
        todo.append(account_id)
    todo.sort()
    revenue: dict[str, int] = {}
    done = 0
    if progress:
        progress(0, len(todo))
    for start in range(0, len(todo), chunk_size):
        chunk = todo[start : start + chunk_size]
        _price_chunk(
            ctx,
            actor=actor,
            run_id=run_id,
            period=period,
            account_ids=chunk,
            stale=[existing[a][0] for a in chunk if a in existing],
            report=report,
            numbers=numbers,
            revenue=revenue,
        )
        done += len(chunk)
        if progress:
            progress(done, len(todo))
    with use_case(ctx, actor=actor, action=Action.BILL_RUN) as (session, who):
        run = session.get(BillRun, run_id)
        assert run is not None
        run.state = "done"
        run.finished_at = ctx.clock.now().isoformat()
        run.priced = int(session.scalar(select(func.count(Bill.id)).where(Bill.run_id == run_id)) or 0)
        run.unpriced = int(
            session.scalar(select(func.count(BillRunIssue.id)).where(BillRunIssue.run_id == run_id)) or 0
        )
        run.unchanged = report.unchanged
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="bill.run.finish",
            object_type="bill_run",
            object_id=str(run_id),
            after={
                "period": period,
                "scope": scope,
                "priced": report.priced,
                "unchanged": report.unchanged,
                "unpriced": len(report.unpriced),
            },
        )
    report.revenue_by_category = {k: _fen_text(v) for k, v in sorted(revenue.items())}
    return report


def _fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _replace_issues(
    session: Session, *, run_id: int, account_ids: Sequence[int], reason: str | dict[int, str]
) -> None:
    if not account_ids:
        return
    for start in range(0, len(account_ids), 20000):
        chunk = list(account_ids[start : start + 20000])
        session.execute(
            delete(BillRunIssue).where(BillRunIssue.run_id == run_id, BillRunIssue.account_id.in_(chunk))
        )
    session.add_all(
        BillRunIssue(run_id=run_id, account_id=a, reason=reason if isinstance(reason, str) else reason[a])
        for a in account_ids
    )
    session.flush()


def _price_chunk(
    ctx: AppContext,
    *,
    actor: str | None,
    run_id: int,
    period: str,
    account_ids: list[int],
    stale: list[int],
    report: RunReport,
    numbers: dict[int, str],
    revenue: dict[str, int],
) -> None:
    with use_case(ctx, actor=actor, action=Action.BILL_RUN) as (session, who):
        book = TariffBook(session)
        inputs = load_inputs(session, period=period, account_ids=account_ids, book=book)
        priced = price_job(job=inputs.job, tariffs=book.by_version, pf_tables=official_tables())
        failed = dict(inputs.unpriceable)
        for index, reason in enumerate(priced.errors):
            if reason:
                failed[inputs.account_ids[index]] = str(reason)
        session.execute(
            delete(BillRunIssue).where(
                BillRunIssue.run_id == run_id, BillRunIssue.account_id.in_(account_ids)
            )
        )
        remove_drafts(session, bill_ids=stale)
        bills, lines, totals = _rows(
            inputs,
            priced,
            failed,
            run_id=run_id,
            period=period,
            who=who.username,
            at=ctx.clock.now().isoformat(),
        )
        ids = allocate_bill_ids(session, len(bills))
        bills = [(ids[i], *b[1:]) for i, b in enumerate(bills)]
        write(session, bills=bills, lines=((ids[int(str(line[0]))], *line[1:]) for line in lines))
        if failed:
            session.add_all(BillRunIssue(run_id=run_id, account_id=a, reason=r) for a, r in failed.items())
        categories = inputs.job.usage.categories
        for index, total in totals:
            category = str(categories[index])
            revenue[category] = revenue.get(category, 0) + total
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="bill.run.price",
            object_type="bill_run",
            object_id=str(run_id),
            after={
                "period": period,
                "bills": len(bills),
                "first_bill_id": ids[0] if ids else None,
                "last_bill_id": ids[-1] if ids else None,
                "unpriced": len(failed),
                "replaced_drafts": len(stale),
                "total": _fen_text(sum(t for _, t in totals)),
            },
        )
    report.priced += len(bills)
    report.unpriced.update({numbers[a]: r for a, r in failed.items()})


def _rows(
    inputs: RunInputs,
    priced: PricedAccounts,
    failed: dict[int, str],
    *,
    run_id: int,
    period: str,
    who: str,
    at: str,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[int, int]]]:
    """Bill rows (with positional ids from 0) and line rows (bill position first)."""
    bills: list[tuple[object, ...]] = []
    lines: list[tuple[object, ...]] = []
    totals: list[tuple[int, int]] = []
    positions: dict[int, int] = {}
    for index, account_id in enumerate(inputs.account_ids):
        if account_id in failed:
            continue
        positions[index] = len(bills)
        total = int(priced.totals[index])
        totals.append((index, total))
        factor = priced.power_factors[index]
        percent = priced.pf_percents[index]
        bills.append(
            (
                len(bills),
                account_id,
                period,
                "regular",
                "draft",
                run_id,
                inputs.determinant_ids[index],
                inputs.main_versions[index],
                inputs.starts[index],
                inputs.ends[index],
                inputs.kwh[index] * (_Q // QTY),
                total,
                factor,
                percent,
                inputs.qualities[index],
                who,
                at,
            )
        )
    seq = 0
    previous = -1
    for owner, code, label, quantity, unit, unit_price, amount, rule, version in priced.storage_rows(
        quantity_scale=_Q
    ):
        position = positions.get(owner)
        if position is None:
            continue
        seq = seq + 1 if owner == previous else 1
        previous = owner
        lines.append((position, seq, code, label, quantity, unit, unit_price, amount, rule, version))
    return bills, lines, totals
