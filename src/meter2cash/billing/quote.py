"""A single quote (电费试算): one documented JSON case priced by the same engine as a bill run.

The case (docs/billing.md) names a catalog tariff or gives one inline, the period, the customer's
contract facts and the usage; optionally losses (高供低计), sub-meters (套扣) and a fixed split
(定量定比). Every problem with the case is named at once; nothing is guessed. Pure apart from
resolving a catalog code, which the caller passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from meter2cash.billing.bills import Bill, Component, price_case
from meter2cash.billing.catalog_files import parse_tariff
from meter2cash.billing.power_factor import PowerFactorTable
from meter2cash.billing.tariff import BasicChargeBy, Tariff, TouPeriod
from meter2cash.billing.usage import UsageCase
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.money import BadAmount, NotExact, exact
from meter2cash.registry.codes import CustomerCategory

Resolver = Callable[[str, date], Tariff | None]


# No quantity of a quote (kWh, kvarh, kW, kVA, a ratio) reaches 10¹²: a larger one is a typing
# error, and refusing it keeps every product within exact decimal arithmetic.
MAX_QUANTITY = Decimal(10) ** 12


@dataclass
class _Reader:
    problems: list[Problem] = field(default_factory=list)

    def fail(self, where: str, reason: str, value: object = None) -> None:
        self.problems.append(
            Problem(reason=reason, column=where, value=None if value is None else str(value))
        )

    def decimal(
        self, data: Mapping[str, Any], key: str, where: str, *, required: bool = False
    ) -> Decimal | None:
        if key not in data or data[key] is None:
            if required:
                self.fail(f"{where}.{key}", "必填 required")
            return None
        try:
            value = exact(data[key])
        except (BadAmount, NotExact):
            self.fail(f"{where}.{key}", "不是十进制数 not a decimal number", data[key])
            return None
        if value < 0:
            self.fail(f"{where}.{key}", "不能为负数 must not be negative", data[key])
            return None
        if value >= MAX_QUANTITY:
            self.fail(f"{where}.{key}", "数值过大 too large (at most 10¹² − 1)", data[key])
            return None
        return value

    def day(self, data: Mapping[str, Any], key: str, where: str) -> date | None:
        raw = data.get(key)
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            self.fail(f"{where}.{key}", "日期格式应为 YYYY-MM-DD", raw)
            return None

    def mapping(self, data: Mapping[str, Any], key: str, *, required: bool = False) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(key, "必填 required")
            return {}
        if not isinstance(value, Mapping):
            self.fail(key, "应为对象 must be an object", value)
            return {}
        return value


def _energy(reader: _Reader, raw: object, where: str) -> tuple[Decimal | None, dict[TouPeriod, Decimal]]:
    """``{"total": "40000"}`` and/or ``{"peak": …, "valley": …}``, or a bare number (the total)."""
    if not isinstance(raw, Mapping):
        return reader.decimal({"kwh": raw}, "kwh", where.rsplit(".", 1)[0], required=True), {}
    unknown = set(raw) - {"total"} - {p.value for p in TouPeriod}
    for key in sorted(unknown):
        reader.fail(f"{where}.{key}", "未知的时段 unknown period (total/sharp/peak/flat/valley/deep_valley)")
    total = reader.decimal(raw, "total", where)
    tou = {p: v for p in TouPeriod if (v := reader.decimal(raw, p.value, where)) is not None}
    if total is None and not tou:
        reader.fail(where, "需要 total 或分时电量 give total or the periods")
    if total is not None and tou and sum(tou.values(), Decimal(0)) > total:
        reader.fail(where, "各时段电量之和大于总电量 the periods add up to more than the total")
    if total is not None and TouPeriod.FLAT in tou:
        del tou[TouPeriod.FLAT]  # 平 = 总 − 尖 − 峰 − 谷 − 深谷
    return total, tou


def _tariff(reader: _Reader, raw: object, where: str, *, on: date | None, resolve: Resolver) -> Tariff | None:
    if isinstance(raw, str):
        if on is None:
            return None
        found = resolve(raw, on)
        if found is None:
            reader.fail(where, f"电价目录中没有在{on}有效的{raw} no such tariff in force", raw)
        return found
    if isinstance(raw, Mapping):
        try:
            return parse_tariff(data=raw, where=where)
        except InputRefused as refused:
            reader.problems.extend(refused.problems)
            return None
    reader.fail(where, "应为电价代码或电价对象 a catalog code or a tariff object", raw)
    return None


def parse_case(*, data: Mapping[str, Any], resolve: Resolver) -> tuple[Tariff, UsageCase, list[Component]]:
    """The case's tariff, its main usage and its components; every problem at once."""
    reader = _Reader()
    period = reader.mapping(data, "period", required=True)
    start = reader.day(period, "start", "period") if period else None
    end = reader.day(period, "end", "period") if period else None
    if start and end and end <= start:
        reader.fail("period.end", "结束日期应晚于开始日期 the end must be after the start", end)
    last_day = (end.fromordinal(end.toordinal() - 1)) if end else None
    tariff = _tariff(reader, data.get("tariff"), "tariff", on=last_day, resolve=resolve)
    customer = reader.mapping(data, "customer")
    usage = reader.mapping(data, "usage", required=True)
    category = str(customer.get("category") or (tariff.category if tariff else ""))
    if category not in {c.value for c in CustomerCategory}:
        reader.fail("customer.category", "未知的用电类别 unknown category", category)
    basic_by = str(customer.get("basic_charge_by") or BasicChargeBy.CAPACITY.value)
    if basic_by not in {b.value for b in BasicChargeBy}:
        reader.fail("customer.basic_charge_by", "应为 capacity / contract_demand / actual_demand", basic_by)
        basic_by = BasicChargeBy.CAPACITY.value
    pf_standard = str(customer.get("pf_standard") or "none")
    if pf_standard not in {"0.90", "0.85", "0.80", "none"}:
        reader.fail("customer.pf_standard", "力率考核标准应为 0.90 / 0.85 / 0.80 / none", pf_standard)
    low_income = customer.get("low_income", False)
    if not isinstance(low_income, bool):
        reader.fail("customer.low_income", "应为 true 或 false", low_income)
        low_income = False
    basic_days_raw = customer.get("basic_days", 0)
    if not isinstance(basic_days_raw, int) or isinstance(basic_days_raw, bool) or basic_days_raw < 0:
        reader.fail("customer.basic_days", "应为非负整数天数 a whole number of days", basic_days_raw)
        basic_days_raw = 0
    total, tou = _energy(reader, usage.get("kwh"), "usage.kwh")
    losses = reader.mapping(data, "losses")
    case = UsageCase(
        start=start or date(2000, 1, 1),
        end=end or date(2000, 2, 1),
        category=category,
        kwh_total=total,
        kwh_tou=tou,
        kvarh=reader.decimal(usage, "kvarh", "usage"),
        max_demand_kw=reader.decimal(usage, "max_demand_kw", "usage"),
        capacity_kva=reader.decimal(customer, "capacity_kva", "customer") or Decimal(0),
        contract_demand_kw=reader.decimal(customer, "contract_demand_kw", "customer"),
        basic_charge_by=BasicChargeBy(basic_by),
        basic_days=basic_days_raw,
        pf_standard=pf_standard,
        low_income=low_income,
        year_to_date_kwh=reader.decimal(usage, "year_to_date_kwh", "usage") or Decimal(0),
        transformer_loss_kwh=reader.decimal(losses, "transformer_kwh", "losses") or Decimal(0),
        transformer_loss_kvarh=reader.decimal(losses, "transformer_kvarh", "losses") or Decimal(0),
        line_loss_kwh=reader.decimal(losses, "line_kwh", "losses") or Decimal(0),
    )
    components, case = _components(reader, data, case, on=last_day, resolve=resolve)
    if reader.problems or tariff is None:
        if not reader.problems:
            reader.fail("tariff", "必填 required")
        raise InputRefused("试算请求有误 The quote request has errors", reader.problems)
    return tariff, case, components


def _components(
    reader: _Reader, data: Mapping[str, Any], case: UsageCase, *, on: date | None, resolve: Resolver
) -> tuple[list[Component], UsageCase]:
    components: list[Component] = []
    deduct = Decimal(0)
    deduct_tou: dict[TouPeriod, Decimal] = {}
    submeters = data.get("submeters") or []
    if not isinstance(submeters, Sequence) or isinstance(submeters, str):
        reader.fail("submeters", "应为列表 must be a list", submeters)
        submeters = []
    for index, sub in enumerate(submeters, start=1):
        where = f"submeters[{index - 1}]"
        if not isinstance(sub, Mapping):
            reader.fail(where, "应为对象 must be an object", sub)
            continue
        total, tou = _energy(reader, sub.get("kwh"), f"{where}.kwh")
        sub_total = total if total is not None else sum(tou.values(), Decimal(0))
        deduct += sub_total
        for period, kwh in tou.items():
            deduct_tou[period] = deduct_tou.get(period, Decimal(0)) + kwh
        if sub.get("tariff") is not None:
            tariff = _tariff(reader, sub["tariff"], f"{where}.tariff", on=on, resolve=resolve)
            if tariff is not None:
                name = str(sub.get("id") or f"sub{index}")
                components.append(
                    Component(
                        prefix=f"sub{index}",
                        label=f"套扣{name}·",
                        tariff=tariff,
                        case=replace(
                            case,
                            category=tariff.category.value,
                            kwh_total=total,
                            kwh_tou=tou,
                            kvarh=None,
                            basic_days=0,
                            low_income=False,
                            year_to_date_kwh=Decimal(0),
                            transformer_loss_kwh=Decimal(0),
                            transformer_loss_kvarh=Decimal(0),
                            line_loss_kwh=Decimal(0),
                        ),
                    )
                )
    split = data.get("fixed_split")
    if split is not None:
        if not isinstance(split, Mapping):
            reader.fail("fixed_split", "应为对象 must be an object", split)
        else:
            tariff = _tariff(reader, split.get("tariff"), "fixed_split.tariff", on=on, resolve=resolve)
            split_kwh = reader.decimal(split, "kwh", "fixed_split")
            ratio = reader.decimal(split, "ratio", "fixed_split")
            if (split_kwh is None) == (ratio is None):
                reader.fail("fixed_split", "定量给 kwh，定比给 ratio，二者取一 give kwh or ratio")
            elif ratio is not None and ratio > 1:
                reader.fail("fixed_split.ratio", "比例不能大于1 the ratio must be at most 1", ratio)
            available = case.total - deduct
            if split_kwh is None and ratio is not None:
                split_kwh = (available * ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            if split_kwh is not None and split_kwh > available:
                reader.fail("fixed_split.kwh", "定量电量大于可分电量 more than the meter recorded", split_kwh)
            if tariff is not None and split_kwh is not None:
                rule = f"定比{ratio}" if ratio is not None else "定量"
                components.append(
                    Component(
                        prefix="split",
                        label=f"{rule}·",
                        tariff=tariff,
                        case=replace(
                            case,
                            category=tariff.category.value,
                            kwh_total=split_kwh,
                            kwh_tou={},
                            kvarh=None,
                            basic_days=0,
                            low_income=False,
                            year_to_date_kwh=Decimal(0),
                            transformer_loss_kwh=Decimal(0),
                            transformer_loss_kvarh=Decimal(0),
                            line_loss_kwh=Decimal(0),
                            deduct_kwh=Decimal(0),
                            deduct_tou={},
                        ),
                    )
                )
                deduct += split_kwh
    if deduct:
        case = replace(case, deduct_kwh=deduct, deduct_tou=deduct_tou)
    return components, case


def quote(*, data: Mapping[str, Any], resolve: Resolver, pf_tables: Mapping[str, PowerFactorTable]) -> Bill:
    """Price one JSON case (see docs/billing.md)."""
    tariff, case, components = parse_case(data=data, resolve=resolve)
    bill, reason = price_case(tariff=tariff, case=case, components=components, pf_tables=pf_tables)
    if bill is None:
        raise InputRefused("无法计算电费 The case cannot be priced", [Problem(reason=reason)])
    return bill
