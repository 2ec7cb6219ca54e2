"""Bank withholding (银行代扣) use cases: agreements, the debit file, the bank's result file
(docs/bank-files.md, ``m2c collect agreements-import | bank-export | bank-import``).

- `import_agreements` records withholding agreements (代扣协议) from a CSV/.xlsx file. The file is
  refused whole, nothing written, on any bad row: an unknown account, a bank the collection policy
  does not know, an agreement ending before it starts, or one that would overlap another agreement
  of the same account (at most one is active per account). A row that is already recorded is left
  as it is, and a row that gives a recorded agreement its day of ending ends it — so importing the
  same file again changes nothing.
- `export_debit_file` writes the debit file for one bank as of a day: every account with an
  agreement with that bank in force that day that owes money by the ledger (principal and late
  fees charged, less prepayment, in transactions dated up to that day — one grouped query over the
  ledger lines) and has no debit awaiting the bank's answer (a debit sent and not yet answered is
  never sent twice). The file is named batch ``WH-<bank>-<yyyymmdd>-<nn>``, each row referenced
  ``<batch>-<nnnnn>``; it is recorded with its lines and audited.
- `import_withholding_result` reads the bank's result file. Every row must answer a debit we sent
  (same reference, account and amount, one debit file per result file); a bad row refuses the file
  whole, nothing written. The succeeded debits are posted as ``bank_withholding`` payments of the
  batch with the bank's reference as their channel reference, allocated oldest debt first
  (`batch_payments.post_payment_batch`, in this unit of work); the failed ones are reported. The
  same file imported again is answered "already imported" and posts nothing; another file with the
  same bank references posts nothing twice (the references are replays).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.bank_debit_file import DebitEncoding, debit_file_csv
from meter2cash.collection.bank_file_store import BankFileView, file_view, imported_file, record_file
from meter2cash.collection.bank_files import FileFormat, parse_withholding_result, read_bank_table
from meter2cash.collection.bank_model import BankDebitLine, BankFileRecord, WithholdingAgreement
from meter2cash.collection.bank_records import DebitInstruction, WithholdingResult, WithholdingStatus
from meter2cash.collection.batch_payments import BatchPayment, BatchReport, post_payment_batch
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.collection.withholding_agreements import AgreementRow, agreement_rows
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import fen_text
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import require
from meter2cash.registry.model import Account

OWED_GLS = (gl.RECEIVABLE, gl.LATE_FEE_RECEIVABLE, gl.PREPAYMENT)
CHUNK = 5000
ZERO = Decimal("0.00")


def _refused(filename: str, problems: list[Problem]) -> InputRefused:
    summary = _("{name}: {count} problem(s); the whole file is refused")
    problems = sorted(problems, key=lambda p: (p.row is not None, p.row or 0))
    return InputRefused(summary.format(name=filename, count=len(problems)), problems)


def _unknown_bank(bank: str, known: Sequence[str]) -> str:
    return _("{bank} is not a bank of the collection policy (known: {known})").format(
        bank=bank, known=", ".join(sorted(known))
    )


# -- agreements ------------------------------------------------------------------------------------


@dataclass
class AgreementImport:
    filename: str
    sha256: str
    rows: int
    added: int = 0
    ended: int = 0
    unchanged: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.filename,
            "sha256": self.sha256,
            "rows": self.rows,
            "added": self.added,
            "ended": self.ended,
            "unchanged": self.unchanged,
        }


def _overlaps(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    """Whether [start, end) and [other_start, other_end) share a day (None: open-ended)."""
    return (other_end is None or start < other_end) and (end is None or other_start < end)


def _agreement_problems(
    session: Session, *, rows: Sequence[AgreementRow], banks: Sequence[str]
) -> tuple[list[Problem], dict[str, int], dict[int, WithholdingAgreement]]:
    """The problems that need the database, the account ids by number, and the row number of each
    row already recorded with its agreement."""
    numbers = sorted({row.account_no for row in rows})
    accounts: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        query = select(Account.account_no, Account.id).where(Account.account_no.in_(chunk))
        accounts.update((number, ident) for number, ident in session.execute(query))
    ids = sorted(accounts.values())
    recorded: dict[int, list[WithholdingAgreement]] = {}
    for start in range(0, len(ids), CHUNK):
        of_accounts = select(WithholdingAgreement).where(
            WithholdingAgreement.account_id.in_(ids[start : start + CHUNK])
        )
        for agreement in session.scalars(of_accounts.order_by(WithholdingAgreement.id)):
            recorded.setdefault(agreement.account_id, []).append(agreement)
    problems: list[Problem] = []
    known: dict[int, WithholdingAgreement] = {}
    periods: dict[int, list[tuple[date, date | None, int | None]]] = {}
    for account_id, agreements in recorded.items():
        periods[account_id] = [(a.signed_on, a.ended_on, a.id) for a in agreements]
    for row in rows:
        if row.bank not in banks:
            problems.append(Problem(_unknown_bank(row.bank, banks), row.row, "银行", row.bank))
        found = accounts.get(row.account_no)
        if found is None:
            problems.append(Problem(_("no such account"), row.row, "户号", row.account_no))
            continue
        account_id = found
        same = next(
            (
                a
                for a in recorded.get(account_id, [])
                if (a.bank, a.bank_account, a.signed_on) == (row.bank, row.bank_account, row.signed_on)
            ),
            None,
        )
        if same is not None:
            known[row.row] = same
            if same.ended_on is not None and same.ended_on != row.ended_on:
                reason = _("this agreement already ended on {day}").format(day=same.ended_on.isoformat())
                problems.append(
                    Problem(reason, row.row, "解约日期", row.ended_on.isoformat() if row.ended_on else "")
                )
            else:
                periods[account_id] = [
                    (start, row.ended_on if ident == same.id else end, ident)
                    for start, end, ident in periods[account_id]
                ]
            continue
        clash = next(
            (p for p in periods.get(account_id, []) if _overlaps(row.signed_on, row.ended_on, p[0], p[1])),
            None,
        )
        if clash is not None:
            reason = _(
                "overlaps another withholding agreement of this account (signed {day}); an account has at "
                "most one agreement in force: end the other one first"
            ).format(day=clash[0].isoformat())
            problems.append(Problem(reason, row.row, "签约日期", row.signed_on.isoformat()))
        periods.setdefault(account_id, []).append((row.signed_on, row.ended_on, None))
    return problems, accounts, known


def import_agreements(
    ctx: AppContext, *, actor: str | None, data: bytes, filename: str, fmt: FileFormat | None = None
) -> AgreementImport:
    """Record the withholding agreements of a file (rules: this module's docstring)."""
    headers, table, _encoding = read_bank_table(data=data, filename=filename, fmt=fmt)
    rows, problems = agreement_rows(headers=headers, rows=table)
    if problems:
        raise _refused(filename, problems)
    report = AgreementImport(filename=filename, sha256=hashlib.sha256(data).hexdigest(), rows=len(rows))
    banks = list(collection_policy(ctx.settings).banks)
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.BANK_FILE) as (session, who):
        more, accounts, known = _agreement_problems(session, rows=rows, banks=banks)
        if more:
            raise _refused(filename, more)
        for row in rows:
            same = known.get(row.row)
            if same is None:
                session.add(
                    WithholdingAgreement(
                        account_id=accounts[row.account_no],
                        bank=row.bank,
                        bank_account=row.bank_account,
                        holder=row.holder,
                        signed_on=row.signed_on,
                        ended_on=row.ended_on,
                        recorded_by=who.username,
                        recorded_at=now,
                    )
                )
                report.added += 1
            elif same.ended_on is None and row.ended_on is not None:
                same.ended_on = row.ended_on
                report.ended += 1
            else:
                report.unchanged += 1
        session.flush()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="withholding.agreements_import",
            object_type="withholding_agreements",
            object_id=report.sha256,
            after=report.as_json(),
        )
    return report


# -- the debit file --------------------------------------------------------------------------------


@dataclass
class DebitExport:
    """An exported debit file: its bytes to hand to the bank, and what it asks."""

    file: BankFileView
    bank: str
    batch: str
    on: date
    rows: tuple[DebitInstruction, ...]
    data: bytes

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file.as_json(),
            "bank": self.bank,
            "batch": self.batch,
            "on": self.on.isoformat(),
            "rows": len(self.rows),
            "total": fen_text(self.total),
            "debits": [
                {
                    "reference": row.reference,
                    "account_no": row.account_no,
                    "customer_name": row.customer_name,
                    "bank_account": row.bank_account,
                    "amount": fen_text(row.amount),
                }
                for row in self.rows
            ],
        }


def owed_by_agreement(session: Session, *, bank: str, on: date) -> list[tuple[int, str, str, str, Decimal]]:
    """(account id, account number, holder, bank account, owed) of every account with an agreement
    with ``bank`` in force on ``on``, active, owing money by the ledger as of ``on``, and without a
    debit awaiting an answer — one grouped query over the ledger lines."""
    agreement = WithholdingAgreement
    owed = func.sum(LedgerEntry.amount)
    awaiting = exists().where(BankDebitLine.account_id == Account.id, BankDebitLine.status.is_(None))
    query = (
        select(Account.id, Account.account_no, agreement.holder, agreement.bank_account, owed)
        .select_from(agreement)
        .join(Account, Account.id == agreement.account_id)
        .join(LedgerEntry, LedgerEntry.account_id == Account.id)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(
            agreement.bank == bank,
            agreement.signed_on <= on,
            or_(agreement.ended_on.is_(None), agreement.ended_on > on),
            Account.status == "active",
            LedgerEntry.gl.in_(OWED_GLS),
            LedgerTxn.business_day <= on,
            ~awaiting,
        )
        .group_by(Account.id, Account.account_no, agreement.holder, agreement.bank_account)
        .having(owed > 0)
        .order_by(Account.account_no)
    )
    return [(row[0], row[1], row[2], row[3], row[4]) for row in session.execute(query)]


def export_debit_file(
    ctx: AppContext,
    *,
    actor: str | None,
    bank: str,
    on: date | None = None,
    encoding: DebitEncoding = "utf-8-sig",
) -> DebitExport:
    """Write and record the debit file for ``bank`` as of ``on`` (today by default)."""
    banks = collection_policy(ctx.settings).banks
    if bank not in banks:
        raise InputRefused(_unknown_bank(bank, list(banks)))
    now = ctx.clock.now()
    day = on or business_date(now)
    with use_case(ctx, actor=actor, action=Action.BANK_FILE) as (session, who):
        earlier = session.scalar(
            select(func.count())
            .select_from(BankFileRecord)
            .where(
                BankFileRecord.kind == "debit_export",
                BankFileRecord.source == bank,
                BankFileRecord.as_of == day,
            )
        )
        batch = f"WH-{bank}-{day:%Y%m%d}-{int(earlier or 0) + 1:02d}"
        owing = owed_by_agreement(session, bank=bank, on=day)
        instructions = tuple(
            DebitInstruction(
                account_no=account_no,
                customer_name=holder,
                bank_account=bank_account,
                amount=amount,
                reference=f"{batch}-{number:05d}",
            )
            for number, (_id, account_no, holder, bank_account, amount) in enumerate(owing, start=1)
        )
        data = debit_file_csv(bank=bank, rows=instructions, encoding=encoding)
        total = sum((row.amount for row in instructions), ZERO)
        record = record_file(
            session,
            kind="debit_export",
            source=bank,
            filename=f"{batch}.csv",
            sha256=hashlib.sha256(data).hexdigest(),
            encoding=encoding,
            rows=len(instructions),
            total=total,
            actor=who.username,
            at=now,
            batch=batch,
            as_of=day,
        )
        session.add_all(
            BankDebitLine(
                bank_file_id=record.id,
                reference=row.reference,
                account_id=account_id,
                bank_account=row.bank_account,
                amount=row.amount,
            )
            for row, (account_id, *_rest) in zip(instructions, owing, strict=True)
        )
        session.flush()
        export = DebitExport(file_view(record), bank, batch, day, instructions, data)
        after = {key: value for key, value in export.as_json().items() if key != "debits"}
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="bank_file.export",
            object_type="bank_file",
            object_id=str(record.id),
            after=after,
        )
    return export


# -- the result file -------------------------------------------------------------------------------


@dataclass
class WithholdingImport:
    file: BankFileView
    bank: str
    batch: str
    already_imported: bool
    succeeded: int = 0
    succeeded_amount: Decimal = ZERO
    failed: list[dict[str, object]] = field(default_factory=list)
    payments: BatchReport | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file.as_json(),
            "bank": self.bank,
            "batch": self.batch,
            "already_imported": self.already_imported,
            "succeeded": self.succeeded,
            "succeeded_amount": fen_text(self.succeeded_amount),
            "failed": self.failed,
            "payments": self.payments.as_json() if self.payments else None,
        }


def _failed_json(
    reference: str, account_no: str, amount: Decimal, reason: str | None, row: int | None
) -> dict[str, object]:
    return {
        "reference": reference,
        "account_no": account_no,
        "amount": fen_text(amount),
        "reason": reason,
        "row": row,
    }


def _debits(
    session: Session, references: Sequence[str]
) -> dict[str, tuple[BankDebitLine, str, BankFileRecord]]:
    found: dict[str, tuple[BankDebitLine, str, BankFileRecord]] = {}
    for start in range(0, len(references), CHUNK):
        query = (
            select(BankDebitLine, Account.account_no, BankFileRecord)
            .join(Account, Account.id == BankDebitLine.account_id)
            .join(BankFileRecord, BankFileRecord.id == BankDebitLine.bank_file_id)
            .where(BankDebitLine.reference.in_(references[start : start + CHUNK]))
        )
        for line, account_no, export in session.execute(query):
            found[line.reference] = (line, account_no, export)
    return found


def _result_problems(
    lines: Sequence[WithholdingResult], debits: dict[str, tuple[BankDebitLine, str, BankFileRecord]]
) -> tuple[list[Problem], BankFileRecord | None]:
    problems = []
    export: BankFileRecord | None = None
    for line in lines:
        found = debits.get(line.reference)
        if found is None:
            reason = _("is not the reference of a debit in any debit file we sent")
            problems.append(Problem(reason, line.row, "扣款流水号", line.reference))
            continue
        debit, account_no, sent = found
        export = export or sent
        if sent.id != export.id:
            reason = _("belongs to batch {batch}, not {first}: one result file answers one debit file")
            problems.append(
                Problem(
                    reason.format(batch=sent.batch, first=export.batch),
                    line.row,
                    "扣款流水号",
                    line.reference,
                )
            )
        if account_no != line.account_no:
            reason = _("the debit file asked account {account} under this reference").format(
                account=account_no
            )
            problems.append(Problem(reason, line.row, "户号", line.account_no))
        if debit.amount != line.amount:
            reason = _("the debit file asked {amount} yuan under this reference").format(
                amount=fen_text(debit.amount)
            )
            problems.append(Problem(reason, line.row, "金额", fen_text(line.amount)))
        if debit.status is not None and (debit.status, debit.bank_ref) != (line.status.value, line.bank_ref):
            reason = _("the bank already answered this debit otherwise ({status} {bank_ref})").format(
                status=debit.status, bank_ref=debit.bank_ref or "-"
            )
            problems.append(Problem(reason, line.row, "状态", line.status.value))
    return problems, export


def _replayed_import(session: Session, *, seen: BankFileRecord) -> WithholdingImport:
    answered = session.execute(
        select(BankDebitLine, Account.account_no)
        .join(Account, Account.id == BankDebitLine.account_id)
        .where(BankDebitLine.result_file_id == seen.id)
        .order_by(BankDebitLine.reference)
    )
    report = WithholdingImport(file_view(seen), seen.source, seen.batch or "", already_imported=True)
    for line, account_no in answered:
        if line.status == WithholdingStatus.SUCCEEDED.value:
            report.succeeded += 1
            report.succeeded_amount += line.amount
        else:
            report.failed.append(_failed_json(line.reference, account_no, line.amount, line.reason, None))
    return report


def import_withholding_result(
    ctx: AppContext,
    *,
    actor: str | None,
    data: bytes,
    filename: str,
    bank: str | None = None,
    paid_on: date | None = None,
    fmt: FileFormat | None = None,
) -> WithholdingImport:
    """Post the succeeded debits of a bank's result file (rules: this module's docstring). The actor
    needs ``payment.take`` and ``bank.file``; ``paid_on`` (default today) is the payments' day."""
    parsed = parse_withholding_result(data=data, filename=filename, fmt=fmt)
    for attempt in range(2):
        try:
            return _import_result(
                ctx,
                actor=actor,
                parsed_lines=parsed.lines,
                filename=filename,
                sha256=parsed.sha256,
                encoding=parsed.encoding,
                bank=bank,
                paid_on=paid_on,
            )
        except IntegrityError:  # the same file imported at the same moment: the second finds the first
            if attempt:
                raise
    raise AssertionError("unreachable")


def _import_result(
    ctx: AppContext,
    *,
    actor: str | None,
    parsed_lines: Sequence[WithholdingResult],
    filename: str,
    sha256: str,
    encoding: str,
    bank: str | None,
    paid_on: date | None,
) -> WithholdingImport:
    now = ctx.clock.now()
    today = business_date(now)
    with use_case(ctx, actor=actor, action=Action.PAYMENT_TAKE) as (session, who):
        require(who, Action.BANK_FILE)
        seen = imported_file(session, kind="withholding_result", sha256=sha256)
        if seen is not None:
            return _replayed_import(session, seen=seen)
        debits = _debits(session, [line.reference for line in parsed_lines])
        problems, export = _result_problems(parsed_lines, debits)
        if problems or export is None:
            raise _refused(filename, problems)
        if bank is not None and bank != export.source:
            raise InputRefused(
                _("{name} answers debit file {batch}, sent to {bank}, not to {given}.").format(
                    name=filename, batch=export.batch, bank=export.source, given=bank
                )
            )
        day = paid_on or today
        succeeded = [line for line in parsed_lines if line.status is WithholdingStatus.SUCCEEDED]
        payments = None
        if succeeded:
            payments = post_payment_batch(
                session,
                batch=export.batch or "",
                channel=gl.Channel.BANK_WITHHOLDING,
                method=gl.Method.DEBIT,
                source=export.source,
                rows=[
                    BatchPayment(line.account_no, line.amount, day, line.bank_ref or "") for line in succeeded
                ],
                policy=collection_policy(ctx.settings),
                late_fee_policy=late_fee_policy(ctx.settings),
                at=now,
                today=today,
                actor=who.username,
            )
        record = record_file(
            session,
            kind="withholding_result",
            source=export.source,
            filename=filename,
            sha256=sha256,
            encoding=encoding,
            rows=len(parsed_lines),
            total=sum((line.amount for line in parsed_lines), ZERO),
            actor=who.username,
            at=now,
            batch=export.batch,
        )
        report = WithholdingImport(
            file_view(record), export.source, export.batch or "", False, payments=payments
        )
        for line in parsed_lines:
            debit = debits[line.reference][0]
            if debit.status is None:
                debit.status, debit.bank_ref, debit.reason = line.status.value, line.bank_ref, line.reason
                debit.result_file_id = record.id
            if line.status is WithholdingStatus.SUCCEEDED:
                report.succeeded += 1
                report.succeeded_amount += line.amount
            else:
                report.failed.append(
                    _failed_json(line.reference, line.account_no, line.amount, line.reason, line.row)
                )
        session.flush()
        after = {key: value for key, value in report.as_json().items() if key != "failed"}
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="bank_file.import",
            object_type="bank_file",
            object_id=str(record.id),
            after={**after, "failed": len(report.failed)},
        )
        return report
