"""Late-fee waivers (违约金减免) and bad-debt write-offs (坏账核销): asked by one person, approved by a
supervisor (主管) who is not that person (four eyes, a CHECK in the database too).

- A waiver asks to forgive part or all of one bill's late fee still owed; approval posts debit
  违约金收入, credit the account's 应收违约金 for that bill.
- A write-off asks to write off part or all of one bill's principal still owed; approval posts
  debit 坏账核销, credit the account's 应收电费 for that bill.
- The amount may not exceed what is still owed when the request is made, nor when it is approved
  (a payment in between shrinks it: approval is then refused and a new request must be made).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Receivable
from meter2cash.collection import gl
from meter2cash.collection.ledger import Line, post
from meter2cash.collection.ledger_model import ApprovalRequest, LateFeeWaiver, LedgerEntry, WriteOff
from meter2cash.collection.payments import PaymentRefused
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import round_fen
from meter2cash.platform.permissions import Action


class Kind(StrEnum):
    WAIVER = "waiver"
    WRITE_OFF = "write_off"


@dataclass(frozen=True)
class _Rules:
    table: type[LateFeeWaiver] | type[WriteOff]
    owed_gl: str
    expense_gl: str
    ask: Action
    approve: Action
    label: str


RULES = {
    Kind.WAIVER: _Rules(
        LateFeeWaiver,
        gl.LATE_FEE_RECEIVABLE,
        gl.LATE_FEE_INCOME,
        Action.LATE_FEE_WAIVE_REQUEST,
        Action.LATE_FEE_WAIVE_APPROVE,
        "违约金减免",
    ),
    Kind.WRITE_OFF: _Rules(
        WriteOff, gl.RECEIVABLE, gl.WRITE_OFF, Action.WRITE_OFF_REQUEST, Action.WRITE_OFF_APPROVE, "坏账核销"
    ),
}


@dataclass(frozen=True)
class AdjustmentView:
    kind: str
    id: int
    bill_no: str
    amount: Decimal
    state: str
    reason: str
    requested_by: str
    decided_by: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.id,
            "bill_no": self.bill_no,
            "amount": str(self.amount),
            "state": self.state,
            "reason": self.reason,
            "requested_by": self.requested_by,
            "decided_by": self.decided_by,
        }


def owed_on_bill(session: Session, *, receivable_id: int, code: str) -> Decimal:
    value = session.scalar(
        select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.receivable_id == receivable_id, LedgerEntry.gl == code
        )
    )
    return value if value is not None else Decimal("0.00")


def request_adjustment(
    ctx: AppContext, *, actor: str | None, kind: Kind, bill_no: str, amount: Decimal, reason: str
) -> AdjustmentView:
    rules = RULES[kind]
    if not reason.strip():
        raise PaymentRefused(_("A request needs a reason."))
    if amount <= 0 or round_fen(amount) != amount:
        raise PaymentRefused(
            _("The amount must be more than zero, in whole fen: {amount}.").format(amount=amount)
        )
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=rules.ask) as (session, who):
        receivable = session.scalar(select(Receivable).where(Receivable.bill_no == bill_no))
        if receivable is None:
            raise NotFound(_("No issued bill {bill_no}.").format(bill_no=bill_no))
        owed = owed_on_bill(session, receivable_id=receivable.id, code=rules.owed_gl)
        if amount > owed:
            raise PaymentRefused(
                _("Bill {bill_no} owes {owed} yuan here; {amount} yuan cannot be forgiven.").format(
                    bill_no=bill_no, owed=owed, amount=amount
                )
            )
        row = rules.table(
            receivable_id=receivable.id,
            account_id=receivable.account_id,
            amount=amount,
            reason=reason.strip(),
            requested_by=who.username,
            requested_at=now,
            state="pending",
        )
        session.add(row)
        session.flush()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action=f"{kind.value}.request",
            object_type=kind.value,
            object_id=str(row.id),
            after={"bill_no": bill_no, "amount": str(amount)},
            reason=reason.strip(),
        )
        return _view(kind, row, bill_no)


def decide_adjustment(
    ctx: AppContext, *, actor: str | None, kind: Kind, request_id: int, approve: bool, note: str
) -> AdjustmentView:
    rules = RULES[kind]
    if not note.strip():
        raise PaymentRefused(_("A decision needs a reason."))
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=rules.approve) as (session, who):
        row = cast(ApprovalRequest | None, session.get(rules.table, request_id, with_for_update=True))
        if row is None:
            raise NotFound(_("No {kind} request {id}.").format(kind=rules.label, id=request_id))
        if row.state != "pending":
            raise PaymentRefused(_("Request {id} is already {state}.").format(id=row.id, state=row.state))
        if row.requested_by == who.username:
            raise PaymentRefused(_("The person who asked cannot approve their own request (four eyes)."))
        receivable = session.get(Receivable, row.receivable_id)
        assert receivable is not None
        if approve:
            owed = owed_on_bill(session, receivable_id=receivable.id, code=rules.owed_gl)
            if row.amount > owed:
                raise PaymentRefused(
                    _("Bill {bill_no} now owes only {owed} yuan; refuse this request and ask again.").format(
                        bill_no=receivable.bill_no, owed=owed
                    )
                )
            row.txn_id = post(
                session,
                kind=kind.value,
                source=f"{kind.value}:{row.id}",
                business_day=business_date(now),
                at=now,
                actor=who.username,
                lines=[
                    Line(rules.expense_gl, row.amount, row.account_id, receivable.id),
                    Line(rules.owed_gl, -row.amount, row.account_id, receivable.id),
                ],
                memo=f"{rules.label} {receivable.bill_no}: {row.reason}",
            )
        row.state = "approved" if approve else "rejected"
        row.decided_by = who.username
        row.decided_at = now
        record_audit(
            session,
            at=now,
            actor=who.username,
            action=f"{kind.value}.{row.state}",
            object_type=kind.value,
            object_id=str(row.id),
            after={"bill_no": receivable.bill_no, "amount": str(row.amount), "state": row.state},
            reason=note.strip(),
        )
        return _view(kind, row, receivable.bill_no)


def _view(kind: Kind, row: ApprovalRequest, bill_no: str) -> AdjustmentView:
    return AdjustmentView(
        kind.value, row.id, bill_no, row.amount, row.state, row.reason, row.requested_by, row.decided_by
    )
