"""The bill review rules (量费审核): named checks on a draft bill. Pure.

`review_bill` takes one bill's facts — its amounts, quality, power factor, demand excess, meter
segments, tariff changes and the account's history — and returns its findings. Nothing here reads
the database or the clock: the service (`billing/review.py`) gathers the facts for a whole route
book or period in a few queries and calls this once per bill. Every threshold comes from
`ReviewPolicy`; docs/review-and-issue.md describes each rule.

| code | fires when |
|---|---|
| ENERGY_JUMP | kWh/day differs from the average of the previous periods by more than ±x % and y kWh/day |
| AMOUNT_JUMP | 元/day differs from the previous bills' average by more than ±x % and y 元/day |
| ZERO_BILL | an active account's bill has kWh ≤ the zero threshold, or a total of 0.00 元 |
| NEGATIVE_BILL | the total is below 0.00 元 (a credit) |
| OVER_LIMIT | the total is above the class's limit |
| ESTIMATED | the determinant's quality is estimated or substituted |
| LOW_POWER_FACTOR | the assessed power factor is below the floor |
| DEMAND_OVER_CONTRACT | a ``basic.demand_excess`` line: demand above the tariff's 105 % of contract |
| TARIFF_CHANGE | an assignment or a version of the tariff starts or ends strictly inside the period |
| METER_CHANGE | more than one meter segment, or a replacement meter installed in ``[start, end)`` |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from meter2cash.billing.review_codes import ReviewCode, ReviewSeverity
from meter2cash.billing.review_policy import DEFAULT_REVIEW_POLICY, ReviewPolicy
from meter2cash.platform.money import round_to


def N_(message: str) -> str:
    """Mark an English message id for the catalog without translating it here."""
    return message


@dataclass(frozen=True, slots=True)
class PastPeriod:
    """One earlier period of the account: ``[start, end)`` and its kWh (or its bill total)."""

    start: date
    end: date
    value: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class TariffChange:
    """A day the account's tariff changes: ``kind`` is ``assignment`` (another tariff code
    starts or ends) or ``version`` (a new version of its tariff takes effect); ``what`` names it."""

    day: date
    kind: str
    what: str


@dataclass(frozen=True, slots=True)
class BillFacts:
    """What the rules look at for one bill. ``demand_excess_kw`` is the quantity of the bill's
    ``basic.demand_excess`` line (None without one); ``segments`` the meters in the determinant;
    ``replacements_on`` the days a meter replaced another on the account's service points."""

    bill_id: int
    category: str
    account_status: str
    start_on: date
    end_on: date
    kwh: Decimal
    total: Decimal
    quality: str
    power_factor: Decimal | None = None
    demand_excess_kw: Decimal | None = None
    segments: int = 1
    replacements_on: tuple[date, ...] = ()
    tariff_changes: tuple[TariffChange, ...] = ()
    energy_history: tuple[PastPeriod, ...] = ()
    amount_history: tuple[PastPeriod, ...] = ()

    @property
    def days(self) -> int:
        return (self.end_on - self.start_on).days


@dataclass(frozen=True, slots=True)
class ReviewFinding:
    """One rule fired on one bill: the reason is an English message id plus its parameters,
    translated at the edge (`review_wording.explain`)."""

    code: ReviewCode
    severity: ReviewSeverity
    template: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.template.format(**self.params)


def _finding(code: ReviewCode, template: str, policy: ReviewPolicy, **params: object) -> ReviewFinding:
    severity = ReviewSeverity.NOTE if code in policy.notes else ReviewSeverity.FLAG
    return ReviewFinding(
        code=code, severity=severity, template=template, params={k: str(v) for k, v in params.items()}
    )


def review_bill(facts: BillFacts, *, policy: ReviewPolicy = DEFAULT_REVIEW_POLICY) -> list[ReviewFinding]:
    """Every finding of one bill, in the order of the codes."""
    found: list[ReviewFinding] = []
    for rule in _RULES:
        found.extend(rule(facts, policy))
    return found


def review_bills(
    bills: Iterable[BillFacts], *, policy: ReviewPolicy = DEFAULT_REVIEW_POLICY
) -> dict[int, list[ReviewFinding]]:
    """bill id → findings (empty list for a clean bill)."""
    return {facts.bill_id: review_bill(facts, policy=policy) for facts in bills}


def needs_a_human(findings: Sequence[ReviewFinding]) -> bool:
    return any(f.severity is ReviewSeverity.FLAG for f in findings)


# --- the rules -------------------------------------------------------------------------------


def _reference(history: Sequence[PastPeriod], *, before: date, periods: int) -> tuple[Decimal, int] | None:
    """(Σ value, Σ days) of the last ``periods`` history periods that started before ``before``."""
    earlier = sorted((h for h in history if h.start < before and h.days > 0), key=lambda h: h.start)
    chosen = earlier[-periods:]
    days = sum(h.days for h in chosen)
    if not chosen or days == 0:
        return None
    return sum((h.value for h in chosen), Decimal(0)), days


def _jump(
    value: Decimal,
    days: int,
    reference: tuple[Decimal, int],
    *,
    relative: Decimal,
    absolute_per_day: Decimal,
) -> bool:
    """|value/days − ref/ref_days| above both tolerances, compared exactly by cross-multiplying:
    |value × ref_days − ref × days| > relative × ref × days and > absolute × days × ref_days."""
    ref_value, ref_days = reference
    deviation = abs(value * ref_days - ref_value * days)
    return deviation > relative * abs(ref_value) * days and deviation > absolute_per_day * days * ref_days


def _change_text(value: Decimal, days: int, reference: tuple[Decimal, int]) -> str:
    ref_value, ref_days = reference
    if ref_value == 0:
        return "+∞"
    change = (value * ref_days - ref_value * days) * 100 / (abs(ref_value) * days)
    rounded = round_to(change, places=1)
    return f"+{rounded}" if rounded > 0 else str(rounded)


def _per_day(value: Decimal, days: int, places: int = 2) -> Decimal:
    return round_to(value / days, places=places)


def _energy_jump(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    reference = _reference(facts.energy_history, before=facts.start_on, periods=policy.history_periods)
    if reference is None or facts.days <= 0:
        return []
    if not _jump(
        facts.kwh,
        facts.days,
        reference,
        relative=policy.energy_jump_relative,
        absolute_per_day=policy.energy_jump_absolute_kwh_per_day,
    ):
        return []
    return [
        _finding(
            ReviewCode.ENERGY_JUMP,
            N_("{current} kWh a day against {reference} kWh a day in the previous periods ({change}%)"),
            policy,
            current=_per_day(facts.kwh, facts.days),
            reference=_per_day(reference[0], reference[1]),
            change=_change_text(facts.kwh, facts.days, reference),
        )
    ]


def _amount_jump(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    reference = _reference(facts.amount_history, before=facts.start_on, periods=policy.history_periods)
    if reference is None or facts.days <= 0:
        return []
    if not _jump(
        facts.total,
        facts.days,
        reference,
        relative=policy.amount_jump_relative,
        absolute_per_day=policy.amount_jump_absolute_yuan_per_day,
    ):
        return []
    return [
        _finding(
            ReviewCode.AMOUNT_JUMP,
            N_("{current} yuan a day against {reference} yuan a day on the previous bills ({change}%)"),
            policy,
            current=_per_day(facts.total, facts.days),
            reference=_per_day(reference[0], reference[1]),
            change=_change_text(facts.total, facts.days, reference),
        )
    ]


def _zero_bill(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    if facts.account_status != "active":
        return []
    if facts.kwh > policy.zero_kwh and facts.total != 0:
        return []
    return [
        _finding(
            ReviewCode.ZERO_BILL,
            N_("{kwh} kWh and {total} yuan on an active account"),
            policy,
            kwh=f"{facts.kwh.normalize():f}",
            total=facts.total,
        )
    ]


def _negative_bill(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    if facts.total >= 0:
        return []
    return [
        _finding(
            ReviewCode.NEGATIVE_BILL, N_("the total is {total} yuan, a credit"), policy, total=facts.total
        )
    ]


def _over_limit(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    limit = policy.amount_limit(facts.category)
    if facts.total <= limit:
        return []
    return [
        _finding(
            ReviewCode.OVER_LIMIT,
            N_("the total {total} yuan is above the {category} limit of {limit} yuan"),
            policy,
            total=facts.total,
            category=facts.category,
            limit=limit,
        )
    ]


def _estimated(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    if facts.quality not in policy.estimated_qualities:
        return []
    return [_finding(ReviewCode.ESTIMATED, N_("billed on {quality} readings"), policy, quality=facts.quality)]


def _low_power_factor(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    if facts.power_factor is None or facts.power_factor >= policy.power_factor_floor:
        return []
    return [
        _finding(
            ReviewCode.LOW_POWER_FACTOR,
            N_("power factor {power_factor} is below {floor}"),
            policy,
            power_factor=facts.power_factor,
            floor=policy.power_factor_floor,
        )
    ]


def _demand_over_contract(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    if facts.demand_excess_kw is None or facts.demand_excess_kw <= 0:
        return []
    return [
        _finding(
            ReviewCode.DEMAND_OVER_CONTRACT,
            N_("maximum demand above 105% of the contract demand: {excess} kW billed at the excess price"),
            policy,
            excess=f"{facts.demand_excess_kw.normalize():f}",
        )
    ]


def _tariff_change(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    inside = sorted(
        (c for c in facts.tariff_changes if facts.start_on < c.day < facts.end_on),
        key=lambda c: (c.day, c.kind, c.what),
    )
    if not inside:
        return []
    return [
        _finding(
            ReviewCode.TARIFF_CHANGE,
            N_("the tariff changes inside the period ({changes}); the period is priced as on its last day"),
            policy,
            changes=", ".join(f"{c.day.isoformat()} {c.what}" for c in inside),
        )
    ]


def _meter_change(facts: BillFacts, policy: ReviewPolicy) -> list[ReviewFinding]:
    installed = sorted(d for d in facts.replacements_on if facts.start_on <= d < facts.end_on)
    if facts.segments <= 1 and not installed:
        return []
    return [
        _finding(
            ReviewCode.METER_CHANGE,
            N_("{segments} meter(s) in the period, replaced on {days}"),
            policy,
            segments=facts.segments,
            days=", ".join(d.isoformat() for d in installed) or "-",
        )
    ]


_RULES = (
    _energy_jump,
    _amount_jump,
    _zero_bill,
    _negative_bill,
    _over_limit,
    _estimated,
    _low_power_factor,
    _demand_over_contract,
    _tariff_change,
    _meter_change,
)
