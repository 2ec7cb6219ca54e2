"""Bill review (量费审核): the rules on draft bills, the review queue, and a reviewer's decision.

- ``review_bills`` runs the review rules (`review_rules`) on the period's draft bills (of one
  route book, or all): a bill with no finding that needs a human is **approved automatically**
  (``reviewed_by`` stays NULL — no person looked at it — and ``review_reason`` says so); one with
  such a finding is **flagged**, its findings stored with it, and waits in the review queue.
  Only drafts are looked at, so running it again changes nothing. One audit record per call.
- ``review_queue`` lists the flagged bills by route book with their reasons.
- ``decide_bill``: a reviewer (审核员) approves or rejects one flagged bill, always with a reason.
  The reviewer may not be the person who ran the calculation (``bill.computed_by``, 四眼原则;
  the database refuses it too). A rejected bill goes back: to **reading** — an exception
  ``BILL_REJECTED`` opens in the route book's reading queue (``m2c read exceptions``) for the
  account's meter and period — or to **billing**, where it waits for ``m2c bill run --reprice``
  (a run prices rejected and flagged bills again; approved and issued bills it never touches).

Facts are read in a handful of queries per call, whatever the number of bills; the rules are
pure and run once per bill.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Numeric,
    Select,
    String,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, aliased

from meter2cash.billing.bill_model import FACTOR, MONEY, QUANTITY, Bill, BillFinding, BillLine, BillReview
from meter2cash.billing.bill_store import remove_drafts
from meter2cash.billing.model import TariffVersion
from meter2cash.billing.review_codes import ReviewSeverity
from meter2cash.billing.review_policy import DEFAULT_REVIEW_POLICY, ReviewPolicy
from meter2cash.billing.review_rules import (
    BillFacts,
    PastPeriod,
    ReviewFinding,
    TariffChange,
    needs_a_human,
    review_bill,
)
from meter2cash.billing.review_wording import describe
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import PermissionDenied
from meter2cash.reading.model import BILL_REJECTED, ENERGY, BillingDeterminant, ReadingException, ReadingTask
from meter2cash.reading.plans import route_books
from meter2cash.reading.schedule import BadPeriodLabel, parse_period
from meter2cash.registry.model import Account, Meter, MeterInstall, RouteBook, ServicePoint, TariffAssignment

BACK_TO = ("reading", "billing")
_CHUNK = 5000


class FourEyesViolation(PermissionDenied):
    """The person who ran a bill's calculation tried to approve or reject it."""


class WrongBillState(InputRefused):
    """A step asked of a bill (or a route book) in a state that does not allow it."""


@dataclass
class ReviewReport:
    period: str
    scope: str
    reviewed: int = 0
    approved: int = 0
    flagged: int = 0
    flagged_by_code: dict[str, int] = field(default_factory=dict)
    notes_by_code: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.period,
            "scope": self.scope,
            "reviewed": self.reviewed,
            "auto_approved": self.approved,
            "flagged": self.flagged,
            "flagged_by_code": self.flagged_by_code,
            "notes_by_code": self.notes_by_code,
        }


def check_period(period: str) -> None:
    try:
        parse_period(period)
    except BadPeriodLabel:
        raise InputRefused(
            _("A period is written YYYY-MM, e.g. 2026-10: {period}").format(period=period)
        ) from None


def months_before(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + (month - 1) - months
    return f"{index // 12}-{index % 12 + 1:02d}"


def review_bills(
    ctx: AppContext,
    *,
    actor: str | None,
    period: str,
    route_book: str | None = None,
    policy: ReviewPolicy = DEFAULT_REVIEW_POLICY,
) -> ReviewReport:
    """Run the review rules on the period's draft bills: approve the clean ones, flag the rest."""
    check_period(period)
    scope = route_book or "*"
    report = ReviewReport(period=period, scope=scope)
    with use_case(ctx, actor=actor, action=Action.BILL_REVIEW) as (session, who):
        books = route_books(session, route_book)
        book_ids = [b.id for b in books]
        facts = _facts(session, period=period, book_ids=book_ids, all_books=route_book is None, policy=policy)
        if not facts:
            return report
        now = ctx.clock.now().isoformat()
        approved: list[int] = []
        flagged: list[int] = []
        rows: list[dict[str, object]] = []
        flag_codes: Counter[str] = Counter()
        note_codes: Counter[str] = Counter()
        for bill in facts:
            findings = review_bill(bill, policy=policy)
            (flagged if needs_a_human(findings) else approved).append(bill.bill_id)
            for found in findings:
                (flag_codes if found.severity is ReviewSeverity.FLAG else note_codes)[found.code.value] += 1
                rows.append(_finding_row(bill.bill_id, found))
        if rows:
            session.execute(insert(BillFinding), rows)
        automatic = _("approved automatically: no review rule needs a human")
        for start in range(0, len(approved), _CHUNK):
            session.execute(
                update(Bill)
                .where(Bill.id.in_(approved[start : start + _CHUNK]), Bill.state == "draft")
                .values(state="approved", reviewed_at=now, review_reason=automatic)
                .execution_options(synchronize_session=False)
            )
        for start in range(0, len(flagged), _CHUNK):
            session.execute(
                update(Bill)
                .where(Bill.id.in_(flagged[start : start + _CHUNK]), Bill.state == "draft")
                .values(state="flagged")
                .execution_options(synchronize_session=False)
            )
        report.reviewed = len(facts)
        report.approved = len(approved)
        report.flagged = len(flagged)
        report.flagged_by_code = dict(sorted(flag_codes.items()))
        report.notes_by_code = dict(sorted(note_codes.items()))
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="bill.review",
            object_type="bill_period",
            object_id=f"{period}:{scope}",
            after=report.as_json() | {"approved_bill_ids": approved, "flagged_bill_ids": flagged},
        )
    return report


def _finding_row(bill_id: int, found: ReviewFinding) -> dict[str, object]:
    return {
        "bill_id": bill_id,
        "code": found.code.value,
        "severity": found.severity.value,
        "detail": describe(found),
    }


def _drafts(period: str, book_ids: Sequence[int], *, all_books: bool) -> Select[Any]:
    """Ids of the period's draft bills in scope (a subquery for the fact queries)."""
    query = select(Bill.id).where(Bill.period == period, Bill.state == "draft")
    if not all_books:
        query = query.join(Account, Account.id == Bill.account_id).where(Account.route_book_id.in_(book_ids))
    return query


class _Columns:
    """Reads exact and date columns without the per-value type round trip, for the fact queries:
    SQLite keeps an ExactDecimal as a scaled integer and a date as ISO text, so those are read raw
    and converted here (20,000 bills × a dozen values add up); PostgreSQL returns them as they are."""

    def __init__(self, session: Session) -> None:
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def exact(self, column: Any) -> Any:
        return (
            type_coerce(column, BigInteger) if self.sqlite else type_coerce(column, Numeric(asdecimal=True))
        )

    def day(self, column: Any) -> Any:
        return type_coerce(column, String) if self.sqlite else column

    def decimal(self, value: Any, scale: int) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-scale) if self.sqlite else Decimal(value)

    def required(self, value: Any, scale: int) -> Decimal:
        return Decimal(value).scaleb(-scale) if self.sqlite else Decimal(value)

    def date(self, value: Any) -> date:
        return date.fromisoformat(value) if self.sqlite else value


def _facts(
    session: Session, *, period: str, book_ids: Sequence[int], all_books: bool, policy: ReviewPolicy
) -> list[BillFacts]:
    c = _Columns(session)
    run = session.connection()  # Core rows: no ORM row processing
    drafts = _drafts(period, book_ids, all_books=all_books)
    draft_accounts = select(Bill.account_id).where(Bill.id.in_(drafts))
    money, quantity, factor = MONEY.scale, QUANTITY.scale, FACTOR.scale
    rows = run.execute(
        select(
            Bill.id,
            Bill.account_id,
            c.day(Bill.start_on),
            c.day(Bill.end_on),
            c.exact(Bill.kwh),
            c.exact(Bill.total),
            Bill.quality,
            c.exact(Bill.power_factor),
            Account.category,
            Account.status,
            BillingDeterminant.detail,
        )
        .join(Account, Account.id == Bill.account_id)
        .join(BillingDeterminant, BillingDeterminant.id == Bill.determinant_id)
        .where(Bill.id.in_(drafts), Bill.state == "draft")  # rechecked on the locked row
        .order_by(Bill.id)
        .with_for_update(of=Bill)
    ).all()
    if not rows:
        return []
    starts = {r[0]: c.date(r[2]) for r in rows}
    ends = {r[0]: c.date(r[3]) for r in rows}
    low, high = min(starts.values()), max(ends.values())
    excess = {
        bill_id: c.decimal(value, quantity)
        for bill_id, value in run.execute(
            select(BillLine.bill_id, c.exact(BillLine.quantity)).where(
                BillLine.bill_id.in_(drafts), BillLine.code == "basic.demand_excess"
            )
        )
    }
    replacements = _replacements(session, accounts=draft_accounts, low=low, high=high)
    changes = _tariff_changes(session, accounts=draft_accounts, low=low, high=high)
    lower = months_before(period, policy.history_lookback_months)
    energy: dict[int, list[PastPeriod]] = defaultdict(list)
    for account_id, start, end, kwh in run.execute(
        select(
            BillingDeterminant.account_id,
            c.day(BillingDeterminant.start_on),
            c.day(BillingDeterminant.end_on),
            c.exact(BillingDeterminant.kwh_total),
        ).where(
            BillingDeterminant.account_id.in_(draft_accounts),
            BillingDeterminant.period < period,
            BillingDeterminant.period >= lower,
        )
    ):
        energy[account_id].append(PastPeriod(c.date(start), c.date(end), c.required(kwh, ENERGY.scale)))
    amounts: dict[int, list[PastPeriod]] = defaultdict(list)
    for account_id, start, end, total in run.execute(
        select(Bill.account_id, c.day(Bill.start_on), c.day(Bill.end_on), c.exact(Bill.total)).where(
            Bill.account_id.in_(draft_accounts),
            Bill.period < period,
            Bill.period >= lower,
            Bill.kind == "regular",
            Bill.state != "rejected",
        )
    ):
        amounts[account_id].append(PastPeriod(c.date(start), c.date(end), c.required(total, money)))
    facts = []
    for bill_id, account_id, _s, _e, kwh, total, quality, power_factor, category, status, detail in rows:
        facts.append(
            BillFacts(
                bill_id=bill_id,
                category=category,
                account_status=status,
                start_on=starts[bill_id],
                end_on=ends[bill_id],
                kwh=c.required(kwh, quantity),
                total=c.required(total, money),
                quality=quality,
                power_factor=c.decimal(power_factor, factor),
                demand_excess_kw=excess.get(bill_id),
                segments=_segments(detail),
                replacements_on=tuple(replacements.get(account_id, ())),
                tariff_changes=tuple(changes.get(account_id, ())),
                energy_history=tuple(energy.get(account_id, ())),
                amount_history=tuple(amounts.get(account_id, ())),
            )
        )
    return facts


def _segments(detail: str | None) -> int:
    """Meter segments in a determinant's detail (a JSON list with one object per meter, each with
    its ``meter_no``), counted without parsing the JSON; at least 1."""
    return max(1, (detail or "").count('"meter_no"'))


def _replacements(session: Session, *, accounts: Select[Any], low: date, high: date) -> dict[int, list[date]]:
    """account id → days a meter was installed on one of its points in place of an earlier one."""
    earlier = aliased(MeterInstall)
    found: dict[int, list[date]] = defaultdict(list)
    for account_id, day in session.execute(
        select(ServicePoint.account_id, MeterInstall.installed_on)
        .join(MeterInstall, MeterInstall.service_point_id == ServicePoint.id)
        .where(
            ServicePoint.account_id.in_(accounts),
            MeterInstall.installed_on >= low,
            MeterInstall.installed_on < high,
            exists(
                select(earlier.id).where(
                    earlier.service_point_id == MeterInstall.service_point_id,
                    earlier.installed_on < MeterInstall.installed_on,
                )
            ),
        )
    ):
        if account_id is not None:
            found[account_id].append(day)
    return found


def _tariff_changes(
    session: Session, *, accounts: Select[Any], low: date, high: date
) -> dict[int, list[TariffChange]]:
    """account id → days its tariff assignment changes, or a new version of an assigned tariff
    takes effect, between ``low`` and ``high`` (the rule keeps those inside each bill's period)."""
    t = TariffAssignment
    assignments = session.execute(
        select(t.account_id, t.tariff_code, t.effective_from, t.effective_to).where(
            t.account_id.in_(accounts),
            t.effective_from < high,
            or_(t.effective_to.is_(None), t.effective_to > low),
        )
    ).all()
    versions: dict[str, list[date]] = defaultdict(list)
    for code, starts in session.execute(
        select(TariffVersion.code, TariffVersion.effective_from).where(
            and_(TariffVersion.effective_from > low, TariffVersion.effective_from < high)
        )
    ):
        versions[code].append(starts)
    found: dict[int, list[TariffChange]] = defaultdict(list)
    for account_id, code, start, end in assignments:
        changes = found[account_id]
        if low < start < high:
            changes.append(
                TariffChange(start, "assignment", _("tariff {code} from this day").format(code=code))
            )
        if end is not None and low < end < high:
            changes.append(TariffChange(end, "assignment", _("tariff {code} ends").format(code=code)))
        for day in versions.get(code, ()):
            if start <= day and (end is None or day < end):
                changes.append(
                    TariffChange(day, "version", _("new version of {code} takes effect").format(code=code))
                )
    return found


# --- the queue and decisions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueuedBill:
    bill_id: int
    route_book: str
    account_no: str
    period: str
    category: str
    kwh: str
    total: str
    computed_by: str
    findings: list[dict[str, str]]

    def as_json(self) -> dict[str, object]:
        return {
            "bill_id": self.bill_id,
            "route_book": self.route_book,
            "account_no": self.account_no,
            "period": self.period,
            "category": self.category,
            "kwh": self.kwh,
            "total": self.total,
            "computed_by": self.computed_by,
            "findings": self.findings,
        }


def review_queue(
    ctx: AppContext, *, actor: str | None, period: str | None = None, route_book: str | None = None
) -> list[QueuedBill]:
    """The flagged bills waiting for a reviewer, by route book then account, with their reasons."""
    if period is not None:
        check_period(period)
    with use_case(ctx, actor=actor, action=Action.BILL_READ) as (session, _who):
        books = route_books(session, route_book)
        query = (
            select(Bill, Account.account_no, Account.category, RouteBook.code)
            .join(Account, Account.id == Bill.account_id)
            .join(RouteBook, RouteBook.id == Account.route_book_id)
            .where(Bill.state == "flagged")
            .order_by(RouteBook.code, Account.account_no, Bill.period)
        )
        if route_book is not None:
            query = query.where(RouteBook.id.in_([b.id for b in books]))
        if period is not None:
            query = query.where(Bill.period == period)
        rows = session.execute(query).all()
        findings: dict[int, list[dict[str, str]]] = defaultdict(list)
        ids = [bill.id for bill, *_rest in rows]
        for start in range(0, len(ids), _CHUNK):
            for bill_id, code, severity, detail in session.execute(
                select(BillFinding.bill_id, BillFinding.code, BillFinding.severity, BillFinding.detail)
                .where(BillFinding.bill_id.in_(ids[start : start + _CHUNK]))
                .order_by(BillFinding.id)
            ):
                findings[bill_id].append({"code": code, "severity": severity, "reason": detail})
        return [
            QueuedBill(
                bill_id=bill.id,
                route_book=book,
                account_no=number,
                period=bill.period,
                category=category,
                kwh=f"{bill.kwh.normalize():f}",
                total=str(bill.total),
                computed_by=bill.computed_by,
                findings=findings.get(bill.id, []),
            )
            for bill, number, category, book in rows
        ]


@dataclass(frozen=True, slots=True)
class Decision:
    bill_id: int
    state: str
    back_to: str | None
    reading_exception_id: int | None

    def as_json(self) -> dict[str, object]:
        return {
            "bill_id": self.bill_id,
            "state": self.state,
            "back_to": self.back_to,
            "reading_exception_id": self.reading_exception_id,
        }


def decide_bill(
    ctx: AppContext,
    *,
    actor: str | None,
    bill_id: int,
    approve: bool,
    reason: str,
    back_to: str = "billing",
) -> Decision:
    """Approve or reject one flagged bill, with a reason; never by the person who computed it."""
    if not reason or not reason.strip():
        raise InputRefused(_("A review decision needs a reason."))
    if back_to not in BACK_TO:
        raise InputRefused(
            _("A rejected bill goes back to reading or billing, not {back_to}.").format(back_to=back_to)
        )
    with use_case(ctx, actor=actor, action=Action.BILL_REVIEW) as (session, who):
        bill = session.get(Bill, bill_id, with_for_update=True)
        if bill is None:
            raise NotFound(_("No bill with id {bill}").format(bill=bill_id))
        if bill.state != "flagged":
            raise WrongBillState(_state_refusal(bill))
        if bill.computed_by == who.username:
            raise FourEyesViolation(
                _(
                    "Four eyes: {user} ran the calculation of bill {bill} and may not approve or reject "
                    "it; another reviewer must."
                ).format(user=who.username, bill=bill.id)
            )
        codes = list(session.scalars(select(BillFinding.code).where(BillFinding.bill_id == bill.id)))
        now = ctx.clock.now()
        before = {"state": bill.state, "reviewed_by": bill.reviewed_by}
        bill.state = "approved" if approve else "rejected"
        bill.reviewed_by, bill.reviewed_at, bill.review_reason = who.username, now.isoformat(), reason
        exception_id = None
        if not approve and back_to == "reading":
            exception_id = _back_to_reading(
                session, bill=bill, who=who.username, reason=reason, today=business_date(now)
            )
        session.add(
            BillReview(
                bill_id=bill.id,
                account_id=bill.account_id,
                period=bill.period,
                decision=bill.state,
                back_to=None if approve else back_to,
                codes=",".join(sorted(set(codes)))[:300],
                reason=reason,
                computed_by=bill.computed_by,
                decided_by=who.username,
                decided_at=now.isoformat(),
            )
        )
        session.flush()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="bill.approve" if approve else "bill.reject",
            object_type="bill",
            object_id=str(bill.id),
            before=before,
            after={
                "state": bill.state,
                "reviewed_by": who.username,
                "computed_by": bill.computed_by,
                "codes": sorted(set(codes)),
                "back_to": None if approve else back_to,
                "reading_exception_id": exception_id,
            },
            reason=reason,
        )
        decision = Decision(
            bill_id=bill.id,
            state=bill.state,
            back_to=None if approve else back_to,
            reading_exception_id=exception_id,
        )
        if exception_id is not None:
            _withdraw(session, bill_id=bill.id, determinant_id=bill.determinant_id)
        return decision


def _state_refusal(bill: Bill) -> str:
    if bill.state == "issued":
        return _(
            "Bill {bill} is issued and can no longer be approved or rejected; an issued bill is "
            "corrected by a correction (退补)."
        ).format(bill=bill.id)
    return _("Only a flagged bill can be approved or rejected; bill {bill} is {state}.").format(
        bill=bill.id, state=bill.state
    )


def _withdraw(session: Session, *, bill_id: int, determinant_id: int) -> None:
    """A bill rejected back to reading is withdrawn with its determinant: the reading clerk
    resolves the BILL_REJECTED exception (confirm, re-read or edit), ``m2c read close`` computes
    the determinant again from the reading as it then stands, and ``m2c bill run`` prices a new
    draft that is reviewed afresh. The decision itself stays in ``bill_review`` and the audit trail."""
    session.flush()
    remove_drafts(session, bill_ids=[bill_id])
    still_used = session.scalar(
        select(func.count()).select_from(Bill).where(Bill.determinant_id == determinant_id)
    )
    if not still_used:
        session.execute(delete(BillingDeterminant).where(BillingDeterminant.id == determinant_id))


def _back_to_reading(session: Session, *, bill: Bill, who: str, reason: str, today: date) -> int:
    """Open a BILL_REJECTED reading exception for the bill's meter, route book and period."""
    task = session.execute(
        select(ReadingTask.id, ReadingTask.meter_id, ReadingTask.route_book_id, ReadingTask.reading_id)
        .where(ReadingTask.account_id == bill.account_id, ReadingTask.period == bill.period)
        .order_by(ReadingTask.id.desc())
        .limit(1)
    ).first()
    account = session.get(Account, bill.account_id)
    assert account is not None
    task_id: int | None = None
    reading_id: int | None = None
    meter_id: int | None
    book_id = account.route_book_id
    if task is not None:
        task_id, meter_id, book_id, reading_id = task
    else:
        meter_id = session.scalar(
            select(Meter.id)
            .join(MeterInstall, MeterInstall.meter_id == Meter.id)
            .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
            .where(ServicePoint.account_id == bill.account_id, MeterInstall.installed_on < bill.end_on)
            .order_by(MeterInstall.installed_on.desc())
            .limit(1)
        )
        if meter_id is None:
            raise InputRefused(
                _(
                    "Account {account} has no meter to send the bill back to reading; "
                    "reject it back to billing."
                ).format(account=account.account_no)
            )
    item = ReadingException(
        route_book_id=book_id,
        period=bill.period,
        meter_id=meter_id,
        reading_id=reading_id,
        task_id=task_id,
        code=BILL_REJECTED,
        severity="warning",
        reason=_("Bill {bill} of account {account} rejected at review by {user}: {reason}").format(
            bill=bill.id, account=account.account_no, user=who, reason=reason
        ),
        state="open",
        opened_on=today,
    )
    session.add(item)
    session.flush()
    return item.id
