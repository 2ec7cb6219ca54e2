"""Corrections (退补) of issued bills: propose, decide (four eyes), list. docs/corrections.md.

- `propose_correction` (billing clerk, manager, admin): the bills must be the account's issued
  bills. The billed side of each period is read from the stored bill — its determinant, the
  account's facts and the bill's own tariff version — unless the case states its ``periods``
  (then they must match the bills' periods). Either way the billed side must reproduce the issued
  bill's total, so the difference is against what the customer was actually charged. The energy
  and money come from `billing.corrections` (the same engine as a bill run). Refused: a
  DOUBLE refund or back-bill — an approved or proposed correction of the same reason for the
  account whose period overlaps — and a refund that would take a bill below zero (its total plus
  every approved or proposed correction of it).
- `decide_correction` (reviewer, manager, admin; never the proposer): approving issues an
  adjustment bill (kind ``adj-<id>``, period = the month of approval, one line per changed line
  of each period, numbered from the gap-free bill number sequence, due by the class's payment
  terms) and its receivable row for collection; rejecting only records the decision.
- Every state change writes its audit record in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Bill, BillLine, Receivable
from meter2cash.billing.correction_model import Correction, CorrectionBill
from meter2cash.billing.correction_quote import parse_correction
from meter2cash.billing.corrections import (
    REASON_NAMES_ZH,
    BilledPeriod,
    CorrectionResult,
    Reason,
    compute,
)
from meter2cash.billing.fixed_point import QTY, decimal_of
from meter2cash.billing.issue import take_numbers
from meter2cash.billing.issue_policy import bill_number, due_date
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.run_inputs import TariffBook, load_inputs
from meter2cash.billing.tariff import BasicChargeBy, TouPeriod
from meter2cash.billing.usage import UsageCase, UsageColumns
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import PermissionDenied
from meter2cash.registry.model import Account

OPEN_STATES = ("proposed", "approved")
ISSUED = "issued"


class CorrectionFourEyes(PermissionDenied):
    """The person who proposed a correction tried to decide it."""


class CorrectionWrongState(InputRefused):
    """The correction was already decided."""


@dataclass(frozen=True, slots=True)
class CorrectionView:
    id: int
    account_no: str
    reason: str
    period_from: date
    period_to: date
    kwh_difference: Decimal
    money_difference: Decimal
    state: str
    reason_text: str
    proposed_by: str
    created_at: str
    decided_by: str | None
    decision_reason: str | None
    bill_ids: tuple[int, ...]
    adjustment_bill_no: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "account_no": self.account_no,
            "reason": self.reason,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "kwh_difference": f"{self.kwh_difference.normalize():f}",
            "money_difference": str(self.money_difference),
            "state": self.state,
            "reason_text": self.reason_text,
            "proposed_by": self.proposed_by,
            "created_at": self.created_at,
            "decided_by": self.decided_by,
            "decision_reason": self.decision_reason,
            "bill_ids": list(self.bill_ids),
            "adjustment_bill_no": self.adjustment_bill_no,
        }


# ---------------------------------------------------------------------------------------------
# Propose


def _usage_of(columns: UsageColumns, row: int) -> UsageCase:
    """The bill run's row as a case (the same numbers, so pricing it gives the same bill)."""

    def qty(column: Any) -> Decimal:
        return decimal_of(column[row], scale=QTY)

    start, end = columns.periods[int(columns.period_of[row])]
    tou: dict[TouPeriod, Decimal] = {}
    if columns.has_tou[row]:
        tou = {period: qty(column) for period, column in columns.tou.items() if period is not TouPeriod.FLAT}
    return UsageCase(
        start=start,
        end=end,
        category=str(columns.categories[row]),
        kwh_total=qty(columns.kwh),
        kwh_tou=tou,
        kvarh=qty(columns.kvarh) if columns.has_kvarh[row] else None,
        max_demand_kw=qty(columns.demand) if columns.has_demand[row] else None,
        capacity_kva=qty(columns.capacity),
        contract_demand_kw=qty(columns.contract_demand) if columns.has_contract[row] else None,
        basic_charge_by=BasicChargeBy(str(columns.basic_by[row])),
        basic_days=int(columns.basic_days[row]),
        pf_standard=str(columns.pf_standard[row]),
        low_income=bool(columns.low_income[row]),
        year_to_date_kwh=qty(columns.year_to_date),
        transformer_loss_kwh=qty(columns.transformer_loss),
        transformer_loss_kvarh=qty(columns.transformer_loss_kvarh),
        line_loss_kwh=qty(columns.line_loss),
        deduct_kwh=qty(columns.deduct),
        deduct_tou={p: qty(c) for p, c in columns.deduct_tou.items()},
    )


def _stored_period(
    session: Session, bill: Bill, book: TariffBook, problems: list[Problem]
) -> BilledPeriod | None:
    """What the issued bill was priced on, read back as a bill run reads it."""
    where = f"bills[{bill.id}]"
    tariff = book.by_version.get(bill.tariff_version)
    if tariff is None:
        problems.append(
            Problem(column=where, value=bill.tariff_version, reason="电价目录中没有该账单的电价版本")
        )
        return None
    inputs = load_inputs(session, period=bill.period, account_ids=[bill.account_id], book=book)
    if not inputs.account_ids or inputs.determinant_ids[0] != bill.determinant_id:
        problems.append(
            Problem(
                column=where,
                reason="账单的计费电量已变更或无法重新读取，请在退补请求中写明各期用量 "
                "the bill's determinant changed: state the periods in the case",
            )
        )
        return None
    if len(inputs.job.owners) > 1:
        problems.append(
            Problem(
                column=where,
                reason="该户有定量定比，暂不能自动退补 accounts with a fixed split cannot be corrected yet",
            )
        )
        return None
    return BilledPeriod(label=bill.period, tariff=tariff, usage=_usage_of(inputs.job.usage, 0))


def _issued_bills(
    session: Session, account: Account, bill_ids: Sequence[int], problems: list[Problem]
) -> list[Bill]:
    if not bill_ids:
        problems.append(Problem(column="bills", reason="至少给出一张要退补的账单 give the bills to correct"))
        return []
    found = {b.id: b for b in session.scalars(select(Bill).where(Bill.id.in_(list(bill_ids))))}
    bills: list[Bill] = []
    for bill_id in dict.fromkeys(bill_ids):
        bill = found.get(bill_id)
        if bill is None:
            problems.append(Problem(column="bills", value=str(bill_id), reason="没有这张账单 no such bill"))
        elif bill.account_id != account.id:
            problems.append(
                Problem(column="bills", value=str(bill_id), reason=f"不是户号{account.account_no}的账单")
            )
        elif bill.state != ISSUED:
            problems.append(
                Problem(
                    column="bills",
                    value=str(bill_id),
                    reason=f"只有已发行的账单才退补（该账单为{bill.state}） only issued bills are corrected",
                )
            )
        elif bill.kind != "regular":
            problems.append(
                Problem(
                    column="bills", value=str(bill_id), reason="退补调整账单不能再退补 an adjustment bill"
                )
            )
        else:
            bills.append(bill)
    return sorted(bills, key=lambda b: b.start_on)


def _match(result: CorrectionResult, bills: Sequence[Bill], problems: list[Problem]) -> list[Bill]:
    """The bill of each computed period, by its dates; the billed side must reproduce it."""
    by_dates = {(b.start_on, b.end_on): b for b in bills}
    matched: list[Bill] = []
    for index, period in enumerate(result.periods):
        bill = by_dates.pop((period.start, period.end), None)
        if bill is None:
            problems.append(
                Problem(
                    column=f"periods[{index}].period",
                    value=period.label,
                    reason="没有对应这一期的账单 no bill given for this period",
                )
            )
            continue
        if period.billed.total != bill.total:
            problems.append(
                Problem(
                    column=f"periods[{index}]",
                    value=period.label,
                    reason=f"按原计费重算得{period.billed.total}元，"
                    f"与已发行账单{bill.bill_no}的{bill.total}元不符 "
                    "the billed usage does not reproduce the issued bill",
                )
            )
        matched.append(bill)
    for bill in by_dates.values():
        problems.append(
            Problem(
                column="bills",
                value=str(bill.id),
                reason="退补请求中没有这张账单的计费期 no period for this bill",
            )
        )
    return matched


def _double_refund(
    session: Session,
    *,
    account: Account,
    reason: Reason,
    result: CorrectionResult,
    bills: Sequence[Bill],
    problems: list[Problem],
) -> None:
    start = min(p.start for p in result.periods)
    end = max(p.end for p in result.periods)
    overlapping = session.scalars(
        select(Correction.id)
        .where(
            Correction.account_id == account.id,
            Correction.reason == reason.value,
            Correction.state.in_(OPEN_STATES),
            Correction.period_from < end,
            Correction.period_to > start,
        )
        .order_by(Correction.id)
    ).all()
    for other in overlapping:
        problems.append(
            Problem(
                column="periods",
                value=str(other),
                reason=f"同一原因的退补{other}已覆盖重叠的期间，不能重复退补 "
                "a correction of the same reason already covers an overlapping period",
            )
        )
    for period, bill in zip(result.periods, bills, strict=True):
        earlier = session.scalar(
            select(func.coalesce(func.sum(CorrectionBill.money_difference), 0))
            .join(Correction, Correction.id == CorrectionBill.correction_id)
            .where(CorrectionBill.bill_id == bill.id, Correction.state.in_(OPEN_STATES))
        )
        left = bill.total + Decimal(earlier or 0) + period.money_difference
        if period.money_difference < 0 and left < 0:
            problems.append(
                Problem(
                    column="bills",
                    value=str(bill.id),
                    reason=f"退还{-period.money_difference}元超过该账单尚可退还的"
                    f"{bill.total + Decimal(earlier or 0)}元 the refund exceeds what was billed",
                )
            )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def propose_correction(
    ctx: AppContext,
    *,
    actor: str | None,
    account_no: str,
    case: Mapping[str, Any],
    bill_ids: Sequence[int],
    reason_text: str,
) -> CorrectionView:
    """Compute and record a proposed correction of an account's issued bills (docs/corrections.md)."""
    with use_case(ctx, actor=actor, action=Action.CORRECTION_PROPOSE) as (session, who):
        account = session.scalar(select(Account).where(Account.account_no == account_no))
        if account is None:
            raise NotFound(_("Unknown account: {code}").format(code=account_no))
        problems: list[Problem] = []
        bills = _issued_bills(session, account, bill_ids, problems)
        if problems:
            raise InputRefused(_("The correction was refused"), problems)
        book = TariffBook(session)
        stored = None
        if "periods" not in case:
            read = [_stored_period(session, bill, book, problems) for bill in bills]
            if problems:
                raise InputRefused(_("The correction was refused"), problems)
            stored = [p for p in read if p is not None]
        parsed = parse_correction(data=case, resolve=book.on, stored=stored)
        result = compute(case=parsed, pf_tables=official_tables())
        matched = _match(result, bills, problems)
        if not problems:
            _double_refund(
                session,
                account=account,
                reason=parsed.reason,
                result=result,
                bills=matched,
                problems=problems,
            )
        if not problems and result.money_difference == 0 and result.kwh_difference == 0:
            problems.append(Problem(column="parameters", reason="差额为零，无需退补 nothing to correct"))
        if problems:
            raise InputRefused(_("The correction was refused"), problems)
        now = ctx.clock.now()
        correction = Correction(
            account_id=account.id,
            reason=parsed.reason.value,
            period_from=min(p.start for p in result.periods),
            period_to=max(p.end for p in result.periods),
            kwh_difference=result.kwh_difference,
            money_difference=result.money_difference,
            detail=json.dumps(
                {
                    "case": _jsonable(case),
                    "bill_ids": [b.id for b in matched],
                    "result": result.as_json(),
                    "priced": [
                        {
                            "period": p.label,
                            "bill_id": b.id,
                            "billed": p.billed.as_json(),
                            "corrected": p.corrected.as_json(),
                        }
                        for p, b in zip(result.periods, matched, strict=True)
                    ],
                },
                ensure_ascii=False,
            ),
            reason_text=reason_text.strip() or REASON_NAMES_ZH[parsed.reason],
            state="proposed",
            proposed_by=who.username,
            created_at=now.isoformat(),
        )
        session.add(correction)
        session.flush()
        for period, bill in zip(result.periods, matched, strict=True):
            session.add(
                CorrectionBill(
                    correction_id=correction.id,
                    bill_id=bill.id,
                    period=bill.period,
                    kwh_difference=period.kwh_difference,
                    money_difference=period.money_difference,
                )
            )
        session.flush()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="correction.propose",
            object_type="correction",
            object_id=str(correction.id),
            after={
                "account_no": account.account_no,
                "reason": correction.reason,
                "bills": [b.id for b in matched],
                "period_from": correction.period_from.isoformat(),
                "period_to": correction.period_to.isoformat(),
                "kwh_difference": f"{result.kwh_difference.normalize():f}",
                "money_difference": str(result.money_difference),
                "rule": result.rule,
            },
            reason=correction.reason_text,
        )
        return _view(session, correction, account.account_no)


# ---------------------------------------------------------------------------------------------
# Decide


def _next_bill_no(session: Session, year: int) -> str:
    """The next number of the gap-free sequence, from the issue counter (locked until commit)."""
    counter = take_numbers(session, year=year)
    counter.last_no += 1
    session.flush()
    return bill_number(year=year, seq=counter.last_no)


def _adjustment_lines(correction: Correction) -> list[dict[str, Any]]:
    """One line per changed line of each period: the difference, with its quantity and price."""
    detail = json.loads(correction.detail)
    reason = REASON_NAMES_ZH[Reason(correction.reason)]
    lines: list[dict[str, Any]] = []
    for period, priced in zip(detail["result"]["periods"], detail["priced"], strict=True):
        billed = {line["code"]: line for line in priced["billed"]["lines"]}
        corrected = {line["code"]: line for line in priced["corrected"]["lines"]}
        for line in period["lines"]:
            difference = Decimal(line["difference"])
            if not difference:
                continue
            before, after = billed.get(line["code"]), corrected.get(line["code"])
            shown = after or before
            assert shown is not None
            quantity = Decimal(after["quantity"] if after else 0) - Decimal(
                before["quantity"] if before else 0
            )
            lines.append(
                {
                    "code": f"adj.{line['code']}"[:60],
                    "label": f"{period['period']}退补·{line['label']}"[:100],
                    "quantity": quantity,
                    "unit": shown["unit"],
                    "unit_price": shown["unit_price"],
                    "amount": difference,
                    "rule": f"{reason}退补（退补单{correction.id}）：{period['period']}"
                    f"原计费{line['billed']}元，更正后{line['corrected']}元",
                    "tariff_version": shown["tariff_version"],
                }
            )
    return lines


def _issue_adjustment(session: Session, correction: Correction, *, by: str, at: str, today: date) -> Bill:
    """The adjustment bill of an approved correction, issued at once with its receivable."""
    account = session.get(Account, correction.account_id)
    assert account is not None
    latest = session.scalars(
        select(Bill)
        .join(CorrectionBill, CorrectionBill.bill_id == Bill.id)
        .where(CorrectionBill.correction_id == correction.id)
        .order_by(Bill.start_on.desc())
    ).first()
    assert latest is not None
    number = _next_bill_no(session, today.year)
    due = due_date(issued_on=today, category=account.category)
    bill = Bill(
        account_id=account.id,
        period=f"{today.year:04d}-{today.month:02d}",
        kind=f"adj-{correction.id}",
        state="approved",
        run_id=latest.run_id,
        determinant_id=latest.determinant_id,
        tariff_version=latest.tariff_version,
        start_on=correction.period_from,
        end_on=correction.period_to,
        kwh=correction.kwh_difference,
        total=correction.money_difference,
        power_factor=None,
        pf_percent=None,
        quality="correction",
        computed_by=correction.proposed_by,
        computed_at=correction.created_at,
        reviewed_by=by,
        reviewed_at=at,
        review_reason=correction.decision_reason,
        bill_no=number,
        issued_on=today,
        issued_by=by,
        due_on=due,
    )
    session.add(bill)
    session.flush()
    for seq, line in enumerate(_adjustment_lines(correction), start=1):
        session.add(BillLine(bill_id=bill.id, seq=seq, **line))
    session.flush()
    bill.state = ISSUED  # lines first: the database refuses lines added to an issued bill
    session.add(
        Receivable(
            bill_id=bill.id,
            account_id=account.id,
            bill_no=number,
            period=bill.period,
            amount=correction.money_difference,
            issued_on=today,
            due_on=due,
        )
    )
    session.flush()
    return bill


def decide_correction(
    ctx: AppContext, *, actor: str | None, correction_id: int, approve: bool, reason: str
) -> CorrectionView:
    """Approve or reject a proposed correction; never by its proposer (四眼原则)."""
    action = Action.CORRECTION_APPROVE
    with use_case(ctx, actor=actor, action=action) as (session, who):
        correction = session.get(Correction, correction_id, with_for_update=True)
        if correction is None:
            raise NotFound(_("Unknown correction {id}").format(id=correction_id))
        if correction.state != "proposed":
            raise CorrectionWrongState(
                _("Correction {id} was already {state}.").format(id=correction_id, state=correction.state)
            )
        if correction.proposed_by == who.username:
            raise CorrectionFourEyes(
                _(
                    "Four eyes: {user} proposed this correction and may not approve or reject it; "
                    "another reviewer must."
                ).format(user=who.username)
            )
        if not reason.strip():
            raise InputRefused(
                _("The correction was refused"),
                [Problem(column="reason", reason="必须写明审批理由 a reason is required")],
            )
        now = ctx.clock.now()
        correction.decided_by = who.username
        correction.decided_at = now.isoformat()
        correction.decision_reason = reason.strip()
        after: dict[str, Any] = {"money_difference": str(correction.money_difference)}
        if approve:
            bill = _issue_adjustment(
                session, correction, by=who.username, at=now.isoformat(), today=business_date(now)
            )
            correction.adjustment_bill_id = bill.id
            after |= {"adjustment_bill_id": bill.id, "bill_no": bill.bill_no, "due_on": str(bill.due_on)}
        correction.state = "approved" if approve else "rejected"
        after["state"] = correction.state
        session.flush()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="correction.approve" if approve else "correction.reject",
            object_type="correction",
            object_id=str(correction.id),
            before={"state": "proposed"},
            after=after,
            reason=correction.decision_reason,
        )
        account_no = session.scalar(select(Account.account_no).where(Account.id == correction.account_id))
        return _view(session, correction, str(account_no))


# ---------------------------------------------------------------------------------------------
# Read


def _view(session: Session, correction: Correction, account_no: str) -> CorrectionView:
    bill_ids = tuple(
        session.scalars(
            select(CorrectionBill.bill_id)
            .where(CorrectionBill.correction_id == correction.id)
            .order_by(CorrectionBill.id)
        )
    )
    bill_no = (
        session.scalar(select(Bill.bill_no).where(Bill.id == correction.adjustment_bill_id))
        if correction.adjustment_bill_id is not None
        else None
    )
    return CorrectionView(
        id=correction.id,
        account_no=account_no,
        reason=correction.reason,
        period_from=correction.period_from,
        period_to=correction.period_to,
        kwh_difference=correction.kwh_difference,
        money_difference=correction.money_difference,
        state=correction.state,
        reason_text=correction.reason_text,
        proposed_by=correction.proposed_by,
        created_at=correction.created_at,
        decided_by=correction.decided_by,
        decision_reason=correction.decision_reason,
        bill_ids=bill_ids,
        adjustment_bill_no=bill_no,
    )


def list_corrections(
    ctx: AppContext, *, actor: str | None, account_no: str | None = None, state: str | None = None
) -> list[CorrectionView]:
    """Corrections, newest first, of one account or all, in one state or all."""
    with use_case(ctx, actor=actor, action=Action.BILL_READ) as (session, _who):
        query = (
            select(Correction, Account.account_no)
            .join(Account, Account.id == Correction.account_id)
            .order_by(Correction.id.desc())
        )
        if account_no is not None:
            query = query.where(Account.account_no == account_no)
        if state is not None:
            query = query.where(Correction.state == state)
        return [_view(session, correction, number) for correction, number in session.execute(query)]


def correction_detail(ctx: AppContext, *, actor: str | None, correction_id: int) -> dict[str, Any]:
    """One correction with its whole computation (the case, and each period priced both ways)."""
    with use_case(ctx, actor=actor, action=Action.BILL_READ) as (session, _who):
        row = session.execute(
            select(Correction, Account.account_no)
            .join(Account, Account.id == Correction.account_id)
            .where(Correction.id == correction_id)
        ).first()
        if row is None:
            raise NotFound(_("Unknown correction {id}").format(id=correction_id))
        correction, number = row
        return {**_view(session, correction, number).as_json(), "detail": json.loads(correction.detail)}
