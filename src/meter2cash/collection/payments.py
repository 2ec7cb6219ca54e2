"""Taking a payment (收费): one payment, on one channel, allocated and posted in one transaction.

`take_payment` does, in one unit of work (docs/payments.md):

1. refuses, with the reason, a payment of zero or less or not in whole fen, for an unknown or
   closed account, from a bank, agent or gateway the policy does not know, dated in the future or
   in a closed collection month, or with neither an idempotency key nor a channel reference;
2. **idempotency:** a payment whose idempotency key, or channel reference on the same channel and
   source, was seen before is not posted again — the first payment is returned (``replayed``);
   the same key with a different account or amount is refused as a conflict;
3. locks the account (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write lock), so concurrent
   payments on one account are allocated one after the other, never twice;
4. posts the account's issued bills not yet posted, then accrues its late fees through the
   payment day (`accrual`);
5. allocates the money, oldest debt first (`allocation`), the rest to prepayment (预收);
6. gives a counter payment the next receipt number of the year (收据号 ``SJYYYY-NNNNNNN``, gap-free);
7. writes the payment, its ledger transaction (debit the channel's clearing account, credit what it
   settles) and the audit record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.accrual import accrue_late_fees
from meter2cash.collection.allocation import ItemKind, allocate
from meter2cash.collection.collection_policy import CollectionPolicy
from meter2cash.collection.late_fee_policy import LateFeePolicy
from meter2cash.collection.ledger import Line, account_balance, open_items, post
from meter2cash.collection.ledger_model import CollectionClose, Payment, ReceiptNumber
from meter2cash.collection.posting import post_bills
from meter2cash.platform.audit import record_audit
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import round_fen
from meter2cash.registry.model import Account


class PaymentRefused(InputRefused):
    """A payment that cannot be taken; nothing was written. The message says why."""


class DuplicatePayment(PaymentRefused):
    """An idempotency key or channel reference already used by a payment of another account or
    amount (the API answers 409 Conflict)."""


@dataclass(frozen=True)
class PaymentRequest:
    account_no: str
    amount: Decimal
    channel: gl.Channel
    method: gl.Method
    source: str  # bank, agent or gateway code; "counter" at the counter
    paid_on: date
    idempotency_key: str | None = None
    channel_ref: str | None = None
    payer: str | None = None
    batch: str | None = None


@dataclass
class PaymentResult:
    payment_id: int
    account_no: str
    amount: Decimal
    channel: str
    paid_on: date
    receipt_no: str | None
    replayed: bool = False
    late_fees_charged: Decimal = Decimal("0.00")
    applied: list[dict[str, str]] = field(default_factory=list)
    prepayment: Decimal = Decimal("0.00")
    balance_after: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "payment_id": self.payment_id,
            "account_no": self.account_no,
            "amount": str(self.amount),
            "channel": self.channel,
            "paid_on": self.paid_on.isoformat(),
            "receipt_no": self.receipt_no,
            "replayed": self.replayed,
            "late_fees_charged": str(self.late_fees_charged),
            "applied": self.applied,
            "prepayment": str(self.prepayment),
            "balance_after": self.balance_after,
        }


def check_request(*, request: PaymentRequest, policy: CollectionPolicy, today: date) -> None:
    """The refusals that need no database (rule 1)."""
    amount = request.amount
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise PaymentRefused(_("The amount must be an exact number of yuan."))
    if amount <= 0:
        raise PaymentRefused(_("The amount must be more than zero, got {amount}.").format(amount=amount))
    if round_fen(amount) != amount:
        raise PaymentRefused(
            _("The amount must be in whole fen (0.01 yuan), got {amount}.").format(amount=amount)
        )
    if request.source not in policy.sources(request.channel):
        known = ", ".join(sorted(policy.sources(request.channel)))
        raise PaymentRefused(
            _("{source} is not a known source for {channel} payments (known: {known}).").format(
                source=request.source, channel=request.channel.value, known=known
            )
        )
    if not (request.idempotency_key or request.channel_ref):
        raise PaymentRefused(_("A payment needs an idempotency key or a channel reference."))
    if request.paid_on > today:
        raise PaymentRefused(
            _("The payment day {day} is in the future.").format(day=request.paid_on.isoformat())
        )


def period_closed(session: Session, *, day: date) -> bool:
    return session.get(CollectionClose, f"{day.year:04d}-{day.month:02d}") is not None


def lock_account(session: Session, *, account_no: str) -> Account:
    account = session.scalar(
        select(Account)
        .where(Account.account_no == account_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if account is None:
        raise NotFound(_("No account {account_no}.").format(account_no=account_no))
    return account


def find_existing(session: Session, *, request: PaymentRequest) -> Payment | None:
    if request.idempotency_key:
        found = session.scalar(select(Payment).where(Payment.idempotency_key == request.idempotency_key))
        if found is not None:
            return found
    if request.channel_ref:
        return session.scalar(
            select(Payment).where(
                Payment.channel == request.channel.value,
                Payment.source == request.source,
                Payment.channel_ref == request.channel_ref,
            )
        )
    return None


def next_receipt_no(session: Session, *, year: int) -> str:
    """The next receipt number of the year, from a locked counter: gap-free (收据连号)."""
    upsert = (
        "INSERT INTO receipt_number (year, last_no) VALUES (:year, 0) ON CONFLICT (year) DO NOTHING"
        if session.get_bind().dialect.name == "postgresql"
        else "INSERT OR IGNORE INTO receipt_number (year, last_no) VALUES (:year, 0)"
    )
    session.execute(text(upsert), {"year": year})
    counter = session.scalar(
        select(ReceiptNumber)
        .where(ReceiptNumber.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None
    counter.last_no += 1
    session.flush()
    return f"SJ{year:04d}-{counter.last_no:07d}"


def record_payment(
    session: Session,
    *,
    request: PaymentRequest,
    policy: CollectionPolicy,
    late_fee_policy: LateFeePolicy,
    at: datetime,
    today: date,
    actor: str,
) -> PaymentResult:
    """Rules 2–7 inside the caller's unit of work (the caller has checked rule 1)."""
    account = lock_account(session, account_no=request.account_no)
    existing = find_existing(session, request=request)
    if existing is not None:
        return replay_payment(session, existing=existing, request=request, account=account)
    if account.status != "active":
        raise PaymentRefused(
            _("Account {account_no} is {status}; it takes no payments.").format(
                account_no=account.account_no, status=account.status
            )
        )
    if period_closed(session, day=request.paid_on):
        raise PaymentRefused(
            _("The collection month of {day} is closed; date the payment in an open month.").format(
                day=request.paid_on.isoformat()
            )
        )
    post_bills(
        session, at=at, today=today, actor=actor, within_bill=policy.within_bill, account_id=account.id
    )
    fees = accrue_late_fees(
        session, through=request.paid_on, at=at, actor=actor, policy=late_fee_policy, account_id=account.id
    )
    allocation = allocate(
        amount=request.amount,
        items=open_items(session, account_id=account.id),
        within_bill=policy.within_bill,
    )
    receipt_no = next_receipt_no(session, year=today.year) if request.channel is gl.Channel.COUNTER else None
    payment_id = session.scalar(
        insert(Payment)
        .values(
            account_id=account.id,
            channel=request.channel.value,
            method=request.method.value,
            source=request.source,
            amount=request.amount,
            paid_on=request.paid_on,
            received_at=at,
            received_on=today,
            channel_ref=request.channel_ref,
            idempotency_key=request.idempotency_key,
            receipt_no=receipt_no,
            batch=request.batch,
            actor=actor,
            payer=request.payer,
        )
        .returning(Payment.id)
    )
    assert payment_id is not None
    clearing = gl.clearing(channel=request.channel, method=request.method, source=request.source)
    lines = [Line(clearing, request.amount, account.id, None, payment_id)]
    applied = []
    for part in allocation.applied:
        code = gl.RECEIVABLE if part.item.kind is ItemKind.PRINCIPAL else gl.LATE_FEE_RECEIVABLE
        lines.append(Line(code, -part.amount, account.id, part.item.receivable_id, payment_id))
        applied.append(
            {"bill_no": part.item.bill_no, "kind": part.item.kind.value, "amount": str(part.amount)}
        )
    if allocation.prepayment > 0:
        lines.append(Line(gl.PREPAYMENT, -allocation.prepayment, account.id, None, payment_id))
    post(
        session,
        kind="payment",
        source=f"payment:{payment_id}",
        business_day=request.paid_on,
        at=at,
        actor=actor,
        lines=lines,
        batch=request.batch,
        memo=f"{gl.CHANNEL_NAMES_ZH[request.channel]} {request.source}",
    )
    balance = account_balance(session, account_id=account.id)
    result = PaymentResult(
        payment_id=payment_id,
        account_no=account.account_no,
        amount=request.amount,
        channel=request.channel.value,
        paid_on=request.paid_on,
        receipt_no=receipt_no,
        late_fees_charged=fees.total,
        applied=applied,
        prepayment=allocation.prepayment,
        balance_after=balance.as_json(),
    )
    record_audit(
        session,
        at=at,
        actor=actor,
        action="payment.take",
        object_type="payment",
        object_id=str(payment_id),
        after={
            **result.as_json(),
            "idempotency_key": request.idempotency_key,
            "channel_ref": request.channel_ref,
        },
    )
    return result


def replay_payment(
    session: Session, *, existing: Payment, request: PaymentRequest, account: Account
) -> PaymentResult:
    if existing.account_id != account.id or existing.amount != request.amount:
        raise DuplicatePayment(
            _(
                "Duplicate payment: key or reference already used by payment {id} ({amount} yuan) with a "
                "different account or amount; nothing was posted."
            ).format(id=existing.id, amount=existing.amount)
        )
    return PaymentResult(
        payment_id=existing.id,
        account_no=account.account_no,
        amount=existing.amount,
        channel=existing.channel,
        paid_on=existing.paid_on,
        receipt_no=existing.receipt_no,
        replayed=True,
        balance_after=account_balance(session, account_id=account.id).as_json(),
    )
