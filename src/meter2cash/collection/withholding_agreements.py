"""The withholding agreements file (代扣协议文件), pure: a header and rows of text cells in, the
agreements and every problem out (no database, files or clock). Layout: docs/bank-files.md.

| column | 中文 | also accepted | required |
|---|---|---|---|
| ``account_no`` | 户号 | 用户编号 | yes |
| ``bank`` | 银行 | 银行代码, 开户行 | yes: a bank code of the collection policy (ICBC …) |
| ``bank_account`` | 银行账号 | 扣款账号, 卡号 | yes |
| ``holder`` | 户名 | 账户名, 开户名 | yes: the bank account's holder |
| ``signed_on`` | 签约日期 | 生效日期 | yes |
| ``ended_on`` | 解约日期 | 终止日期 | no: the day the agreement ends (not a debit day any more) |

A row with a day of ending before its signing day, or an agreement given twice, is a problem; the
service adds what needs the database (unknown account or bank, a second active agreement). Like
every bank file, a file with one problem is refused whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from meter2cash.collection.bank_cells import (
    parse_account_no,
    parse_bank_date,
    parse_free_text,
    parse_reference,
)
from meter2cash.collection.bank_file_rows import Cells, read_layout
from meter2cash.collection.bank_layouts import BankColumn, Layout
from meter2cash.platform.errors import Problem
from meter2cash.platform.i18n import N_
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.archive_rules import Numbered

AGREEMENTS = Layout(
    N_("withholding agreements"),
    (
        BankColumn("account_no", "户号", True, "the electricity account", parse_account_no, ("用户编号",)),
        BankColumn("bank", "银行", True, "the bank's code (ICBC …)", parse_reference, ("银行代码", "开户行")),
        BankColumn("bank_account", "银行账号", True, "the account to debit", parse_reference,
                   ("扣款账号", "卡号")),
        BankColumn("holder", "户名", True, "the bank account's holder", parse_free_text,
                   ("账户名", "开户名")),
        BankColumn("signed_on", "签约日期", True, "the day it starts", parse_bank_date, ("生效日期",)),
        BankColumn("ended_on", "解约日期", False, "the day it ends", parse_bank_date, ("终止日期",)),
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """One agreement of the file: the key is (account, bank, bank account, signing day)."""

    account_no: str
    bank: str
    bank_account: str
    holder: str
    signed_on: date
    ended_on: date | None
    row: int

    @property
    def key(self) -> tuple[str, str, str, date]:
        return (self.account_no, self.bank, self.bank_account, self.signed_on)


def _agreement(number: int, values: Cells) -> tuple[AgreementRow | None, list[Problem]]:
    signed, ended = values["signed_on"], values["ended_on"]
    if ended is not None and ended < signed:
        reason = _("the agreement cannot end before it was signed ({day})").format(day=signed.isoformat())
        return None, [Problem(reason, number, "ended_on", ended.isoformat())]
    row = AgreementRow(
        account_no=values["account_no"],
        bank=values["bank"],
        bank_account=values["bank_account"],
        holder=values["holder"],
        signed_on=signed,
        ended_on=ended,
        row=number,
    )
    return row, []


def agreement_rows(
    *, headers: Sequence[str], rows: Sequence[Numbered[Sequence[str]]]
) -> tuple[list[AgreementRow], list[Problem]]:
    """The agreements of the file and every problem, an agreement given twice among them."""
    records, problems = read_layout(layout=AGREEMENTS, headers=headers, rows=rows, build=_agreement)
    first: dict[tuple[str, str, str, date], int] = {}
    for record in records:
        if record.key in first:
            reason = _("given twice in the file: the same value as row {row}").format(row=first[record.key])
            problems.append(Problem(reason, record.row, "户号", record.account_no))
        first.setdefault(record.key, record.row)
    return records, problems
