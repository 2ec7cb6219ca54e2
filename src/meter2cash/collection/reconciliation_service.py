"""Bank reconciliation (银行对账) use cases (docs/bank-files.md, ``m2c collect reconcile |
reconcile-resolve | reconciliations``).

`reconcile_file` reads a bank statement (银行对账单) or a collection agent's settlement file
(代收结算文件) — refused whole on any bad row — and reconciles its lines (`reconciliation.reconcile`)
with the payments posted in the ledger that the file covers:

- a statement covers the ``bank_withholding`` payments of its bank (named by the caller, or told by
  the withholding batches its batch lines settle) paid on the days from its first to its last value
  date, and every payment of those batches whatever its day;
- a settlement file covers the ``agent`` payments of its agents (codes of the collection policy,
  in any letter case) paid on the days it covers;
- a payment whose reversal (冲正) was approved is not a payment any more and is left out.

The run, the file and one item per difference (missing in the bank, missing in the ledger,
duplicate, amount mismatch) are stored and audited in one unit of work; the same file again is
answered with its first run (``already_imported``), nothing stored twice.

`resolve_difference` records a supervisor's resolution (``reconcile.resolve``) of one open
difference, with a note that is always required, audited in the same transaction as what it does:

- ``post_missing_payment`` posts the payment a bank line shows (its bank reference is the payment's
  channel reference, so it never posts twice; the resolver also needs ``payment.take``);
- ``reverse_payment`` / ``reverse_duplicate`` asks for the reversal (冲正) of the payment, which a
  second supervisor approves as any reversal (the resolver also needs
  ``payment.reverse_request``); a reversal already asked for is linked rather than asked twice;
- ``mark_bank_error`` and ``accept_with_note`` record the reason; nothing is posted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from meter2cash.collection import gl
from meter2cash.collection.bank_file_store import BankFileView, file_view, imported_file, record_file
from meter2cash.collection.bank_files import (
    FileFormat,
    parse_agent_settlement,
    parse_statement,
    read_bank_table,
)
from meter2cash.collection.bank_layouts import AGENT_SETTLEMENT
from meter2cash.collection.bank_model import BankFileRecord, ReconciliationItem, ReconciliationRun
from meter2cash.collection.bank_records import LineKind, StatementLine
from meter2cash.collection.ledger_model import Payment, PaymentReversal
from meter2cash.collection.payments import PaymentRequest, check_request, record_payment
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.collection.reconciliation import (
    AmountMismatch,
    Difference,
    Duplicate,
    DuplicateReason,
    LedgerPayment,
    MatchedBy,
    ReconciliationReport,
    Resolution,
    allowed_resolutions,
    check_resolution,
    reconcile,
)
from meter2cash.collection.reconciliation_report import line_json, payment_json
from meter2cash.collection.reconciliation_resolution import DifferenceItem
from meter2cash.collection.reversals import open_reversal
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import fen_text
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import require
from meter2cash.registry.model import Account

KINDS = ("statement", "agent_settlement")
ZERO = Decimal("0.00")
AGENT_HEADERS = frozenset(header.lower() for header in AGENT_SETTLEMENT.columns[0].headers)


# -- values ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    """One difference and what became of it."""

    id: int
    run_id: int
    kind: str
    reason: str | None
    reference: str | None
    bank_ref: str | None
    bank_row: int | None
    account_no: str | None
    bank_amount: Decimal | None
    payment_id: int | None
    ledger_amount: Decimal | None
    detail: dict[str, Any]
    state: str
    resolution: str | None
    note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    posted_payment_id: int | None
    reversal_id: int | None
    allowed: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "kind": self.kind,
            "reason": self.reason,
            "reference": self.reference,
            "bank_ref": self.bank_ref,
            "bank_row": self.bank_row,
            "account_no": self.account_no,
            "bank_amount": fen_text(self.bank_amount) if self.bank_amount is not None else None,
            "payment_id": self.payment_id,
            "ledger_amount": fen_text(self.ledger_amount) if self.ledger_amount is not None else None,
            "state": self.state,
            "resolution": self.resolution,
            "note": self.note,
            "resolved_by": self.resolved_by,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "posted_payment_id": self.posted_payment_id,
            "reversal_id": self.reversal_id,
            "allowed_resolutions": list(self.allowed),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class RunView:
    """One reconciliation: its file, what matched, and every difference."""

    id: int
    kind: str
    channel: str
    source: str
    first_day: date
    last_day: date
    matched_count: int
    matched_amount: Decimal
    file: BankFileView
    report: dict[str, Any]
    items: tuple[ItemView, ...]
    created_by: str
    created_at: datetime
    already_imported: bool = False

    @property
    def open_items(self) -> int:
        return sum(1 for item in self.items if item.state == "open")

    def summary_json(self) -> dict[str, object]:
        return {
            "run_id": self.id,
            "kind": self.kind,
            "channel": self.channel,
            "source": self.source,
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "file": self.file.filename,
            "matched": {"count": self.matched_count, "amount": fen_text(self.matched_amount)},
            "differences": len(self.items),
            "open": self.open_items,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }

    def as_json(self) -> dict[str, object]:
        return {
            **self.summary_json(),
            "already_imported": self.already_imported,
            "file": self.file.as_json(),
            "balanced": bool(self.report.get("balanced")),
            "differences": [item.as_json() for item in self.items],
            "report": self.report,
        }


# -- rebuilding a difference from what was stored --------------------------------------------------


def _line(data: dict[str, Any]) -> StatementLine:
    return StatementLine(
        value_date=date.fromisoformat(data["value_date"]),
        amount=Decimal(data["amount"]),
        bank_ref=data["bank_ref"],
        account_no=data["account_no"],
        payer=data["payer"],
        memo=data["memo"],
        kind=LineKind(data["kind"]),
        batch=data["batch"],
        row=data["row"],
    )


def _payment(data: dict[str, Any]) -> LedgerPayment:
    return LedgerPayment(
        payment_id=data["payment_id"],
        channel=data["channel"],
        channel_ref=data["channel_ref"],
        account_no=data["account_no"],
        amount=Decimal(data["amount"]),
        paid_on=date.fromisoformat(data["paid_on"]),
        batch=data["batch"],
    )


def difference_item(kind: str, detail: dict[str, Any]) -> DifferenceItem:
    """The report's value for a stored difference (what `check_resolution` judges)."""
    if kind == Difference.MISSING_IN_LEDGER:
        return _line(detail)
    if kind == Difference.MISSING_IN_BANK:
        return _payment(detail)
    if kind == Difference.DUPLICATE:
        return Duplicate(
            DuplicateReason(detail["reason"]),
            detail["reference"],
            bank_line=_line(detail["bank_line"]) if detail["bank_line"] else None,
            payment=_payment(detail["payment"]) if detail["payment"] else None,
        )
    return AmountMismatch(
        bank_line=_line(detail["bank_line"]),
        payments=tuple(_payment(p) for p in detail["payments"]),
        by=MatchedBy(detail["by"]),
    )


def _item_view(row: ReconciliationItem) -> ItemView:
    detail = json.loads(row.detail)
    allowed = tuple(sorted(allowed_resolutions(difference_item(row.kind, detail))))
    return ItemView(
        row.id,
        row.run_id,
        row.kind,
        row.reason,
        row.reference,
        row.bank_ref,
        row.bank_row,
        row.account_no,
        row.bank_amount,
        row.payment_id,
        row.ledger_amount,
        detail,
        row.state,
        row.resolution,
        row.note,
        row.resolved_by,
        row.resolved_at,
        row.posted_payment_id,
        row.reversal_id,
        allowed,
    )


def _run_view(session: Session, run: ReconciliationRun, *, already_imported: bool = False) -> RunView:
    record = session.get(BankFileRecord, run.bank_file_id)
    assert record is not None
    items = session.scalars(
        select(ReconciliationItem).where(ReconciliationItem.run_id == run.id).order_by(ReconciliationItem.id)
    )
    return RunView(
        id=run.id,
        kind=run.kind,
        channel=run.channel,
        source=run.source,
        first_day=run.first_day,
        last_day=run.last_day,
        matched_count=run.matched_count,
        matched_amount=run.matched_amount,
        file=file_view(record),
        report=json.loads(run.report),
        items=tuple(_item_view(item) for item in items),
        created_by=run.created_by,
        created_at=run.created_at,
        already_imported=already_imported,
    )


# -- reconciling a file ----------------------------------------------------------------------------


def file_kind(*, data: bytes, filename: str, fmt: FileFormat | None = None) -> str:
    """``agent_settlement`` when the file has an agent column (代收机构), else ``statement``."""
    headers, _rows, _encoding = read_bank_table(data=data, filename=filename, fmt=fmt)
    return "agent_settlement" if any(h.strip().lower() in AGENT_HEADERS for h in headers) else "statement"


@dataclass(frozen=True)
class _Parsed:
    kind: str
    name: str
    sha256: str
    encoding: str
    lines: tuple[StatementLine, ...]
    agents: tuple[str | None, ...]  # each line's agent code as the policy spells it (settlements)


def _parse(
    *, data: bytes, filename: str, kind: str, fmt: FileFormat | None, agents: dict[str, str]
) -> _Parsed:
    if kind == "statement":
        statement = parse_statement(data=data, filename=filename, fmt=fmt)
        lines = statement.lines
        return _Parsed(kind, filename, statement.sha256, statement.encoding, lines, (None,) * len(lines))
    settlement = parse_agent_settlement(data=data, filename=filename, fmt=fmt)
    problems = []
    codes: list[str | None] = []
    for line in settlement.lines:
        code = agents.get(line.agent.lower())
        codes.append(code)
        if code is None:
            reason = _("{agent} is not a collection agent of the collection policy (known: {known})").format(
                agent=line.agent, known=", ".join(sorted(set(agents.values())))
            )
            problems.append(Problem(reason, line.row, "代收机构", line.agent))
    if problems:
        summary = _("{name}: {count} problem(s); the whole file is refused")
        raise InputRefused(summary.format(name=filename, count=len(problems)), problems)
    lines = tuple(line.as_statement_line() for line in settlement.lines)
    return _Parsed(kind, filename, settlement.sha256, settlement.encoding, lines, tuple(codes))


def _statement_bank(session: Session, *, parsed: _Parsed, bank: str | None, banks: Sequence[str]) -> str:
    """The statement's bank: the one named, else the bank its withholding batches were sent to."""
    batches = sorted({line.batch for line in parsed.lines if line.batch})
    sent = set()
    if batches:
        sent = set(
            session.scalars(
                select(BankFileRecord.source).where(
                    BankFileRecord.kind == "debit_export", BankFileRecord.batch.in_(batches)
                )
            )
        )
    chosen = bank or (sent.pop() if len(sent) == 1 else None)
    if chosen is None:
        raise InputRefused(
            _("Name the bank of the statement {name} (one of: {known}).").format(
                name=parsed.name, known=", ".join(sorted(banks))
            )
        )
    if chosen not in banks:
        raise InputRefused(
            _("{bank} is not a bank of the collection policy (known: {known})").format(
                bank=chosen, known=", ".join(sorted(banks))
            )
        )
    return chosen


def ledger_payments(
    session: Session,
    *,
    channel: gl.Channel,
    sources: Sequence[str],
    first_day: date,
    last_day: date,
    batches: Sequence[str] = (),
) -> list[LedgerPayment]:
    """The posted payments of the channel and sources paid from ``first_day`` to ``last_day``, and
    every payment of ``batches``; those whose reversal was approved left out."""
    reversed_ = exists().where(PaymentReversal.payment_id == Payment.id, PaymentReversal.state == "approved")
    covered: ColumnElement[bool] = Payment.paid_on.between(first_day, last_day)
    if batches:
        covered = or_(covered, Payment.batch.in_(list(batches)))
    query = (
        select(Payment, Account.account_no)
        .join(Account, Account.id == Payment.account_id)
        .where(Payment.channel == channel.value, Payment.source.in_(list(sources)), covered, ~reversed_)
        .order_by(Payment.id)
    )
    return [
        LedgerPayment(
            payment_id=payment.id,
            channel=payment.channel,
            channel_ref=payment.channel_ref,
            account_no=account_no,
            amount=payment.amount,
            paid_on=payment.paid_on,
            batch=payment.batch,
        )
        for payment, account_no in session.execute(query)
    ]


def _items(report: ReconciliationReport, run_id: int) -> list[ReconciliationItem]:
    items = []
    for line in report.missing_in_ledger:
        items.append(
            ReconciliationItem(
                run_id=run_id,
                kind=Difference.MISSING_IN_LEDGER.value,
                reference=line.bank_ref,
                bank_ref=line.bank_ref,
                bank_row=line.row,
                account_no=line.account_no,
                bank_amount=line.amount,
                detail=json.dumps(line_json(line), ensure_ascii=False),
            )
        )
    for payment in report.missing_in_bank:
        items.append(
            ReconciliationItem(
                run_id=run_id,
                kind=Difference.MISSING_IN_BANK.value,
                reference=payment.channel_ref,
                account_no=payment.account_no,
                payment_id=payment.payment_id,
                ledger_amount=payment.amount,
                detail=json.dumps(payment_json(payment), ensure_ascii=False),
            )
        )
    for duplicate in report.duplicates:
        repeated, paid = duplicate.bank_line, duplicate.payment
        detail: dict[str, object] = {
            "reason": duplicate.reason.value,
            "reference": duplicate.reference,
            "bank_line": line_json(repeated) if repeated else None,
            "payment": payment_json(paid) if paid else None,
        }
        items.append(
            ReconciliationItem(
                run_id=run_id,
                kind=Difference.DUPLICATE.value,
                reason=duplicate.reason.value,
                reference=duplicate.reference[:80],
                bank_ref=repeated.bank_ref if repeated else None,
                bank_row=repeated.row if repeated else None,
                account_no=(repeated.account_no if repeated else paid.account_no if paid else None),
                bank_amount=repeated.amount if repeated else None,
                payment_id=paid.payment_id if paid else None,
                ledger_amount=paid.amount if paid else None,
                detail=json.dumps(detail, ensure_ascii=False),
            )
        )
    for mismatch in report.amount_mismatches:
        line = mismatch.bank_line
        detail = {
            "by": mismatch.by.value,
            "bank_line": line_json(line),
            "payments": [payment_json(p) for p in mismatch.payments],
            "difference": fen_text(mismatch.difference),
        }
        items.append(
            ReconciliationItem(
                run_id=run_id,
                kind=Difference.AMOUNT_MISMATCH.value,
                reference=(line.batch or line.bank_ref)[:80],
                bank_ref=line.bank_ref,
                bank_row=line.row,
                account_no=line.account_no,
                bank_amount=line.amount,
                payment_id=mismatch.payments[0].payment_id if len(mismatch.payments) == 1 else None,
                ledger_amount=sum((p.amount for p in mismatch.payments), ZERO),
                detail=json.dumps(detail, ensure_ascii=False),
            )
        )
    return items


def reconcile_file(
    ctx: AppContext,
    *,
    actor: str | None,
    data: bytes,
    filename: str,
    kind: str | None = None,
    bank: str | None = None,
    fmt: FileFormat | None = None,
) -> RunView:
    """Reconcile a statement or settlement file and store the run (rules: this module's docstring).
    ``kind`` is told from the header when not given; ``bank`` names a statement's bank."""
    chosen = kind or file_kind(data=data, filename=filename, fmt=fmt)
    if chosen not in KINDS:
        raise InputRefused(_("The kind of file must be one of: {known}.").format(known=", ".join(KINDS)))
    policy = collection_policy(ctx.settings)
    agents = {code.lower(): code for code in policy.agents}
    parsed = _parse(data=data, filename=filename, kind=chosen, fmt=fmt, agents=agents)
    for attempt in range(2):
        try:
            return _reconcile(ctx, actor=actor, parsed=parsed, bank=bank, banks=list(policy.banks))
        except IntegrityError:  # the same file at the same moment: the second finds the first's run
            if attempt:
                raise
    raise AssertionError("unreachable")


def _reconcile(
    ctx: AppContext, *, actor: str | None, parsed: _Parsed, bank: str | None, banks: Sequence[str]
) -> RunView:
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.BANK_FILE) as (session, who):
        seen = imported_file(session, kind=parsed.kind, sha256=parsed.sha256)
        if seen is not None:
            run = session.scalar(select(ReconciliationRun).where(ReconciliationRun.bank_file_id == seen.id))
            assert run is not None
            return _run_view(session, run, already_imported=True)
        if parsed.kind == "statement":
            channel = gl.Channel.BANK_WITHHOLDING
            sources: list[str] = [_statement_bank(session, parsed=parsed, bank=bank, banks=banks)]
        else:
            channel = gl.Channel.AGENT
            sources = sorted({code for code in parsed.agents if code is not None})
        first_day = min(line.value_date for line in parsed.lines)
        last_day = max(line.value_date for line in parsed.lines)
        batches = sorted({line.batch for line in parsed.lines if line.batch})
        payments = ledger_payments(
            session, channel=channel, sources=sources, first_day=first_day, last_day=last_day, batches=batches
        )
        report = reconcile(bank_lines=parsed.lines, ledger_payments=payments)
        record = record_file(
            session,
            kind=parsed.kind,
            source=",".join(sources)[:40],
            filename=parsed.name,
            sha256=parsed.sha256,
            encoding=parsed.encoding,
            rows=len(parsed.lines),
            total=sum((line.amount for line in parsed.lines), ZERO),
            actor=who.username,
            at=now,
        )
        matched_amount = sum((match.bank_line.amount for match in report.matched), ZERO)
        run = ReconciliationRun(
            bank_file_id=record.id,
            kind=parsed.kind,
            channel=channel.value,
            source=",".join(sources)[:120],
            first_day=first_day,
            last_day=last_day,
            matched_count=len(report.matched),
            matched_amount=matched_amount,
            differences=0,
            report=json.dumps(report.as_json(), ensure_ascii=False),
            created_by=who.username,
            created_at=now,
        )
        session.add(run)
        session.flush()
        items = _items(report, run.id)
        run.differences = len(items)
        session.add_all(items)
        session.flush()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="reconciliation.run",
            object_type="reconciliation_run",
            object_id=str(run.id),
            after={
                "file": record.filename,
                "sha256": record.sha256,
                "kind": run.kind,
                "source": run.source,
                "from": first_day.isoformat(),
                "to": last_day.isoformat(),
                "summary": report.summary(),
            },
        )
        return _run_view(session, run)


# -- reading runs ----------------------------------------------------------------------------------


def reconciliation_runs(ctx: AppContext, *, actor: str | None, limit: int = 50) -> list[RunView]:
    """The latest runs, newest first."""
    with use_case(ctx, actor=actor, action=Action.LEDGER_READ) as (session, _who):
        runs = session.scalars(select(ReconciliationRun).order_by(ReconciliationRun.id.desc()).limit(limit))
        return [_run_view(session, run) for run in runs]


def reconciliation_run(ctx: AppContext, *, actor: str | None, run_id: int) -> RunView:
    with use_case(ctx, actor=actor, action=Action.LEDGER_READ) as (session, _who):
        run = session.get(ReconciliationRun, run_id)
        if run is None:
            raise NotFound(_("No reconciliation run {id}.").format(id=run_id))
        return _run_view(session, run)


def open_differences(ctx: AppContext, *, actor: str | None) -> int:
    """How many differences are waiting for a resolution."""
    with use_case(ctx, actor=actor, action=Action.LEDGER_READ) as (session, _who):
        count = session.scalar(
            select(func.count()).select_from(ReconciliationItem).where(ReconciliationItem.state == "open")
        )
        return int(count or 0)


# -- resolving a difference ------------------------------------------------------------------------


def _post_missing(
    ctx: AppContext,
    session: Session,
    *,
    run: ReconciliationRun,
    line: StatementLine,
    actor: str,
    at: datetime,
) -> int:
    if line.kind is LineKind.BATCH:
        raise InputRefused(
            _(
                "Line {ref} is the lump sum of withholding batch {batch}: import the bank's result file "
                "of that batch (m2c collect bank-import) instead of posting it as one payment."
            ).format(ref=line.bank_ref, batch=line.batch)
        )
    if not line.account_no:
        raise InputRefused(
            _("Line {ref} names no account: find the customer and take the payment at the counter.").format(
                ref=line.bank_ref
            )
        )
    channel = gl.Channel(run.channel)
    source = run.source if channel is gl.Channel.BANK_WITHHOLDING else (line.memo or "")
    if channel is gl.Channel.AGENT:
        source = next((code for code in run.source.split(",") if code.lower() == source.lower()), source)
    request = PaymentRequest(
        account_no=line.account_no,
        amount=line.amount,
        channel=channel,
        method=gl.Method.TRANSFER,
        source=source,
        paid_on=line.value_date,
        channel_ref=line.bank_ref,
        payer=line.payer,
    )
    policy = collection_policy(ctx.settings)
    today = business_date(at)
    check_request(request=request, policy=policy, today=today)
    result = record_payment(
        session,
        request=request,
        policy=policy,
        late_fee_policy=late_fee_policy(ctx.settings),
        at=at,
        today=today,
        actor=actor,
    )
    return result.payment_id


def _payment_to_reverse(item: DifferenceItem) -> int:
    if isinstance(item, LedgerPayment):
        return item.payment_id
    if isinstance(item, Duplicate) and item.payment is not None:
        return item.payment.payment_id
    if isinstance(item, AmountMismatch) and len(item.payments) == 1:
        return item.payments[0].payment_id
    if isinstance(item, AmountMismatch):
        raise InputRefused(
            _(
                "This mismatch concerns {count} payments of batch {batch}: ask for the reversal of the wrong "
                "ones (m2c collect reverse-request), then accept the difference with a note."
            ).format(count=len(item.payments), batch=item.bank_line.batch or "-")
        )
    raise InputRefused(_("This difference has no payment to reverse."))


def _reverse(
    ctx: AppContext, session: Session, *, item: DifferenceItem, note: str, actor: str, at: datetime
) -> int:
    payment_id = _payment_to_reverse(item)
    asked = session.scalar(select(PaymentReversal.id).where(PaymentReversal.payment_id == payment_id))
    if asked is not None:
        return asked
    paid = session.get(Payment, payment_id)
    if paid is None:
        raise NotFound(_("No payment {payment} (give its id or receipt number).").format(payment=payment_id))
    view = open_reversal(
        session,
        paid=paid,
        reason=_("Reconciliation: {note}").format(note=note),
        actor=actor,
        at=at,
        today=business_date(at),
        same_day_only=collection_policy(ctx.settings).reversal_same_day_only,
    )
    return view.id


def resolve_difference(
    ctx: AppContext, *, actor: str | None, item_id: int, resolution: Resolution | str, note: str
) -> ItemView:
    """Resolve one open difference with ``resolution`` and a note (rules: this module's docstring)."""
    try:
        chosen = Resolution(resolution)
    except ValueError:
        raise InputRefused(
            _("Unknown resolution {resolution}; use one of: {known}.").format(
                resolution=resolution, known=", ".join(r.value for r in Resolution)
            )
        ) from None
    text = note.strip()
    if not text:
        raise InputRefused(_("A resolution needs a note saying why."))
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.RECONCILE_RESOLVE) as (session, who):
        row = session.scalar(
            select(ReconciliationItem).where(ReconciliationItem.id == item_id).with_for_update()
        )
        if row is None:
            raise NotFound(_("No reconciliation difference {id}.").format(id=item_id))
        if row.state != "open":
            raise InputRefused(
                _("Difference {id} is already resolved ({resolution}, by {who}).").format(
                    id=row.id, resolution=row.resolution, who=row.resolved_by
                )
            )
        item = difference_item(row.kind, json.loads(row.detail))
        problems = check_resolution(item=item, resolution=chosen, note=text)
        if problems:
            raise InputRefused(
                _("Difference {id} cannot be resolved so; nothing was changed.").format(id=row.id), problems
            )
        run = session.get(ReconciliationRun, row.run_id)
        assert run is not None
        if chosen is Resolution.POST_MISSING_PAYMENT:
            require(who, Action.PAYMENT_TAKE)
            assert isinstance(item, StatementLine)
            row.posted_payment_id = _post_missing(
                ctx, session, run=run, line=item, actor=who.username, at=now
            )
        elif chosen in (Resolution.REVERSE_PAYMENT, Resolution.REVERSE_DUPLICATE):
            require(who, Action.PAYMENT_REVERSE_REQUEST)
            row.reversal_id = _reverse(ctx, session, item=item, note=text, actor=who.username, at=now)
        row.state = "resolved"
        row.resolution = chosen.value
        row.note = text
        row.resolved_by = who.username
        row.resolved_at = now
        session.flush()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="reconciliation.resolve",
            object_type="reconciliation_item",
            object_id=str(row.id),
            before={"state": "open", "kind": row.kind},
            after={
                "state": row.state,
                "resolution": row.resolution,
                "run": row.run_id,
                "posted_payment": row.posted_payment_id,
                "reversal": row.reversal_id,
            },
            reason=text,
        )
        return _item_view(row)
