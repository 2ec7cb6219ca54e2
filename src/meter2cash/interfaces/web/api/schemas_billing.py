"""Schemas of the billing (核算) API: bill runs, review (量费审核), the review queue, decisions,
issue (发行), bills with their lines, the period summary and the billing KPIs. The shapes are
those the CLI prints with ``--json`` (docs/billing.md, docs/review-and-issue.md); money and kWh
are decimal strings."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from meter2cash.interfaces.web.api.schemas_common import Code, Period, Reason

BillState = Literal["draft", "flagged", "approved", "rejected", "issued"]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    route_book: Code | None = None
    reprice: bool = False


class UnpricedOut(BaseModel):
    account_no: str
    reason: str


class RunOut(BaseModel):
    run_id: int
    period: str
    scope: str
    accounts: int
    priced: int
    unchanged: int
    unpriced: list[UnpricedOut]
    revenue_by_category: dict[str, str]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    route_book: Code | None = None


class ReviewOut(BaseModel):
    period: str
    scope: str
    reviewed: int
    auto_approved: int
    flagged: int
    flagged_by_code: dict[str, int]
    notes_by_code: dict[str, int]


class FindingOut(BaseModel):
    code: str
    severity: str
    reason: str


class QueuedBillOut(BaseModel):
    bill_id: int
    route_book: str
    account_no: str
    period: str
    category: str
    kwh: str
    total: str
    computed_by: str
    findings: list[FindingOut]


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    back_to: Literal["billing", "reading"] = "billing"


class DecisionOut(BaseModel):
    bill_id: int
    state: str
    back_to: str | None
    reading_exception_id: int | None


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    route_book: Code


class IssuedBillOut(BaseModel):
    account_no: str
    bill_no: str
    amount: str
    due_on: str


class IssueOut(BaseModel):
    period: str
    route_book: str
    issued: int
    already_issued: int
    first_bill_no: str | None
    last_bill_no: str | None
    total: str
    not_issued: dict[str, int]
    bills: list[IssuedBillOut]


class BillSummaryRowOut(BaseModel):
    id: int
    account_no: str
    category: str
    route_book: str
    period: str
    state: str
    kwh: str
    total: str
    computed_by: str
    reviewed_by: str | None
    bill_no: str | None
    issued_on: str | None
    due_on: str | None


class BillOut(BaseModel):
    id: int
    account_no: str
    category: str
    period: str
    state: str
    start: str
    end: str
    kwh: str
    quality: str
    tariff_version: str
    power_factor: str | None
    pf_adjustment_percent: str | None
    total: str
    reviewed_by: str | None
    review_reason: str | None
    bill_no: str | None
    issued_on: str | None
    due_on: str | None


class BillLineOut(BaseModel):
    code: str
    label: str
    quantity: str
    unit: str
    unit_price: str
    amount: str
    rule: str
    tariff_version: str


class BillDetailOut(BaseModel):
    """``m2c bill show --json`` and the bill's review findings."""

    bill: BillOut
    lines: list[BillLineOut]
    findings: list[FindingOut]


class AdjustmentsOut(BaseModel):
    bills: int
    total: str


class PeriodSummaryOut(BaseModel):
    """``m2c bill summary --json``: ``by_category`` rows give bills, kwh and total as strings."""

    period: str
    bills: int
    kwh: str
    total: str
    by_category: dict[str, dict[str, str]]
    by_state: dict[str, int]
    unpriced: dict[str, int]
    adjustments: AdjustmentsOut


class ReviewKpisOut(BaseModel):
    reviewed: int
    auto_approved: int
    flagged: int
    flagged_share_pct: str | None
    flagged_share_by_code_pct: dict[str, str | None]
    flagged_by_code: dict[str, int]
    decisions: int
    rejected: int
    rejected_back_to: dict[str, int]
    rejection_rate_pct: str | None


class IssueKpisOut(BaseModel):
    issued: int
    issued_on_time: int
    on_time_days_after_reading: int
    on_time_issue_rate_pct: str | None


class BillKpisOut(BaseModel):
    """``m2c bill kpis --json``: rates are percentage strings, null without a denominator."""

    period: str
    bills: int
    by_state: dict[str, int]
    review: ReviewKpisOut
    issue: IssueKpisOut
    corrections: dict[str, Any]
