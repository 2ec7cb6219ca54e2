"""The rows of a bank file, read against its layout (pure): a header and rows of text cells in,
records and problems out (no database, files or clock).

The whole-file rule: the caller refuses the file when there is any problem, and every problem
names its row (1 = the first row under the header), its column (as the file's own header names it)
and the value. Problems found:

- the header: an unknown column, a column given twice, a required column missing;
- the shape: cells past the last header or under an empty header;
- a cell that cannot be read (`bank_cells`), or a required cell left empty;
- a value given twice in a column that must be unique (a bank reference, our reference);
- a row whose cells disagree (a succeeded debit without the bank's reference, a failed one
  without a reason; a batch number on a single line, a batch line without one);
- a file without data rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from meter2cash.collection.bank_layouts import AGENT_SETTLEMENT, STATEMENT, WITHHOLDING_RESULT, Layout
from meter2cash.collection.bank_records import (
    AgentSettlementLine,
    LineKind,
    StatementLine,
    WithholdingResult,
    WithholdingStatus,
)
from meter2cash.platform.errors import Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.archive_rules import BadValue, Numbered, check_shape, relabel

R = TypeVar("R")
Cells = Mapping[str, Any]  # a row's read values by column key; None where the cell is empty


def resolve_headers(
    *, layout: Layout, headers: Sequence[str]
) -> tuple[tuple[str | None, ...], list[Problem]]:
    """The key of each header (None for an empty one) and the problems: unknown, doubled, missing."""
    keys: list[str | None] = []
    problems = []
    seen: dict[str, str] = {}
    for header in headers:
        text = header.strip()
        key = layout.lookup.get(text.lower()) if text else None
        if text and key is None:
            reason = _("unknown column for a {kind} file").format(kind=_(layout.kind))
            problems.append(Problem(reason, column=text))
        elif key is not None and key in seen:
            problems.append(
                Problem(_("column given twice (also as {other})").format(other=seen[key]), column=text)
            )
            key = None
        elif key is not None:
            seen[key] = text
        keys.append(key)
    for column in layout.columns:
        if column.required and column.key not in seen:
            reason = _("required column is missing: add a column headed {zh} or {key}")
            problems.append(Problem(reason.format(zh=column.zh, key=column.key), column=column.key))
    return tuple(keys), problems


def _read_row(layout: Layout, number: int, cells: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    problems = []
    for column in layout.columns:
        text = cells.get(column.key, "")
        values[column.key] = None
        if not text:
            if column.required:
                problems.append(Problem(_("a value is required"), number, column.key))
            continue
        try:
            values[column.key] = column.parse(text)
        except BadValue as bad:
            problems.append(Problem(str(bad), number, column.key, text))
    return values, problems


def _check_unique(layout: Layout, rows: Sequence[Numbered[Cells]]) -> list[Problem]:
    problems = []
    for column in layout.columns:
        if not column.unique:
            continue
        first: dict[str, int] = {}
        for number, values in rows:
            value = values.get(column.key)
            if value is None:
                continue
            if value in first:
                reason = _("given twice in the file: the same value as row {row}").format(row=first[value])
                problems.append(Problem(reason, number, column.key, str(value)))
            else:
                first[value] = number
    return problems


def read_layout(
    *,
    layout: Layout,
    headers: Sequence[str],
    rows: Sequence[Numbered[Sequence[str]]],
    build: Callable[[int, Cells], tuple[R | None, list[Problem]]],
) -> tuple[list[R], list[Problem]]:
    """Every record of the file (``build`` turns one row's values into a record, or problems) and
    every problem, columns named as the file names them. Records are only worth keeping when there
    is no problem: the caller refuses the whole file otherwise."""
    keys, problems = resolve_headers(layout=layout, headers=headers)
    table, shape_problems = check_shape(keys, rows)
    problems += shape_problems
    labels = {key: header.strip() for key, header in zip(keys, headers, strict=True) if key}
    records: list[R] = []
    if any(column.required and column.key not in labels for column in layout.columns):
        return records, relabel(problems, labels)
    read: list[Numbered[Cells]] = []
    for number, cells in table.rows:
        values, found = _read_row(layout, number, {key: cells[i] for i, key in enumerate(keys) if key})
        problems += found
        read.append((number, values))
        if not found:
            record, disagreements = build(number, values)
            problems += disagreements
            if record is not None:
                records.append(record)
    problems += _check_unique(layout, read)
    if not table.rows:
        problems.append(Problem(_("the file has no data rows")))
    ordered = sorted(relabel(problems, labels), key=lambda p: (p.row is not None, p.row or 0))
    return records, ordered


def _withholding_result(number: int, values: Cells) -> tuple[WithholdingResult | None, list[Problem]]:
    status: WithholdingStatus = values["status"]
    if status is WithholdingStatus.SUCCEEDED and values["bank_ref"] is None:
        return None, [Problem(_("a succeeded debit needs the bank's reference"), number, "bank_ref")]
    if status is WithholdingStatus.FAILED and values["reason"] is None:
        return None, [Problem(_("a failed debit needs the reason the bank gave"), number, "reason")]
    result = WithholdingResult(
        reference=values["reference"],
        account_no=values["account_no"],
        amount=values["amount"],
        status=status,
        bank_ref=values["bank_ref"],
        reason=values["reason"],
        row=number,
    )
    return result, []


def _statement_line(number: int, values: Cells) -> tuple[StatementLine | None, list[Problem]]:
    kind: LineKind = values["kind"] or LineKind.SINGLE
    batch: str | None = values["batch"]
    if kind is LineKind.BATCH and batch is None:
        return None, [Problem(_("a batch line needs its batch number"), number, "batch")]
    if kind is LineKind.SINGLE and batch is not None:
        reason = _("a batch number belongs on a batch line only; set the type to batch (批量)")
        return None, [Problem(reason, number, "batch", batch)]
    line = StatementLine(
        value_date=values["value_date"],
        amount=values["amount"],
        bank_ref=values["bank_ref"],
        account_no=values["account_no"],
        payer=values["payer"],
        memo=values["memo"],
        kind=kind,
        batch=batch,
        row=number,
    )
    return line, []


def _agent_line(number: int, values: Cells) -> tuple[AgentSettlementLine | None, list[Problem]]:
    line = AgentSettlementLine(
        agent=values["agent"],
        collected_on=values["date"],
        account_no=values["account_no"],
        amount=values["amount"],
        agent_ref=values["agent_ref"],
        row=number,
    )
    return line, []


def withholding_result_rows(
    *, headers: Sequence[str], rows: Sequence[Numbered[Sequence[str]]]
) -> tuple[list[WithholdingResult], list[Problem]]:
    """The results of a withholding result file (扣款回盘文件), and every problem."""
    return read_layout(layout=WITHHOLDING_RESULT, headers=headers, rows=rows, build=_withholding_result)


def statement_rows(
    *, headers: Sequence[str], rows: Sequence[Numbered[Sequence[str]]]
) -> tuple[list[StatementLine], list[Problem]]:
    """The lines of a bank statement (银行对账单), and every problem."""
    return read_layout(layout=STATEMENT, headers=headers, rows=rows, build=_statement_line)


def agent_settlement_rows(
    *, headers: Sequence[str], rows: Sequence[Numbered[Sequence[str]]]
) -> tuple[list[AgentSettlementLine], list[Problem]]:
    """The lines of a collection agent's settlement file (代收结算文件), and every problem."""
    return read_layout(layout=AGENT_SETTLEMENT, headers=headers, rows=rows, build=_agent_line)
