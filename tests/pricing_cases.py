"""Tariffs and a one-bill helper for the pricing tests: built in code, so the tests depend on
the rules, not on the shipped catalog."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from meter2cash.billing.bills import Bill, Component, price_case
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.tariff import (
    BasicCharge,
    EnergyCharge,
    Fund,
    PricingRules,
    Tariff,
    Tier,
    Tou,
    TouPeriod,
    TouSeason,
)
from meter2cash.billing.usage import UsageCase
from meter2cash.registry.codes import CustomerCategory

JUNE = (date(2026, 6, 1), date(2026, 7, 1))
P = TouPeriod

RES_TIERS = (Tier(D("0.43"), D(170)), Tier(D("0.48"), D(260)), Tier(D("0.73")))


def residential(**energy: object) -> Tariff:
    return Tariff(
        code="T-RES",
        name="居民",
        category=CustomerCategory.RESIDENTIAL,
        effective_from=date(2024, 1, 1),
        energy=EnergyCharge(**{"tiers": RES_TIERS, **energy}),  # type: ignore[arg-type]
    )


def general(*, seasons: bool = False, funds: tuple[Fund, ...] = ()) -> Tariff:
    windy = {
        P.SHARP: D("1.68"),
        P.PEAK: D("1.68"),
        P.FLAT: D(1),
        P.VALLEY: D("0.48"),
        P.DEEP_VALLEY: D("0.48"),
    }
    calm = {
        P.SHARP: D("1.848"),
        P.PEAK: D("1.54"),
        P.FLAT: D(1),
        P.VALLEY: D("0.44"),
        P.DEEP_VALLEY: D("0.352"),
    }
    tou = (
        Tou(windy, seasons=(TouSeason(frozenset({6, 7, 8}), calm, "平风季"),))
        if seasons
        else Tou({P.PEAK: D("1.5"), P.FLAT: D(1), P.VALLEY: D("0.5")})
    )
    return Tariff(
        code="T-GEN",
        name="一般工商业",
        category=CustomerCategory.GENERAL,
        effective_from=date(2024, 1, 1),
        energy=EnergyCharge(flat=D("0.4") if seasons else D("0.5"), tou=tou),
        funds=funds,
    )


def flat(price: str = "0.5", *, funds: tuple[Fund, ...] = (), code: str = "T-FLAT", **kw: object) -> Tariff:
    return Tariff(
        code=code,
        name="单一制",
        category=CustomerCategory.GENERAL,
        effective_from=date(2024, 1, 1),
        energy=EnergyCharge(flat=D(price)),
        funds=funds,
        **kw,  # type: ignore[arg-type]
    )


def two_part(*, pf_includes_funds: bool = False, funds: tuple[Fund, ...] = ()) -> Tariff:
    return Tariff(
        code="T-LI",
        name="大工业",
        category=CustomerCategory.LARGE_INDUSTRY,
        effective_from=date(2024, 1, 1),
        energy=EnergyCharge(flat=D("0.40")),
        basic=BasicCharge(capacity_price=D("25.00"), demand_price=D("38.00")),
        funds=funds,
        power_factor=True,
        rules=PricingRules(pf_includes_funds=pf_includes_funds),
    )


def case(
    kwh: str | None = None, *, period: tuple[date, date] = JUNE, category: str = "residential", **kw: object
) -> UsageCase:
    start, end = period
    return UsageCase(
        start=start,
        end=end,
        category=category,
        kwh_total=None if kwh is None else D(kwh),
        **kw,  # type: ignore[arg-type]
    )


def bill(tariff: Tariff, usage: UsageCase, *components: Component) -> Bill:
    priced, reason = price_case(tariff=tariff, case=usage, components=components, pf_tables=official_tables())
    assert priced is not None, reason
    return priced


def refusal(tariff: Tariff, usage: UsageCase) -> str:
    priced, reason = price_case(tariff=tariff, case=usage, pf_tables=official_tables())
    assert priced is None
    return reason


def amounts(b: Bill) -> dict[str, D]:
    return {line.code: line.amount for line in b.lines}


def quantities(b: Bill) -> dict[str, D]:
    return {line.code: line.quantity for line in b.lines}
