"""The 电费通知单 (bill document) as data: everything the one template shows, read for one bill.

`load_document` gathers it from the bill, its lines, the account and customer, the billing
determinant behind the bill (its ``detail`` JSON names each meter segment's opening and closing
registers with the quality of those readings — see ``reading.closing``) and the account's
determinants of the last twelve months for the usage chart. `BillDocument` is plain data; the
template (``billing/templates/bill.html.j2``) and `document_render` turn it into HTML and PDF.

Until a bill is issued (发行) it has no bill number and no due date: the document says 待发行 and
marks itself a draft for review. The amount due is the bill's total; the collection issue will
take earlier balances and payments from its ledger.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Bill, BillLine
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.settings import Settings
from meter2cash.reading.determinants import BadSegments, Segment, segment_kwh
from meter2cash.reading.model import BillingDeterminant
from meter2cash.reading.vee.codes import QualityFlag
from meter2cash.reading.vee.register import BadRegister, RegisterSpec
from meter2cash.registry.codes import TOU_NAMES, ZH_NAMES
from meter2cash.registry.model import Account, Customer, Meter, RouteBook
from meter2cash.registry.registers import RegisterSet

CHART_MONTHS = 12

QUALITY_ZH: dict[str, str] = {
    QualityFlag.ACTUAL: "实抄",
    QualityFlag.ESTIMATED: "估抄",
    QualityFlag.SUBSTITUTED: "替代",
    QualityFlag.EDITED: "修正",
    QualityFlag.CUSTOMER_READ: "客户自报",
}
REGISTER_ZH: dict[str, str] = {"total": "总", "sharp": "尖", "peak": "峰", "flat": "平", "valley": "谷"}
STATE_ZH: dict[str, str] = {
    "draft": "草稿",
    "flagged": "待审核",
    "approved": "已审核",
    "rejected": "已退回",
    "issued": "已发行",
}
NOT_ISSUED = "待发行"

DEFAULT_BUREAU_NAME = "示例供电公司"
DEFAULT_PAYMENT_INSTRUCTIONS: tuple[str, ...] = (
    "请在缴费截止日期前缴清电费。可到供电营业厅缴费，或通过银行代扣、网上缴费等渠道缴费；缴费时请提供户号。",
    "逾期未缴的，自缴费截止日期次日起按日加收电费违约金：居民用户每日按欠费金额的千分之一，"
    "其他用户当年欠费部分每日千分之二、跨年度欠费部分每日千分之三（《供电营业规则》）。",
    "对电费有疑问的，请携带本通知单到供电营业厅咨询。",
)


@dataclass(frozen=True, slots=True)
class Letterhead:
    """What the bureau prints on every bill: its name and its payment instructions."""

    bureau_name: str = DEFAULT_BUREAU_NAME
    payment_instructions: tuple[str, ...] = DEFAULT_PAYMENT_INSTRUCTIONS

    @classmethod
    def from_settings(cls, settings: Settings) -> Letterhead:
        text = settings.payment_instructions
        if text is None:
            return cls(bureau_name=settings.bureau_name)
        paragraphs = tuple(p.strip() for p in text.replace("\\n", "\n").splitlines() if p.strip())
        return cls(bureau_name=settings.bureau_name, payment_instructions=paragraphs)


@dataclass(frozen=True, slots=True)
class ReadingRow:
    """One register of one meter over the period: previous and current reading with their quality."""

    meter_no: str
    register: str  # total | sharp | peak | flat | valley
    multiplier: Decimal
    previous: Decimal | None
    current: Decimal | None
    previous_quality: str
    current_quality: str
    kwh: Decimal | None  # (current − previous, across a rollover) × multiplier

    @property
    def register_zh(self) -> str:
        return REGISTER_ZH.get(self.register, self.register)

    @property
    def previous_quality_zh(self) -> str:
        return QUALITY_ZH.get(self.previous_quality, self.previous_quality)

    @property
    def current_quality_zh(self) -> str:
        return QUALITY_ZH.get(self.current_quality, self.current_quality)


@dataclass(frozen=True, slots=True)
class DocumentLine:
    code: str
    label: str
    quantity: Decimal
    unit: str
    unit_price: str
    amount: Decimal
    rule: str


@dataclass(frozen=True, slots=True)
class MonthUsage:
    period: str  # YYYY-MM
    kwh: Decimal | None  # None: no determinant for that month

    @property
    def month(self) -> int:
        return int(self.period[5:7])


@dataclass(frozen=True)
class BillDocument:
    """Everything on one 电费通知单."""

    bureau_name: str
    bill_id: int
    bill_no: str | None
    state: str
    account_no: str
    customer_name: str
    address: str
    category: str
    route_book: str
    period: str
    start_on: date  # the previous reading day (上次抄表日)
    end_on: date  # this period's reading day (本次抄表日)
    days: int
    quality: str  # the worst quality of the readings behind the bill
    readings: tuple[ReadingRow, ...]
    kwh: Decimal
    power_factor: Decimal | None
    pf_percent: Decimal | None
    tariff_version: str
    lines: tuple[DocumentLine, ...]
    total: Decimal
    amount_due: Decimal
    due_on: date | None
    issued_on: date | None
    usage: tuple[MonthUsage, ...]
    payment_instructions: tuple[str, ...] = DEFAULT_PAYMENT_INSTRUCTIONS
    printed_on: date | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def issued(self) -> bool:
        return self.state == "issued"

    @property
    def state_zh(self) -> str:
        return STATE_ZH.get(self.state, self.state)

    @property
    def quality_zh(self) -> str:
        return QUALITY_ZH.get(self.quality, self.quality)

    @property
    def category_zh(self) -> str:
        return ZH_NAMES.get(self.category, self.category)

    @property
    def estimated(self) -> bool:
        qualities = {self.quality} | {
            q for r in self.readings for q in (r.previous_quality, r.current_quality)
        }
        return QualityFlag.ESTIMATED.value in qualities

    @property
    def file_stem(self) -> str:
        """The file name without extension: the bill number, or account and period before issue."""
        stem = self.bill_no or f"{self.account_no}_{self.period}"
        return "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)


def chart_months(period: str, months: int = CHART_MONTHS) -> list[str]:
    """The ``months`` periods ending with ``period``, oldest first: 2026-06 → 2025-07 … 2026-06."""
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + month - 1
    return [f"{(i // 12):04d}-{(i % 12) + 1:02d}" for i in range(index - months + 1, index + 1)]


def load_document(
    session: Session,
    *,
    bill_id: int,
    letterhead: Letterhead | None = None,
    printed_on: date | None = None,
) -> BillDocument:
    """Read one bill's document from the database."""
    letterhead = letterhead or Letterhead()
    bill = session.get(Bill, bill_id)
    if bill is None:
        raise NotFound(_("No bill with id {bill}").format(bill=bill_id))
    account = session.get(Account, bill.account_id)
    assert account is not None  # a foreign key
    customer = session.get(Customer, account.customer_id)
    book = session.get(RouteBook, account.route_book_id)
    determinant = session.get(BillingDeterminant, bill.determinant_id)
    lines = session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.seq))
    months = chart_months(bill.period)
    history = dict(
        session.execute(
            select(BillingDeterminant.period, BillingDeterminant.kwh_total).where(
                BillingDeterminant.account_id == account.id, BillingDeterminant.period.in_(months)
            )
        ).all()
    )
    return BillDocument(
        bureau_name=letterhead.bureau_name,
        bill_id=bill.id,
        bill_no=bill.bill_no,
        state=bill.state,
        account_no=account.account_no,
        customer_name=customer.name if customer else "",
        address=(customer.address or "") if customer else "",
        category=account.category,
        route_book=book.code if book else "",
        period=bill.period,
        start_on=bill.start_on,
        end_on=bill.end_on,
        days=(bill.end_on - bill.start_on).days,
        quality=bill.quality,
        readings=tuple(reading_rows(session, determinant.detail if determinant else "")),
        kwh=bill.kwh,
        power_factor=bill.power_factor,
        pf_percent=bill.pf_percent,
        tariff_version=bill.tariff_version,
        lines=tuple(
            DocumentLine(
                code=line.code,
                label=line.label,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                amount=line.amount,
                rule=line.rule,
            )
            for line in lines
        ),
        total=bill.total,
        amount_due=bill.total,
        due_on=bill.due_on,
        issued_on=bill.issued_on,
        usage=tuple(MonthUsage(period=p, kwh=history.get(p)) for p in months),
        payment_instructions=letterhead.payment_instructions,
        printed_on=printed_on,
    )


def reading_rows(session: Session, detail: str) -> list[ReadingRow]:
    """The register rows of a determinant's meter segments (its ``detail`` JSON, see closing.py)."""
    segments = _segments(detail)
    numbers = {str(s.get("meter_no", "")) for s in segments}
    specs = {
        number: RegisterSpec(integer_digits=integer, decimal_digits=decimal)
        for number, integer, decimal in session.execute(
            select(Meter.meter_no, Meter.integer_digits, Meter.decimal_digits).where(
                Meter.meter_no.in_(sorted(numbers))
            )
        )
    }
    return rows_of_segments(segments, specs)


def rows_of_segments(
    segments: Sequence[dict[str, object]], specs: dict[str, RegisterSpec]
) -> list[ReadingRow]:
    """Pure: one row per register (总 first, then 尖峰平谷) of each segment, with its energy."""
    rows = []
    for raw in segments:
        meter_no = str(raw.get("meter_no", ""))
        opening = _registers(raw.get("opening"))
        closing = _registers(raw.get("closing"))
        multiplier = _decimal(raw.get("multiplier")) or Decimal(1)
        opening_quality = str(raw.get("opening_quality", QualityFlag.ACTUAL.value))
        closing_quality = str(raw.get("closing_quality", QualityFlag.ACTUAL.value))
        segment = None
        if meter_no in specs and "total" in opening and "total" in closing:
            segment = Segment(
                meter_no=meter_no,
                spec=specs[meter_no],
                multiplier=multiplier,
                opening=RegisterSet(opening["total"], **{k: v for k, v in opening.items() if k != "total"}),
                closing=RegisterSet(closing["total"], **{k: v for k, v in closing.items() if k != "total"}),
            )
        for register in ("total", *TOU_NAMES):
            if register not in opening and register not in closing:
                continue
            kwh = None
            if segment is not None:
                try:
                    kwh = segment_kwh(segment, register)
                except (BadSegments, BadRegister):
                    kwh = None
            rows.append(
                ReadingRow(
                    meter_no=meter_no,
                    register=register,
                    multiplier=multiplier,
                    previous=opening.get(register),
                    current=closing.get(register),
                    previous_quality=opening_quality,
                    current_quality=closing_quality,
                    kwh=kwh,
                )
            )
    return rows


def _segments(detail: str) -> list[dict[str, object]]:
    try:
        parsed = json.loads(detail) if detail else []
    except ValueError:
        return []
    if not isinstance(parsed, list):
        return []
    return [s for s in parsed if isinstance(s, dict)]


def _registers(value: object) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        return {}
    found = {}
    for name in ("total", *TOU_NAMES):
        number = _decimal(value.get(name))
        if number is not None:
            found[name] = number
    return found


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None
