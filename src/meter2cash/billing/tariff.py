"""A tariff version (电价版本) as the pricing engine sees it. Pure values, no storage.

A tariff is identified by its catalog ``code`` and versioned by a half-open effective period
``[effective_from, effective_to)``; ``version`` (``CODE@YYYY-MM-DD``) names one version on every
bill line priced with it. Every number the pricing rules use — prices, tier thresholds, TOU
multipliers, the two-part demand rules, the proration basis, the power-factor options — lives in
the tariff (its catalog file), never in the engine, because they differ by province, by contract
and over time (domain-rules.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from meter2cash.registry.codes import CustomerCategory


class TierBasis(StrEnum):
    """阶梯 thresholds per month, or per year cumulated year to date (年阶梯)."""

    MONTHLY = "monthly"
    ANNUAL = "annual"


class BasicChargeBy(StrEnum):
    """How a two-part customer's basic charge (基本电费) is set (domain-rules §2.3)."""

    CAPACITY = "capacity"  # 按变压器容量, 元/kVA·月
    CONTRACT_DEMAND = "contract_demand"  # 按合同最大需量, 元/kW·月
    ACTUAL_DEMAND = "actual_demand"  # 按实际最大需量, 元/kW·月


class TouPeriod(StrEnum):
    """Time-of-use periods, from the most to the least expensive."""

    SHARP = "sharp"  # 尖峰
    PEAK = "peak"  # 高峰
    FLAT = "flat"  # 平段
    VALLEY = "valley"  # 低谷
    DEEP_VALLEY = "deep_valley"  # 深谷


TOU_PERIODS: tuple[TouPeriod, ...] = tuple(TouPeriod)

TOU_LABELS: dict[TouPeriod, str] = {
    TouPeriod.SHARP: "尖峰",
    TouPeriod.PEAK: "高峰",
    TouPeriod.FLAT: "平段",
    TouPeriod.VALLEY: "低谷",
    TouPeriod.DEEP_VALLEY: "深谷",
}


@dataclass(frozen=True, slots=True)
class Tier:
    """One step of a tiered price: energy up to ``up_to`` kWh (per month, or per year for annual
    tiers) at ``price`` 元/kWh. The last tier has no ``up_to``."""

    price: Decimal
    up_to: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TouSeason:
    """Multipliers that replace the default ones in the given calendar months (e.g. 蒙西's calm
    season June–August, with 尖峰 and 深谷)."""

    months: frozenset[int]
    multipliers: Mapping[TouPeriod, Decimal]
    name: str = ""


@dataclass(frozen=True, slots=True)
class Tou:
    """峰谷分时: each period's price is the base price × its multiplier (domain-rules §2.2)."""

    multipliers: Mapping[TouPeriod, Decimal]
    seasons: tuple[TouSeason, ...] = ()

    def multipliers_in(self, month: int) -> Mapping[TouPeriod, Decimal]:
        for season in self.seasons:
            if month in season.months:
                return season.multipliers
        return self.multipliers


@dataclass(frozen=True, slots=True)
class EnergyCharge:
    """电度电价: ``flat`` 元/kWh, or ``tiers``; optionally with time-of-use multipliers.

    With tiers and TOU together (居民峰谷 + 阶梯), the periods are priced at the tier-1 price ×
    their multiplier, and the energy above each threshold pays the tier's increment over tier 1
    (the 加价 of 发改价格〔2011〕2617号).
    """

    flat: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    tier_basis: TierBasis = TierBasis.MONTHLY
    tou: Tou | None = None
    low_income_free_kwh: Decimal = Decimal(0)  # 低保/五保 free allowance per month

    @property
    def base_price(self) -> Decimal:
        """The price of the first kWh: the flat price, or tier 1's."""
        if self.flat is not None:
            return self.flat
        return self.tiers[0].price


@dataclass(frozen=True, slots=True)
class BasicCharge:
    """基本电价 of a two-part tariff."""

    capacity_price: Decimal | None = None  # 元/kVA·月
    demand_price: Decimal | None = None  # 元/kW·月


@dataclass(frozen=True, slots=True)
class Fund:
    """A government fund or surcharge (政府性基金及附加), per kWh, itemised on the bill.
    Customers of an ``exempt`` category do not pay it (e.g. agriculture and the renewable
    surcharge, domain-rules §2.5)."""

    code: str
    name: str
    price: Decimal
    exempt: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PricingRules:
    """The numbers behind the two-part, proration, loss and power-factor rules, set per tariff.

    contract_demand_floor:
        A contract demand below this share of the capacity is billed at this share (40 %,
        国家电网财〔2016〕633号).
    demand_excess_threshold / demand_excess_factor:
        Actual demand above threshold × contract is charged at factor × the demand price
        (105 %, ×2; 发改办价格〔2016〕1583号).
    days_per_month:
        Proration basis: the basic charge of a part month is 1/30 per day of use, a part day
        counting as a day; tier thresholds and monthly losses of a part period are prorated by
        the same basis (供电营业规则; domain-rules §2.1, §2.3, §2.6).
    threshold_decimals / loss_decimals:
        Prorated tier thresholds and losses are rounded half-up to this many decimals of a kWh.
    pf_includes_funds:
        Whether the power-factor percentage also applies to the government funds (the sources
        disagree; domain-rules §2.4).
    """

    contract_demand_floor: Decimal = Decimal("0.40")
    demand_excess_threshold: Decimal = Decimal("1.05")
    demand_excess_factor: Decimal = Decimal("2")
    days_per_month: int = 30
    threshold_decimals: int = 0
    loss_decimals: int = 0
    pf_includes_funds: bool = False


@dataclass(frozen=True, slots=True)
class Tariff:
    """One version of one catalog tariff."""

    code: str
    name: str
    category: CustomerCategory
    effective_from: date
    energy: EnergyCharge
    effective_to: date | None = None
    basic: BasicCharge | None = None
    funds: tuple[Fund, ...] = ()
    power_factor: bool = False
    rules: PricingRules = field(default_factory=PricingRules)
    illustrative: bool = False
    source: str = ""

    @property
    def version(self) -> str:
        return f"{self.code}@{self.effective_from.isoformat()}"

    def effective_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)
