"""What bank files carry, as values (pure): the debit instructions we send for bank withholding
(代扣), the bank's result for each, the lines of a bank statement (银行对账单) and of a third-party
collection agent's settlement file (代收结算文件). Layouts: docs/bank-files.md.

Every amount is an exact, positive number of fen (`Decimal`, never float): a record refuses to be
built otherwise (`NotExact`, `BadAmount`), so a wrong amount cannot travel silently from a file to
the ledger. ``row`` is where the record came from (data rows numbered from 1 under the header).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from meter2cash.platform.money import FEN, BadAmount, NotExact

AMOUNT_LIMIT = Decimal(10) ** 12  # below 1 万亿 元: 15 significant digits hold every amount exactly
L = TypeVar("L")


def check_amount(amount: object) -> None:
    """Refuse anything but a `Decimal` that is positive, below the limit and exact to the fen."""
    if not isinstance(amount, Decimal) or isinstance(amount, bool):
        raise NotExact(f"an amount must be a Decimal, not {type(amount).__name__}: {amount!r}")
    if not amount.is_finite() or amount <= 0 or amount >= AMOUNT_LIMIT:
        raise BadAmount(f"an amount must be greater than 0 and below {AMOUNT_LIMIT}: {amount}")
    if amount != amount.quantize(FEN):
        raise BadAmount(f"an amount must be exact to the fen (0.01): {amount}")


class WithholdingStatus(StrEnum):
    """The bank's answer to one debit instruction (扣款结果)."""

    SUCCEEDED = "succeeded"  # 成功: the money was taken from the customer's account
    FAILED = "failed"  # 失败: nothing was taken; the bank says why (余额不足, 账户冻结 …)


class LineKind(StrEnum):
    """A statement line is one customer's payment, or the lump sum of a withholding batch."""

    SINGLE = "single"  # 单笔
    BATCH = "batch"  # 批量: the bank credits a whole 代扣 batch as one amount


@dataclass(frozen=True, slots=True)
class DebitInstruction:
    """One account to debit (代扣明细): our reference comes back in the bank's result file."""

    account_no: str
    customer_name: str
    bank_account: str
    amount: Decimal
    reference: str

    def __post_init__(self) -> None:
        check_amount(self.amount)


@dataclass(frozen=True, slots=True)
class WithholdingResult:
    """The bank's result for one debit instruction. A succeeded debit carries the bank's reference
    (银行流水号); a failed one the reason the bank gave."""

    reference: str
    account_no: str
    amount: Decimal
    status: WithholdingStatus
    bank_ref: str | None
    reason: str | None
    row: int | None = None

    def __post_init__(self) -> None:
        check_amount(self.amount)


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One credit on the bureau's collection account (银行对账单明细).

    A ``batch`` line is the lump sum of a withholding batch; ``batch`` names it, and only a batch
    line has one."""

    value_date: date
    amount: Decimal
    bank_ref: str
    account_no: str | None
    payer: str | None
    memo: str | None
    kind: LineKind = LineKind.SINGLE
    batch: str | None = None
    row: int | None = None

    def __post_init__(self) -> None:
        check_amount(self.amount)
        if (self.kind is LineKind.BATCH) != (self.batch is not None):
            raise ValueError(f"a batch number goes with a batch line and only with one: {self!r}")


@dataclass(frozen=True, slots=True)
class AgentSettlementLine:
    """One payment a collection agent (代收机构: a bank branch, the post office, an app) took for us
    and settles: who collected it, on which day, for which account, and the agent's reference."""

    agent: str
    collected_on: date
    account_no: str
    amount: Decimal
    agent_ref: str
    row: int | None = None

    def __post_init__(self) -> None:
        check_amount(self.amount)

    def as_statement_line(self) -> StatementLine:
        """The line as reconciliation reads it: the agent's reference is the bank reference."""
        return StatementLine(
            value_date=self.collected_on,
            amount=self.amount,
            bank_ref=self.agent_ref,
            account_no=self.account_no,
            payer=None,
            memo=self.agent,
            row=self.row,
        )


@dataclass(frozen=True)
class BankFile(Generic[L]):
    """The records of one accepted file, with where they came from: the file's name, the SHA-256
    of its bytes (as ``sha256sum`` shows it) and how it was read (utf-8, utf-8-sig, gbk or xlsx)."""

    name: str
    sha256: str
    encoding: str
    lines: tuple[L, ...]
