"""Posting a batch of payments (批量销账): a bank's withholding result (代扣回盘), an agent's settlement
file — the column-wise equivalent of `payments.record_payment` for each row, with the same rules,
in one unit of work (docs/payments.md, docs/decisions/0009-ledger.md):

1. the whole batch is checked first and refused whole, every bad row named (`batch_checks`);
   nothing is written;
2. rows whose channel reference was already taken on this channel and source are replays: skipped
   and reported, so a re-imported file posts nothing twice;
3. the batch's accounts are locked (PostgreSQL ``FOR UPDATE`` in id order — the rows a single
   payment locks, so the two serialise; SQLite's write lock);
4. the accounts' issued bills not yet posted are posted, then their prepayment applied
   (`batch_posting`), and each account's late fees are accrued through its payment day
   (`batch_accrual`);
5. each payment is allocated oldest debt first, the policy's order within a bill, the rest to
   prepayment (`batch_allocation`, the rule of `allocation`);
6. the payments and their ledger lines are written in bulk (`batch_writes`: every line carries its
   payment's id, each payment's lines balance, grouped into ``payment`` transactions of up to
   10,000 payments of one day), and one audit record tells the batch's counts and totals.

An account with several payments in one batch takes them in file order: the batch runs in rounds,
the n-th payment of every account in round n, each round on the ledger the one before wrote — what
single payments in file order would do.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.batch_accrual import accrue_through_payment_days, with_charges
from meter2cash.collection.batch_allocation import allocate_payments
from meter2cash.collection.batch_checks import (
    AccountRow,
    BatchPayment,
    BatchRefused,
    check_batch,
    closed_months,
    database_problems,
    existing_payments,
    lock_accounts,
    row_problems,
)
from meter2cash.collection.batch_posting import post_account_bills, yuan
from meter2cash.collection.batch_reads import Item, open_items
from meter2cash.collection.batch_sql import key_table
from meter2cash.collection.batch_writes import BatchHeader, chunks_written, write_payments
from meter2cash.collection.collection_policy import CollectionPolicy
from meter2cash.collection.late_fee_policy import LateFeePolicy
from meter2cash.platform.audit import record_audit
from meter2cash.platform.i18n import gettext as _

__all__ = ["BatchPayment", "BatchRefused", "BatchReport", "post_payment_batch"]

Progress = Callable[[int, int], None]


@dataclass
class BatchReport:
    batch: str
    channel: str
    source: str
    rows: int = 0
    posted: int = 0
    replayed: int = 0
    replayed_rows: list[int] = field(default_factory=list)
    amount: Decimal = Decimal("0.00")  # posted
    settled: Decimal = Decimal("0.00")  # applied to bills and late fees
    prepayment: Decimal = Decimal("0.00")
    late_fees_charged: Decimal = Decimal("0.00")
    bills_posted: int = 0
    ledger_txns: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # wall time by phase (not in as_json)

    def timed(self, phase: str, started: float) -> float:
        """Add the time since ``started`` to ``phase``; returns now."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - started
        return now

    def as_json(self) -> dict[str, object]:
        return {
            "batch": self.batch,
            "channel": self.channel,
            "source": self.source,
            "rows": self.rows,
            "posted": self.posted,
            "replayed": self.replayed,
            "amount": str(self.amount),
            "settled": str(self.settled),
            "prepayment": str(self.prepayment),
            "late_fees_charged": str(self.late_fees_charged),
            "bills_posted": self.bills_posted,
            "ledger_txns": self.ledger_txns,
        }


def post_payment_batch(
    session: Session,
    *,
    batch: str,
    channel: gl.Channel,
    method: gl.Method,
    source: str,
    rows: Sequence[BatchPayment],
    policy: CollectionPolicy,
    late_fee_policy: LateFeePolicy,
    at: datetime,
    today: date,
    actor: str,
    progress: Progress | None = None,
) -> BatchReport:
    """Check, then post and allocate every row of the batch inside the caller's unit of work."""
    report = BatchReport(batch=batch, channel=channel.value, source=source, rows=len(rows))
    started = time.perf_counter()
    check_batch(batch=batch, channel=channel, source=source, policy=policy)
    problems, fen = row_problems(rows=rows, today=today)
    accounts = lock_accounts(session, account_nos=[row.account_no for row in rows])
    existing = existing_payments(
        session, channel=channel, source=source, refs=[row.channel_ref for row in rows]
    )
    more, fresh = database_problems(
        rows=rows, fen=fen, accounts=accounts, existing=existing, closed=closed_months(session)
    )
    problems += more
    if problems:
        problems.sort(key=lambda problem: problem.row or 0)
        raise BatchRefused(
            _("The batch {batch} was refused: {count} problems; nothing was posted.").format(
                batch=batch, count=len(problems)
            ),
            problems,
        )
    header = BatchHeader(batch, channel, method, source, at, today, actor)
    report.replayed_rows = sorted(set(range(1, len(rows) + 1)) - {position + 1 for position in fresh})
    report.replayed = len(report.replayed_rows)
    report.timed("checks", started)
    if fresh:
        _post(
            session,
            header=header,
            rows=rows,
            fen=fen,
            fresh=fresh,
            accounts=accounts,
            policy=policy,
            late_fee_policy=late_fee_policy,
            report=report,
            progress=progress,
        )
    started = time.perf_counter()
    record_audit(
        session,
        at=at,
        actor=actor,
        action="payment.batch",
        object_type="payment_batch",
        object_id=f"{channel.value}:{source}:{batch}",
        after={**report.as_json(), "replayed_rows": report.replayed_rows[:100]},
    )
    report.timed("audit", started)
    return report


def _post(
    session: Session,
    *,
    header: BatchHeader,
    rows: Sequence[BatchPayment],
    fen: Sequence[int],
    fresh: Sequence[int],
    accounts: dict[str, AccountRow],
    policy: CollectionPolicy,
    late_fee_policy: LateFeePolicy,
    report: BatchReport,
    progress: Progress | None,
) -> None:
    started = time.perf_counter()
    ids = [accounts[rows[p].account_no].id for p in fresh]
    categories = {account.id: account.category for account in accounts.values()}
    table = key_table(session, name="m2c_batch_accounts", column="id", sql_type="BIGINT", keys=ids)
    posting = post_account_bills(
        session,
        accounts=table,
        at=header.at,
        today=header.today,
        actor=header.actor,
        within_bill=policy.within_bill,
    )
    report.bills_posted = posting.bills
    started = report.timed("posting", started)
    rounds: list[list[int]] = []
    seen: dict[int, int] = defaultdict(int)
    for position, account in zip(fresh, ids, strict=True):
        if seen[account] == len(rounds):
            rounds.append([])
        rounds[seen[account]].append(position)
        seen[account] += 1
    chunk = chunks_written(session, header=header)
    clearing = gl.clearing(channel=header.channel, method=header.method, source=header.source)
    for positions in rounds:
        round_accounts = [accounts[rows[p].account_no].id for p in positions]
        through = {account: rows[p].paid_on for account, p in zip(round_accounts, positions, strict=True)}
        if len(rounds) > 1:
            table = key_table(
                session, name="m2c_batch_accounts", column="id", sql_type="BIGINT", keys=round_accounts
            )
        items = open_items(session, accounts=table)
        started = report.timed("reads", started)
        charges = accrue_through_payment_days(
            session,
            items=items,
            through=through,
            categories=categories,
            at=header.at,
            actor=header.actor,
            policy=late_fee_policy,
        )
        report.late_fees_charged += yuan(sum(charge.fen for charge in charges))
        started = report.timed("late_fees", started)
        owed: dict[int, list[Item]] = defaultdict(list)
        for item in with_charges(items, charges):
            owed[item.account_id].append(item)
        amounts = [fen[p] for p in positions]
        lines = allocate_payments(
            accounts=round_accounts,
            amounts=amounts,
            owed=owed,
            clearing=clearing,
            within_bill=policy.within_bill,
        )
        started = report.timed("allocation", started)
        _ids, txns = write_payments(
            session,
            header=header,
            accounts=round_accounts,
            amounts=amounts,
            paid_on=[rows[p].paid_on for p in positions],
            refs=[rows[p].channel_ref for p in positions],
            lines=lines,
            first_chunk=chunk,
        )
        started = report.timed("writes", started)
        chunk += txns
        report.ledger_txns += txns
        report.posted += len(positions)
        report.amount += yuan(sum(amounts))
        report.settled += yuan(lines.settled)
        report.prepayment += yuan(lines.prepayment)
        if progress is not None:
            progress(report.posted, len(fresh))
