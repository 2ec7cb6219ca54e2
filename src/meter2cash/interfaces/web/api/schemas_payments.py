"""Schemas of the collection (收费) API: a 代收 payment in and the payment taken out (as ``m2c collect
pay --json``), and what an account owes today (as ``m2c collect account --json``). Money is decimal
strings; the amount in is checked by the payment service, which says why it refuses one."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from meter2cash.interfaces.web.api.schemas_common import CODE_PATTERN, Code

AMOUNT_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$"  # any decimal; the service refuses ≤ 0 and sub-fen
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
KEY_PATTERN = r"^[!-~]{1,64}$"  # printable ASCII, no blanks
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,48}$"  # stored as agent-<agent>-<key>, at most 100 characters

AccountNoText = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=CODE_PATTERN)]
AmountText = Annotated[str, StringConstraints(pattern=AMOUNT_PATTERN)]
AgentRef = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
DayText = Annotated[str, StringConstraints(pattern=DAY_PATTERN)]


class AgentPaymentIn(BaseModel):
    """A payment a third party (代收 agent) collected for an account."""

    model_config = ConfigDict(extra="forbid")

    account_no: AccountNoText = Field(description="户号")
    amount: AmountText = Field(description='元, a decimal string, more than 0, in whole fen: "120.50".')
    agent: Code = Field(description="The agent's code in the collection policy (`agents`), e.g. wechat.")
    agent_ref: AgentRef = Field(
        description="The agent's own serial number of the payment (the channel reference); the same "
        "reference from the same agent is the same payment."
    )
    paid_on: DayText | None = Field(
        default=None, description="The day the customer paid, YYYY-MM-DD; today when left out or null."
    )


class AppliedOut(BaseModel):
    bill_no: str
    kind: str  # principal | late_fee
    amount: str


class BalanceOut(BaseModel):
    """What the account owes: principal (欠费本金), late fees (违约金) less prepayment (预收)."""

    principal: str
    late_fees: str
    prepayment: str
    owed: str


class PaymentOut(BaseModel):
    """The payment taken (or, with ``replayed``, the one a retried request had already posted)."""

    payment_id: int
    account_no: str
    amount: str
    channel: str
    paid_on: str
    receipt_no: str | None
    replayed: bool
    late_fees_charged: str
    applied: list[AppliedOut]
    prepayment: str
    balance_after: BalanceOut


class BillOwedOut(BaseModel):
    """One bill still owed, with the late fee it would pay today."""

    bill_no: str
    period: str
    due_on: str
    principal: str
    late_fee: str
    total: str


class StatementLineOut(BaseModel):
    """One line of the statement (对账单): positive owes more, negative pays; ``balance`` runs."""

    day: str
    kind: str
    memo: str
    source: str
    amount: str
    balance: str


class AccountPaymentOut(BaseModel):
    payment_id: int
    paid_on: str
    amount: str
    channel: str
    source: str
    receipt_no: str | None
    reversed: bool


class AccountBalanceOut(BaseModel):
    """An account as of today, with today's late fees (nothing is written to show them)."""

    account_no: str
    customer_name: str
    category: str
    status: str
    as_of: str
    balance: BalanceOut
    bills: list[BillOwedOut]
    statement: list[StatementLineOut]
    payments: list[AccountPaymentOut]
