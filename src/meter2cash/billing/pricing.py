"""The pricing engine (电费计算): one tariff version applied to many rows at once. Pure.

One implementation serves a single quote (one row) and a million-account bill run (columns);
speed comes from working on integer columns, not from a second copy (architecture.md §3).

Rules (domain-rules.md §2; every number comes from the tariff version):

* **Energy (电度电费).** Flat: billed kWh × price. Tiered (阶梯): the kWh is split at the tier
  thresholds and each part priced at its tier's price; monthly thresholds of a part period
  (not one calendar month from its start) are prorated by days ÷ ``days_per_month`` and rounded
  to ``threshold_decimals``; annual thresholds (年阶梯) split the year-to-date range
  ``[ytd, ytd + kWh)``. Time-of-use (峰谷分时): each period's kWh × base price × the period's
  multiplier; 平 = total − the other periods, so the periods always add up to the total; a
  period spanning seasons gets the day-weighted multiplier. Tiers with TOU (居民峰谷+阶梯):
  periods are priced at the tier-1 price × multiplier and each higher tier's kWh pays the
  increment over tier 1 (发改价格〔2011〕2617号 加价).
* **Low-income allowance (低保/五保).** ``low_income_free_kwh`` per month (prorated like a
  threshold) is credited at the base price.
* **Losses (高供低计, 供电营业规则 art. 74).** Monthly transformer and line losses, prorated by
  days for a part period and rounded to ``loss_decimals``, are billed at the base (平段) price,
  pay the funds, and enter the power factor.
* **Master/sub deduction (套扣).** Sub-meters' kWh (total and, if given, per period) are
  deducted from the master's before pricing.
* **Basic charge (基本电费, two-part).** By capacity (kVA × 元/kVA); by contract demand, raised
  to ``contract_demand_floor`` × capacity, with the actual demand above
  ``demand_excess_threshold`` × contract charged at ``demand_excess_factor`` × the price
  (国家电网财〔2016〕633号, 发改办价格〔2016〕1583号); or by actual maximum demand
  (发改价格〔2023〕526号). A part month is prorated at 1/``days_per_month`` per day of use.
* **Funds (政府性基金及附加).** Each fund × billed kWh (after losses and deductions), unless the
  customer's category is exempt.

Every line amount is rounded to the fen half away from zero (`fixed_point.to_fen`); the
power-factor adjustment (力调) and the totals are added per account by `meter2cash.billing.bills`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from meter2cash.billing.fixed_point import (
    PRICE,
    QTY,
    RATIO,
    Ints,
    column,
    decimal_of,
    div_half_up,
    full,
    mul,
    round_to_step,
    scaled,
    to_fen,
    zeros,
)
from meter2cash.billing.tariff import TOU_LABELS, BasicChargeBy, Tariff, TierBasis, TouPeriod
from meter2cash.billing.usage import UsageColumns

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class LineBlock:
    """One kind of bill line for the rows that have it."""

    code: str
    label: str
    unit: str
    rows: npt.NDArray[np.intp]
    quantity: Ints
    quantity_scale: int
    price: Ints  # numerator, in 1/PRICE 元 per unit
    price_den: Ints  # the price is price / price_den (a day-weighted TOU price has the days here)
    amount: Ints  # fen
    rules: Sequence[str]
    kind: str  # energy | allowance | loss | basic | fund | pf
    shown_price: int | None = None  # the unit price to show when the amount is prorated (1/PRICE 元)


@dataclass(frozen=True)
class PricedRows:
    """The lines of one tariff version's rows, and what the per-account step needs."""

    tariff: Tariff
    blocks: list[LineBlock]
    errors: npt.NDArray[np.object_]  # "" when the row priced, else the reason
    pf_kwh: Ints  # active energy for the power factor: metered + losses
    pf_kvarh: Ints


@dataclass
class _Rows:
    """Working state for one batch."""

    tariff: Tariff
    usage: UsageColumns
    n: int
    errors: npt.NDArray[np.object_]
    days: Ints
    part: npt.NDArray[np.bool_]
    blocks: list[LineBlock] = field(default_factory=list)

    def refuse(self, mask: npt.NDArray[np.bool_], reason: str) -> None:
        fresh = mask & (self.errors == "")
        self.errors[fresh] = reason

    def prorate(self, monthly: Ints, *, decimals: int) -> Ints:
        """Monthly kWh prorated by days for a part period, rounded to ``decimals``."""
        per_month = self.tariff.rules.days_per_month
        if not self.part.any():
            return monthly
        prorated = round_to_step(div_half_up(mul(monthly, self.days), per_month), step=QTY // 10**decimals)
        return np.where(self.part, prorated, monthly)

    def add(
        self,
        *,
        code: str,
        label: str,
        unit: str,
        mask: npt.NDArray[np.bool_],
        quantity: Ints,
        price: Ints | int,
        price_den: Ints | int = 1,
        shown_price: int | None = None,
        quantity_scale: int = QTY,
        rule: Callable[[int], str],
        rule_key: npt.NDArray[Any] | None = None,
        kind: str,
    ) -> None:
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            return
        quantity_rows = quantity[rows]
        price_rows = price[rows] if isinstance(price, np.ndarray) else full(len(rows), price)
        den_rows = price_den[rows] if isinstance(price_den, np.ndarray) else full(len(rows), price_den)
        amount = to_fen(
            quantity=quantity_rows, quantity_scale=quantity_scale, price=price_rows, denominator=den_rows
        )
        self.blocks.append(
            LineBlock(
                code=code,
                label=label,
                unit=unit,
                rows=rows,
                quantity=quantity_rows,
                quantity_scale=quantity_scale,
                price=price_rows,
                price_den=den_rows,
                shown_price=shown_price,
                amount=amount,
                rules=RuleTexts(rule, rows, rule_key),
                kind=kind,
            )
        )


class RuleTexts(Sequence[str]):
    """Rule texts, written on demand. Rows with the same ``key`` read the same text, so a
    million rows of one tariff need only as many texts as they have distinct keys."""

    def __init__(
        self, rule: Callable[[int], str], rows: npt.NDArray[np.intp], key: npt.NDArray[Any] | None
    ) -> None:
        self._rule = rule
        self._rows = rows
        self._key = key

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: int) -> str:  # type: ignore[override]
        return self._rule(int(self._rows[index]))

    def texts(self) -> list[str]:
        """Every position's text, each distinct key written once."""
        if self._key is None:
            return [self._rule(int(r)) for r in self._rows]
        keys = self._key[self._rows]
        _distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        written = [self._rule(int(self._rows[i])) for i in first]
        return [written[i] for i in inverse.tolist()]


def price_text(value: Decimal) -> str:
    """A unit price as shown: at least 4 decimals, at most 8."""
    text = format(value.normalize(), "f")
    whole, _, decimals = text.partition(".")
    decimals = decimals[:8].ljust(4, "0")
    return f"{whole}.{decimals}"


def qty_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _kwh(value: int) -> str:
    return qty_text(decimal_of(value, scale=QTY))


def _price_int(value: Decimal, what: str) -> int:
    return scaled(value, scale=PRICE, what=what)


def _ratio_int(value: Decimal, what: str) -> int:
    return scaled(value, scale=RATIO, what=what)


def _one_month_later(day: date) -> date:
    """The same day of the next month, or that month's last day when it has none."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return min(date(year, month, 1) + timedelta(days=day.day - 1), following - _ONE_DAY)


def is_whole_month(*, start: date, end: date) -> bool:
    """A period is one whole month when it ends on the same day of the next month (or that
    month's last day when it has no such day)."""
    return end == _one_month_later(start)


def _days_by_month(start: date, end: date) -> dict[int, int]:
    counts: dict[int, int] = {}
    day = start
    while day < end:
        counts[day.month] = counts.get(day.month, 0) + 1
        day += _ONE_DAY
    return counts


def price_rows(*, tariff: Tariff, usage: UsageColumns) -> PricedRows:
    """Price every row of ``usage`` with ``tariff``; rows that cannot be priced carry a reason."""
    n = len(usage)
    pair_list = list(usage.periods)
    pair_index = usage.period_of
    days_of_pair = np.array([(end - start).days for start, end in pair_list], dtype=np.int64)
    whole = np.array([is_whole_month(start=s, end=e) for s, e in pair_list], dtype=bool)
    errors = np.empty(n, dtype=object)
    errors[:] = ""
    rows = _Rows(
        tariff=tariff, usage=usage, n=n, errors=errors, days=days_of_pair[pair_index], part=~whole[pair_index]
    )
    rows.refuse(rows.days <= 0, "计费期间不正确")

    billed = usage.kwh - usage.deduct
    rows.refuse(billed < 0, "套扣电量大于总表电量")
    transformer_loss = rows.prorate(usage.transformer_loss, decimals=tariff.rules.loss_decimals)
    transformer_kvarh = rows.prorate(usage.transformer_loss_kvarh, decimals=tariff.rules.loss_decimals)
    line_loss = rows.prorate(usage.line_loss, decimals=tariff.rules.loss_decimals)

    weights = _tou_weights(tariff, pair_list, pair_index)
    _energy(rows, billed, weights)
    _allowance(rows, billed)
    _losses(rows, transformer_loss, line_loss, weights)
    _basic(rows)
    _funds(rows, billed + transformer_loss + line_loss)
    return PricedRows(
        tariff=tariff,
        blocks=rows.blocks,
        errors=rows.errors,
        pf_kwh=usage.kwh + transformer_loss + line_loss,
        pf_kvarh=usage.kvarh + transformer_kvarh,
    )


@dataclass(frozen=True)
class _Weights:
    """Per row and TOU period: the multiplier numerator (in 1/RATIO, summed over days when the
    tariff has seasons) and its denominator (the days, or 1)."""

    numerator: dict[TouPeriod, Ints]
    denominator: Ints
    explain: Callable[[int, TouPeriod], str]


def _tou_weights(
    tariff: Tariff, pairs: list[tuple[date, date]], pair_index: npt.NDArray[np.intp]
) -> _Weights | None:
    tou = tariff.energy.tou
    if tou is None:
        return None
    n = len(pair_index)
    periods = list(tou.multipliers)
    if not tou.seasons:
        numerator = {p: full(n, _ratio_int(tou.multipliers[p], f"tou.{p}")) for p in periods}

        def plain(_row: int, period: TouPeriod) -> str:
            return f"×{qty_text(tou.multipliers[period])}"

        return _Weights(numerator=numerator, denominator=full(n, 1), explain=plain)
    per_pair: list[dict[TouPeriod, int]] = []
    texts: list[str] = []
    for start, end in pairs:
        by_month = _days_by_month(start, end)
        weighted: dict[TouPeriod, int] = dict.fromkeys(periods, 0)
        parts: list[str] = []
        for month, count in sorted(by_month.items()):
            multipliers = tou.multipliers_in(month)
            for p in periods:
                weighted[p] += count * _ratio_int(multipliers.get(p, tou.multipliers[p]), f"tou.{p}")
            parts.append(f"{month}月{count}天")
        per_pair.append(weighted)
        texts.append("、".join(parts))
    numerator = {p: column(weights[p] for weights in per_pair)[pair_index] for p in periods}
    denominator = column(((end - start).days or 1) for start, end in pairs)[pair_index]
    season_months = {m for s in tou.seasons for m in s.months}

    def weighted_text(row: int, period: TouPeriod) -> str:
        start, end = pairs[int(pair_index[row])]
        months = set(_days_by_month(start, end))
        if len({m in season_months for m in months}) == 1:
            multiplier = tou.multipliers_in(min(months)).get(period, tou.multipliers[period])
            return f"×{qty_text(multiplier)}"
        return f"×按天加权({texts[int(pair_index[row])]})"

    return _Weights(numerator=numerator, denominator=denominator, explain=weighted_text)


def _thresholds(rows: _Rows) -> list[Ints]:
    """Tier upper bounds per row (scaled kWh), prorated for part periods of monthly tiers."""
    energy = rows.tariff.energy
    bounds: list[Ints] = []
    for index, tier in enumerate(energy.tiers[:-1]):
        assert tier.up_to is not None
        monthly = full(rows.n, scaled(tier.up_to, scale=QTY, what=f"tiers[{index}].up_to"))
        if energy.tier_basis is TierBasis.MONTHLY:
            bounds.append(rows.prorate(monthly, decimals=rows.tariff.rules.threshold_decimals))
        else:
            bounds.append(monthly)
    return bounds


def _tier_split(rows: _Rows, billed: Ints) -> list[Ints]:
    """The kWh in each tier; the parts add up to ``billed``."""
    bounds = _thresholds(rows)
    if rows.tariff.energy.tier_basis is TierBasis.ANNUAL:
        low, high = rows.usage.year_to_date, rows.usage.year_to_date + billed
    else:
        low, high = zeros(rows.n), billed
    # The part of [low, high) inside each tier [lower, upper).
    parts: list[Ints] = []
    lower = zeros(rows.n)
    for upper in [*bounds, None]:
        start = np.maximum(low, lower)
        stop = high if upper is None else np.minimum(high, upper)
        parts.append(np.maximum(stop - start, 0))
        if upper is not None:
            lower = upper
    return parts


def _tier_rule(rows: _Rows, index: int, bounds: list[Ints]) -> Callable[[int], str]:
    energy = rows.tariff.energy
    annual = energy.tier_basis is TierBasis.ANNUAL

    def rule(row: int) -> str:
        low = "0" if index == 0 else _kwh(bounds[index - 1][row])
        high = "以上" if index == len(bounds) else f"–{_kwh(bounds[index][row])}"
        span = f"{low}kWh以上" if index == len(bounds) else f"{low}{high}kWh"
        scope = "年累计" if annual else "月"
        prorated = (
            f"，按{int(rows.days[row])}/{rows.tariff.rules.days_per_month}天折算"
            if rows.part[row] and not annual and energy.tiers[0].up_to is not None
            else ""
        )
        return f"第{index + 1}档 {scope}{span}{prorated}"

    return rule


def _energy(rows: _Rows, billed: Ints, weights: _Weights | None) -> None:
    tariff = rows.tariff
    energy = tariff.energy
    every = np.ones(rows.n, dtype=bool)
    if weights is None:
        if energy.flat is not None:
            price = _price_int(energy.flat, "energy.flat")
            rows.add(
                code="energy",
                label="电度电费",
                unit="kWh",
                mask=every,
                quantity=billed,
                price=price,
                rule=lambda _r: f"单一电价 {price_text(energy.flat or Decimal(0))}元/kWh",
                rule_key=np.zeros(rows.n, dtype=np.intp),
                kind="energy",
            )
            return
        parts = _tier_split(rows, billed)
        bounds = _thresholds(rows)
        for index, (tier, part) in enumerate(zip(energy.tiers, parts, strict=True)):
            rows.add(
                code=f"energy.tier{index + 1}",
                label=f"第{index + 1}档电度电费",
                unit="kWh",
                mask=every if index == 0 else part != 0,
                quantity=part,
                price=_price_int(tier.price, f"tiers[{index}].price"),
                rule=_tier_rule(rows, index, bounds),
                rule_key=rows.usage.period_of,
                kind="energy",
            )
        return
    # Time of use: flat = total − the other periods.
    usage = rows.usage
    # A meter without period registers on a TOU tariff: everything at the 平段 price.
    tou_kwh: dict[TouPeriod, Ints] = {}
    others = zeros(rows.n)
    for period in TouPeriod:
        if period is TouPeriod.FLAT:
            continue
        given = usage.tou.get(period)
        if given is None:
            continue
        deducted = usage.deduct_tou.get(period)
        kwh = given - deducted if deducted is not None else given
        tou_kwh[period] = kwh
        others = others + kwh
        if period not in weights.numerator:
            rows.refuse(kwh != 0, f"电价{tariff.version}没有{TOU_LABELS[period]}时段电价")
    flat = billed - others
    rows.refuse(flat < 0, "各时段电量之和大于总电量")
    tou_kwh[TouPeriod.FLAT] = flat
    base = energy.base_price
    base_int = scaled(base, scale=10**6, what="base price")
    for period in TouPeriod:
        if period not in tou_kwh or period not in weights.numerator:
            continue
        kwh = tou_kwh[period]
        numerator = mul(weights.numerator[period], base_int)
        rows.add(
            code=f"energy.{period.value}",
            label=f"{TOU_LABELS[period]}电度电费",
            unit="kWh",
            mask=(kwh != 0) | (period is TouPeriod.FLAT),
            quantity=kwh,
            price=numerator,
            price_den=weights.denominator,
            rule=_tou_rule(weights, period, base, tiered=energy.flat is None, has_tou=usage.has_tou),
            rule_key=usage.period_of * 2 + usage.has_tou,
            kind="energy",
        )
    if energy.flat is None and len(energy.tiers) > 1:
        parts = _tier_split(rows, billed)
        bounds = _thresholds(rows)
        first = energy.tiers[0].price
        for index in range(1, len(energy.tiers)):
            tier = energy.tiers[index]
            increment = _price_int(tier.price - first, f"tiers[{index}].price")
            part = parts[index]
            rows.add(
                code=f"energy.tier{index + 1}",
                label=f"第{index + 1}档加价",
                unit="kWh",
                mask=part != 0,
                quantity=part,
                price=increment,
                rule=_increment_rule(_tier_rule(rows, index, bounds), tier.price - first),
                rule_key=rows.usage.period_of,
                kind="energy",
            )


def _tou_rule(
    weights: _Weights, period: TouPeriod, base: Decimal, *, tiered: bool, has_tou: npt.NDArray[np.bool_]
) -> Callable[[int], str]:
    name = "第1档电价" if tiered else "基础电价"

    def rule(row: int) -> str:
        text = f"{TOU_LABELS[period]} {name}{price_text(base)}{weights.explain(row, period)}"
        return text if has_tou[row] else f"无分时示数，全部电量按平段计价：{text}"

    return rule


def _increment_rule(tier_rule: Callable[[int], str], increment: Decimal) -> Callable[[int], str]:
    def rule(row: int) -> str:
        return f"{tier_rule(row)}，加价{price_text(increment)}元/kWh"

    return rule


def _allowance(rows: _Rows, billed: Ints) -> None:
    energy = rows.tariff.energy
    if energy.low_income_free_kwh <= 0:
        return
    free = rows.prorate(
        full(rows.n, scaled(energy.low_income_free_kwh, scale=QTY, what="low_income_free_kwh")),
        decimals=rows.tariff.rules.threshold_decimals,
    )
    credited = np.minimum(billed, free)
    mask = rows.usage.low_income & (credited > 0)
    base = energy.base_price
    rows.add(
        code="allowance.low_income",
        label="低保/五保免费电量",
        unit="kWh",
        mask=mask,
        quantity=-credited,
        price=_price_int(base, "base price"),
        rule=lambda r: f"每月免费{_kwh(free[r])}kWh，按{price_text(base)}元/kWh抵减",
        rule_key=rows.usage.period_of,
        kind="allowance",
    )


def _losses(rows: _Rows, transformer: Ints, line: Ints, weights: _Weights | None) -> None:
    energy = rows.tariff.energy
    base = energy.base_price
    base_int = scaled(base, scale=10**6, what="base price")
    if weights is not None and TouPeriod.FLAT in weights.numerator:
        price: Ints | int = mul(weights.numerator[TouPeriod.FLAT], base_int)
        den: Ints | int = weights.denominator
    else:
        price, den = _price_int(base, "base price"), 1
    per_month = rows.tariff.rules.days_per_month
    for code, label, kwh, source in (
        ("loss.transformer", "变压器损耗电费", transformer, rows.usage.transformer_loss),
        ("loss.line", "线路损耗电费", line, rows.usage.line_loss),
    ):

        def rule(r: int, source: Ints = source, label: str = label) -> str:
            prorated = f"×{int(rows.days[r])}/{per_month}天" if rows.part[r] else ""
            return f"高供低计 {label[:-2]} 月{_kwh(source[r])}kWh{prorated}，按平段电价"

        rows.add(
            code=code,
            label=label,
            unit="kWh",
            mask=kwh != 0,
            quantity=kwh,
            price=price,
            price_den=den,
            rule=rule,
            kind="loss",
        )


def _basic(rows: _Rows) -> None:
    basic = rows.tariff.basic
    if basic is None:
        return
    rules = rows.tariff.rules
    usage = rows.usage
    per_month = rules.days_per_month
    prorated = usage.basic_days > 0
    # 1/30 per day of use, never more than the whole month.
    days_used = np.where(prorated, np.minimum(usage.basic_days, per_month), per_month)
    prorated = prorated & (usage.basic_days < per_month)
    den = full(rows.n, per_month)

    def proration(r: int) -> str:
        return f"，按{int(days_used[r])}/{per_month}天计收" if prorated[r] else ""

    by_capacity = usage.basic_by == BasicChargeBy.CAPACITY.value
    by_contract = usage.basic_by == BasicChargeBy.CONTRACT_DEMAND.value
    by_actual = usage.basic_by == BasicChargeBy.ACTUAL_DEMAND.value
    if basic.capacity_price is None:
        rows.refuse(by_capacity, f"电价{rows.tariff.version}没有容量电价")
    else:
        capacity_price = basic.capacity_price
        price = _price_int(capacity_price, "basic.capacity_price")
        rows.refuse(by_capacity & (usage.capacity <= 0), "按容量计收基本电费需要运行容量")
        rows.add(
            code="basic.capacity",
            label="基本电费（按容量）",
            unit="kVA",
            mask=by_capacity,
            quantity=usage.capacity,
            price=mul(days_used, price),
            price_den=den,
            shown_price=price,
            rule=lambda r: (
                f"容量{_kwh(usage.capacity[r])}kVA×{price_text(capacity_price)}元/kVA·月{proration(r)}"
            ),
            kind="basic",
        )
    if basic.demand_price is None:
        rows.refuse(by_contract | by_actual, f"电价{rows.tariff.version}没有需量电价")
        return
    demand_price = basic.demand_price
    price = _price_int(demand_price, "basic.demand_price")
    # Contract demand, in 1/QTY/RATIO² kW so the floor and threshold products stay exact.
    rows.refuse(by_contract & ~usage.has_contract, "按合同需量计收基本电费需要合同最大需量")
    rows.refuse(by_actual & ~usage.has_demand, "按实际需量计收基本电费需要最大需量示数")
    fine = RATIO * RATIO
    floor = _ratio_int(rules.contract_demand_floor, "contract_demand_floor")
    threshold = _ratio_int(rules.demand_excess_threshold, "demand_excess_threshold")
    factor = _ratio_int(rules.demand_excess_factor, "demand_excess_factor")
    # Two-part rows are few: this arithmetic runs on Python integers, which cannot overflow.
    contract = np.maximum(
        mul(usage.contract_demand.astype(object), fine), mul(usage.capacity.astype(object), floor * RATIO)
    )
    limit = mul(contract, threshold) // RATIO  # exact: contract carries RATIO² of headroom
    actual = mul(usage.demand.astype(object), fine)
    over = by_contract & usage.has_demand & (actual > limit)
    billed_main = np.where(over, limit, contract)
    excess = np.where(over, actual - limit, 0)
    raised = mul(usage.contract_demand.astype(object), fine) < contract

    def contract_rule(r: int) -> str:
        text = f"合同需量{_kwh(usage.contract_demand[r])}kW"
        if raised[r]:
            floor_kw = qty_text(decimal_of(contract[r], scale=QTY * fine))
            text += f"，低于容量{qty_text(rules.contract_demand_floor * 100)}%按{floor_kw}kW"
        if over[r]:
            limit_kw = qty_text(decimal_of(limit[r], scale=QTY * fine))
            threshold = qty_text(rules.demand_excess_threshold * 100)
            text += f"，实际{_kwh(usage.demand[r])}kW超过{threshold}%，按{limit_kw}kW"
        return f"{text}×{price_text(demand_price)}元/kW·月{proration(r)}"

    rows.add(
        code="basic.demand",
        label="基本电费（按需量）",
        unit="kW",
        mask=by_contract,
        quantity=billed_main,
        quantity_scale=QTY * fine,
        price=mul(days_used, price),
        price_den=den,
        shown_price=price,
        rule=contract_rule,
        kind="basic",
    )
    rows.add(
        code="basic.demand_excess",
        label="基本电费（超需量加价）",
        unit="kW",
        mask=over,
        quantity=excess,
        quantity_scale=QTY * fine,
        price=mul(days_used, price * factor // RATIO),
        price_den=den,
        shown_price=price * factor // RATIO,
        rule=lambda r: (
            f"超过合同需量{qty_text(rules.demand_excess_threshold * 100)}%部分按"
            f"{qty_text(rules.demand_excess_factor)}倍{price_text(demand_price)}元/kW·月{proration(r)}"
        ),
        kind="basic",
    )
    rows.add(
        code="basic.demand",
        label="基本电费（按实际需量）",
        unit="kW",
        mask=by_actual,
        quantity=usage.demand,
        price=mul(days_used, price),
        price_den=den,
        shown_price=price,
        rule=lambda r: (
            f"实际最大需量{_kwh(usage.demand[r])}kW×{price_text(demand_price)}元/kW·月{proration(r)}"
        ),
        kind="basic",
    )


def _funds(rows: _Rows, billed: Ints) -> None:
    for fund in rows.tariff.funds:
        exempt = (
            np.isin(rows.usage.categories, list(fund.exempt)) if fund.exempt else np.zeros(rows.n, dtype=bool)
        )
        price = fund.price
        rows.add(
            code=f"fund.{fund.code}",
            label=fund.name,
            unit="kWh",
            mask=~exempt & (billed != 0),
            quantity=billed,
            price=_price_int(price, f"funds.{fund.code}"),
            rule=_fund_rule(price),
            rule_key=np.zeros(rows.n, dtype=np.intp),
            kind="fund",
        )


def _fund_rule(price: Decimal) -> Callable[[int], str]:
    text = f"{price_text(price)}元/kWh×计费电量"

    def rule(_row: int) -> str:
        return text

    return rule
