"""Checking a batch of payments before anything is written (the batch form of the refusals of
`payments.check_request` and `payments.record_payment`).

A batch is refused whole, every problem listed with its row (rows count from 1), when:

- the channel is the counter (counter payments are taken one by one, each with its receipt), the
  source is not one the policy knows for the channel, or the batch name is empty or too long;
- a row's account number is unknown, or its account is not active (closed accounts take nothing);
- a row's amount is not an exact, positive number of whole fen;
- a row's payment day is in the future or in a closed collection month (``collection_close``);
- a row has no channel reference, or the same reference as an earlier row of the batch;
- a row's reference was already used on this channel and source by a payment of another account
  or amount (a conflict, as `payments.replay_payment` refuses it).

A row whose reference was already used by the same account and amount is a replay: it is skipped
and reported, not refused (a re-imported file posts nothing twice). Like a single payment, a replay
is recognised before the account's status and the month are looked at.

The accounts are locked while they are read (``SELECT … ORDER BY id FOR UPDATE`` on PostgreSQL, the
same rows a single payment locks, so the two serialise; SQLite's write lock otherwise), and the
replays are looked up after the lock, so a file imported twice at once posts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Integer, select, text
from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.batch_sql import fen_sql, is_postgres, key_table
from meter2cash.collection.collection_policy import CollectionPolicy
from meter2cash.collection.ledger_model import CollectionClose
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import round_fen

MAX_REF = 64  # payment.channel_ref
MAX_BATCH = 60  # payment.batch holds 80; the ledger source `batch:<source>:<batch>:<n>` 120


class BatchRefused(InputRefused):
    """A batch of payments refused whole; ``problems`` names every bad row. Nothing was written."""


@dataclass(frozen=True, slots=True)
class BatchPayment:
    """One payment of a batch: a bank withholding result line, an agent's settlement line."""

    account_no: str
    amount: Decimal
    paid_on: date
    channel_ref: str


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    status: str
    category: str


@dataclass(frozen=True, slots=True)
class Existing:
    payment_id: int
    account_id: int
    fen: int


def check_batch(*, batch: str, channel: gl.Channel, source: str, policy: CollectionPolicy) -> None:
    """The refusals that concern the whole batch, not a row."""
    if channel is gl.Channel.COUNTER:
        raise BatchRefused(_("Counter payments are taken one by one, each with its receipt; not in a batch."))
    if source not in policy.sources(channel):
        known = ", ".join(sorted(policy.sources(channel)))
        raise BatchRefused(
            _("{source} is not a known source for {channel} payments (known: {known}).").format(
                source=source, channel=channel.value, known=known
            )
        )
    if not batch.strip() or len(batch) > MAX_BATCH:
        raise BatchRefused(_("A batch needs a name of 1 to {n} characters.").format(n=MAX_BATCH))


def row_problems(*, rows: Sequence[BatchPayment], today: date) -> tuple[list[Problem], list[int]]:
    """The refusals that need no database; returns the problems and each row's amount in fen
    (0 where the amount is refused)."""
    problems: list[Problem] = []
    fen: list[int] = []
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows, 1):
        fen.append(_amount_fen(row.amount, number, problems))
        if row.paid_on > today:
            problems.append(
                Problem(_("The payment day is in the future."), number, "paid_on", row.paid_on.isoformat())
            )
        ref = row.channel_ref
        if not ref or len(ref) > MAX_REF:
            problems.append(
                Problem(
                    _("A payment needs a channel reference of 1 to 64 characters."),
                    number,
                    "channel_ref",
                    ref,
                )
            )
        elif ref in first_row:
            problems.append(
                Problem(
                    _("The same channel reference is in row {row}.").format(row=first_row[ref]),
                    number,
                    "channel_ref",
                    ref,
                )
            )
        else:
            first_row[ref] = number
    return problems, fen


def _amount_fen(amount: object, number: int, problems: list[Problem]) -> int:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        problems.append(
            Problem(_("The amount must be an exact number of yuan."), number, "amount", str(amount))
        )
    elif amount <= 0:
        problems.append(Problem(_("The amount must be more than zero."), number, "amount", str(amount)))
    elif round_fen(amount) != amount:
        problems.append(
            Problem(_("The amount must be in whole fen (0.01 yuan)."), number, "amount", str(amount))
        )
    else:
        return int(amount.scaleb(2))
    return 0


def lock_accounts(session: Session, *, account_nos: Sequence[str]) -> dict[str, AccountRow]:
    """The accounts of the batch by number, locked in id order."""
    table = key_table(session, name="m2c_batch_nos", column="account_no", sql_type="TEXT", keys=account_nos)
    lock = " FOR UPDATE OF a" if is_postgres(session) else ""
    rows = session.execute(
        text(
            "SELECT a.account_no, a.id, a.status, a.category FROM account a "
            f"JOIN {table} k ON k.account_no = a.account_no ORDER BY a.id{lock}"
        )
    ).all()
    return {account_no: AccountRow(id_, status, category) for account_no, id_, status, category in rows}


def existing_payments(
    session: Session, *, channel: gl.Channel, source: str, refs: Sequence[str]
) -> dict[str, Existing]:
    """Payments already taken on this channel and source with the batch's references."""
    table = key_table(session, name="m2c_batch_refs", column="channel_ref", sql_type="TEXT", keys=refs)
    rows = session.execute(
        text(
            f"SELECT p.channel_ref, p.id, p.account_id, {fen_sql(session, 'p.amount')} AS fen "
            f"FROM payment p JOIN {table} k ON k.channel_ref = p.channel_ref "
            "WHERE p.channel = :channel AND p.source = :source"
        ).columns(fen=Integer),
        {"channel": channel.value, "source": source},
    ).all()
    return {ref: Existing(payment_id, account_id, fen) for ref, payment_id, account_id, fen in rows}


def closed_months(session: Session) -> set[str]:
    return set(session.scalars(select(CollectionClose.period)))


def database_problems(
    *,
    rows: Sequence[BatchPayment],
    fen: Sequence[int],
    accounts: dict[str, AccountRow],
    existing: dict[str, Existing],
    closed: set[str],
) -> tuple[list[Problem], list[int]]:
    """The refusals that need the accounts, the payments already taken and the closed months;
    returns them and the rows to post (the positions of those that are not replays)."""
    problems: list[Problem] = []
    fresh: list[int] = []
    for position, row in enumerate(rows):
        number = position + 1
        account = accounts.get(row.account_no)
        if account is None:
            problems.append(
                Problem(
                    _("No account {account_no}.").format(account_no=row.account_no),
                    number,
                    "account_no",
                    row.account_no,
                )
            )
            continue
        seen = existing.get(row.channel_ref)
        if seen is not None:
            if seen.account_id != account.id or seen.fen != fen[position]:
                problems.append(
                    Problem(
                        _(
                            "Duplicate payment: reference already used by payment {id} with a different "
                            "account or amount."
                        ).format(id=seen.payment_id),
                        number,
                        "channel_ref",
                        row.channel_ref,
                    )
                )
            continue
        if account.status != "active":
            problems.append(
                Problem(
                    _("Account {account_no} is {status}; it takes no payments.").format(
                        account_no=row.account_no, status=account.status
                    ),
                    number,
                    "account_no",
                    row.account_no,
                )
            )
        if f"{row.paid_on.year:04d}-{row.paid_on.month:02d}" in closed:
            problems.append(
                Problem(
                    _("The collection month of this day is closed."),
                    number,
                    "paid_on",
                    row.paid_on.isoformat(),
                )
            )
        fresh.append(position)
    return problems, fresh
