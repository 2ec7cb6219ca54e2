"""The columns of each bank file (pure). A public contract, documented in docs/bank-files.md.

A file's header names each column by its English key, its Chinese header or one of the usual
aliases banks and agents write, in any order and letter case. The debit file we write uses the
Chinese headers of `DEBIT_COLUMNS`, in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from meter2cash.collection.bank_cells import (
    parse_account_no,
    parse_amount,
    parse_bank_date,
    parse_batch,
    parse_free_text,
    parse_kind,
    parse_reference,
    parse_status,
)
from meter2cash.platform.i18n import N_


@dataclass(frozen=True, slots=True)
class BankColumn:
    """One column: its key, Chinese header, other accepted headers, whether every file must have it,
    how its cells are read, and whether a value may appear only once in a file (``unique``)."""

    key: str
    zh: str
    required: bool
    meaning: str
    parse: Callable[[str], object]
    aliases: tuple[str, ...] = ()
    unique: bool = False

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.key, self.zh, *self.aliases)


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of bank file; ``kind`` is marked for translation (shown as _(kind))."""

    kind: str
    columns: tuple[BankColumn, ...]

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Column key by header, in lower case."""
        return {header.lower(): column.key for column in self.columns for header in column.headers}


def _column(
    key: str,
    zh: str,
    parse: Callable[[str], object],
    meaning: str,
    *,
    also: tuple[str, ...] = (),
    required: bool = True,
    unique: bool = False,
) -> BankColumn:
    return BankColumn(key, zh, required, meaning, parse, also, unique)


DEBIT_COLUMNS: tuple[BankColumn, ...] = (
    _column("reference", "扣款流水号", parse_reference, "our reference of the debit, unique", unique=True),
    _column("account_no", "户号", parse_account_no, "the electricity account (户号)"),
    _column("customer_name", "户名", parse_free_text, "the account holder, as the archive names them"),
    _column("bank_account", "银行账号", parse_reference, "the bank account to debit"),
    _column("amount", "金额", parse_amount, "元, exact to the fen, > 0"),
)

_ACCOUNT = ("用户编号",)
_BANK_REF = ("交易流水号",)

WITHHOLDING_RESULT = Layout(
    N_("withholding result"),
    (
        _column("reference", "扣款流水号", parse_reference, "our reference from the debit file",
                also=("委托流水号", "商户流水号"), unique=True),
        _column("account_no", "户号", parse_account_no, "the electricity account", also=_ACCOUNT),
        _column("amount", "金额", parse_amount, "元, > 0", also=("扣款金额", "交易金额")),
        _column("status", "状态", parse_status, "succeeded 成功 / failed 失败",
                also=("扣款结果", "处理结果")),
        _column("bank_ref", "银行流水号", parse_reference, "the bank's reference; required when succeeded",
                also=_BANK_REF, required=False, unique=True),
        _column("reason", "失败原因", parse_free_text, "why it failed; required when failed",
                also=("原因",), required=False),
    ),
)  # fmt: skip

STATEMENT = Layout(
    N_("bank statement"),
    (
        _column("value_date", "交易日期", parse_bank_date, "the day the money arrived",
                also=("记账日期", "入账日期", "date")),
        _column("amount", "金额", parse_amount, "元, > 0 (credits only)", also=("交易金额", "贷方金额")),
        _column("bank_ref", "银行流水号", parse_reference, "the bank's reference, unique",
                also=(*_BANK_REF, "流水号"), unique=True),
        _column("account_no", "户号", parse_account_no, "the electricity account, when the bank knows it",
                also=_ACCOUNT, required=False),
        _column("payer", "付款人", parse_free_text, "who paid", also=("付款人名称", "对方户名"),
                required=False),
        _column("memo", "摘要", parse_free_text, "the bank's memo", also=("附言", "备注"), required=False),
        _column("kind", "类型", parse_kind, "single 单笔 (default) or batch 批量", also=("交易类型",),
                required=False),
        _column("batch", "批次号", parse_batch, "the withholding batch; on batch lines only",
                also=("代扣批次号",), required=False),
    ),
)  # fmt: skip

AGENT_SETTLEMENT = Layout(
    N_("agent settlement"),
    (
        _column("agent", "代收机构", parse_reference, "the collection agent's code", also=("代收单位",)),
        _column("date", "代收日期", parse_bank_date, "the day the agent collected the money",
                also=("collected_on", "缴费日期", "交易日期")),
        _column("account_no", "户号", parse_account_no, "the electricity account", also=_ACCOUNT),
        _column("amount", "金额", parse_amount, "元, > 0", also=("代收金额", "缴费金额")),
        _column("agent_ref", "代收流水号", parse_reference, "the agent's reference, unique",
                also=("流水号", *_BANK_REF), unique=True),
    ),
)  # fmt: skip
