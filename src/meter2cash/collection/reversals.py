"""Reversal (冲正) of a payment: a cashier asks, a supervisor (主管) approves.

- Only a payment received today may be reversed (``reversal_same_day_only``, the default); later
  mistakes are put right by other means (a refund, a transfer), never by rewriting a day closed
  at the till.
- The request names the reason. The approver must hold ``payment.reverse_approve`` and is never
  the person who asked (four eyes, a CHECK in the database too).
- Approval posts the exact opposite of the payment's ledger transaction, dated today
  (``reversal:<payment id>``): the bills it settled are owed again, its prepayment is taken back.
  The payment row itself never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.collection.ledger import Line, post
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn, Payment, PaymentReversal
from meter2cash.collection.payments import PaymentRefused, period_closed
from meter2cash.collection.policies import collection_policy
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action


@dataclass(frozen=True)
class ReversalView:
    id: int
    payment_id: int
    state: str
    reason: str
    requested_by: str
    decided_by: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "payment_id": self.payment_id,
            "state": self.state,
            "reason": self.reason,
            "requested_by": self.requested_by,
            "decided_by": self.decided_by,
        }


def _view(row: PaymentReversal) -> ReversalView:
    return ReversalView(row.id, row.payment_id, row.state, row.reason, row.requested_by, row.decided_by)


def _payment(session: Session, *, payment: str) -> Payment:
    query = select(Payment)
    query = (
        query.where(Payment.id == int(payment))
        if payment.isdigit()
        else query.where(Payment.receipt_no == payment)
    )
    found = session.scalar(query)
    if found is None:
        raise NotFound(_("No payment {payment} (give its id or receipt number).").format(payment=payment))
    return found


def request_reversal(ctx: AppContext, *, actor: str | None, payment: str, reason: str) -> ReversalView:
    if not reason.strip():
        raise PaymentRefused(_("A reversal needs a reason."))
    now = ctx.clock.now()
    today = business_date(now)
    with use_case(ctx, actor=actor, action=Action.PAYMENT_REVERSE_REQUEST) as (session, who):
        paid = _payment(session, payment=payment)
        same_day = collection_policy(ctx.settings).reversal_same_day_only
        return open_reversal(
            session, paid=paid, reason=reason, actor=who.username, at=now, today=today, same_day_only=same_day
        )


def open_reversal(
    session: Session,
    *,
    paid: Payment,
    reason: str,
    actor: str,
    at: datetime,
    today: date,
    same_day_only: bool,
) -> ReversalView:
    """The reversal request and its audit record, inside the caller's unit of work (the caller has
    checked that ``actor`` may ask for a reversal)."""
    if not reason.strip():
        raise PaymentRefused(_("A reversal needs a reason."))
    if same_day_only and paid.received_on != today:
        raise PaymentRefused(
            _("Payment {id} was received on {day}; only a payment received today can be reversed.").format(
                id=paid.id, day=paid.received_on.isoformat()
            )
        )
    if session.scalar(select(PaymentReversal).where(PaymentReversal.payment_id == paid.id)) is not None:
        raise PaymentRefused(_("Payment {id} already has a reversal request.").format(id=paid.id))
    row = PaymentReversal(
        payment_id=paid.id,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=at,
        state="pending",
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        at=at,
        actor=actor,
        action="payment.reverse_request",
        object_type="payment",
        object_id=str(paid.id),
        after={"reversal": row.id, "amount": str(paid.amount)},
        reason=reason.strip(),
    )
    return _view(row)


def decide_reversal(
    ctx: AppContext, *, actor: str | None, reversal_id: int, approve: bool, note: str
) -> ReversalView:
    if not note.strip():
        raise PaymentRefused(_("A decision needs a reason."))
    now = ctx.clock.now()
    today = business_date(now)
    with use_case(ctx, actor=actor, action=Action.PAYMENT_REVERSE_APPROVE) as (session, who):
        row = session.scalar(
            select(PaymentReversal).where(PaymentReversal.id == reversal_id).with_for_update()
        )
        if row is None:
            raise NotFound(_("No reversal request {id}.").format(id=reversal_id))
        if row.state != "pending":
            raise PaymentRefused(
                _("Reversal request {id} is already {state}.").format(id=row.id, state=row.state)
            )
        if row.requested_by == who.username:
            raise PaymentRefused(_("The person who asked for a reversal cannot approve it (four eyes)."))
        paid = session.get(Payment, row.payment_id)
        assert paid is not None
        if approve:
            if period_closed(session, day=today):
                raise PaymentRefused(_("Today's collection month is closed."))
            lines = [
                Line(entry.gl, -entry.amount, entry.account_id, entry.receivable_id, entry.payment_id)
                for entry in session.scalars(
                    select(LedgerEntry)
                    .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
                    .where(LedgerEntry.payment_id == paid.id, LedgerTxn.kind == "payment")
                    .order_by(LedgerEntry.id)
                )
            ]
            row.txn_id = post(
                session,
                kind="reversal",
                source=f"reversal:{paid.id}",
                business_day=today,
                at=now,
                actor=who.username,
                lines=lines,
                memo=f"冲正 payment {paid.id}: {row.reason}",
            )
        row.state = "approved" if approve else "rejected"
        row.decided_by = who.username
        row.decided_at = now
        row.decision_note = note.strip()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action=f"payment.reverse_{row.state}",
            object_type="payment",
            object_id=str(paid.id),
            after={"reversal": row.id, "state": row.state, "amount": str(paid.amount)},
            reason=note.strip(),
        )
        return _view(row)


def pending_reversals(ctx: AppContext, *, actor: str | None) -> list[ReversalView]:
    with use_case(ctx, actor=actor, action=Action.LEDGER_READ) as (session, _who):
        rows = session.scalars(
            select(PaymentReversal).where(PaymentReversal.state == "pending").order_by(PaymentReversal.id)
        )
        return [_view(row) for row in rows]
