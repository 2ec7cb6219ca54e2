"""The demo accounts (户), column by column: who they are, how they are supplied and metered,
how much they use. Pure.

Magnitudes (daily kWh outside the heating season): residential 2.5–16 (median 6; electric
heating adds 100–200 % in January), general 20–300, large industry 2,000–40,000 on 10 kV with
CT × PT multipliers (50/5–400/5 × 10000/100), irrigation pumps 60–500 while pumping.
Registers are 6 integer + 2 decimal digits everywhere.

Contract facts (`Contracts`, from their own random stream so the rest of the bureau does not
move): a third of large industry pays its basic charge on a contract demand of 40–90 % of its
capacity (a few below 40 %, where the bill raises it to the floor), the rest on capacity; a third
of large industry, mostly the smaller transformers, is metered on the low side (高供低计: CTs
on the 0.4 kV side, no PT) and bears the transformer's monthly losses from the loss table; about
ten general accounts are sub-meters (套扣) of a bigger general account in the same area; about
ten irrigation accounts have 10–20 % of their energy priced as general commercial (定比).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from meter2cash.demo import names
from meter2cash.demo.meters import ct_ratio_for, meter_identity
from meter2cash.demo.spec import DemoSpec

RES, GEN, LI, AGR = 0, 1, 2, 3
CATEGORIES = ("residential", "general", "large_industry", "agriculture")
TARIFFS = ("MX-RES-1", "MX-GEN-1", "MX-LI-10KV", "MX-AGR-1")
VOLTAGE = ("220V", "380V", "10kV", "380V")
SUB_METERS = 10  # general accounts behind another account's meter (套扣)
SPLIT_ACCOUNTS = 10  # agriculture accounts with a 定比 split
SPLIT_TARIFF = "MX-GEN-1"
SPLIT_PERCENTS = (10, 15, 20)
RES_SIZES = (4, 6, 8, 10)
GEN_SIZES = (10, 15, 20, 30, 50, 80, 100, 125, 160, 200, 250, 315)
LI_SIZES = (315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000)
AGR_SIZES = (10, 15, 20, 30, 50, 80, 100)
PAYMENT_MODES = ("postpaid", "smart_prepaid", "card_prepaid")
POSTPAID, SMART, CARD = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Accounts:
    account_no: list[str]
    customer_code: list[str]
    customer_name: list[str]
    phone: list[str]
    address: list[str]
    category: np.ndarray  # int8, RES/GEN/LI/AGR
    area: np.ndarray  # int32 area index
    book: np.ndarray  # int32 route book index
    capacity_kva: np.ndarray  # int64
    payment: np.ndarray  # int8, POSTPAID/SMART/CARD
    important: np.ndarray  # bool
    low_income: np.ndarray  # bool
    opened_on: list[date]
    installed_on: list[date]
    meter_no: list[str]
    meter_address: list[str]
    meter_serial: np.ndarray  # int64
    port: np.ndarray  # int64
    ct_ratio: np.ndarray  # int64
    pt_ratio: np.ndarray  # int64
    tou: np.ndarray  # bool
    base_kwh: np.ndarray  # float64, typical daily kWh outside heating (pumps: while pumping)
    heating: np.ndarray  # float64, extra share of load at the coldest day
    contracts: Contracts

    def __len__(self) -> int:
        return len(self.account_no)

    @property
    def multiplier(self) -> np.ndarray:
        product: np.ndarray = self.ct_ratio * self.pt_ratio
        return product

    def meter_kind(self, i: int) -> str:
        if self.category[i] == RES:
            return "single"
        return "ct" if self.ct_ratio[i] > 1 else "three"

    def pf_standard(self, i: int) -> str:
        category, kva = int(self.category[i]), int(self.capacity_kva[i])
        if category == LI:
            return "0.90"
        if category == GEN and kva >= 100:
            return "0.85"
        if category == AGR and kva >= 100:
            return "0.80"
        return "none"


@dataclass(frozen=True, slots=True)
class Contracts:
    """Per account: the two-part contract, losses for low-side metering, 套扣 and 定比."""

    contract_demand_kw: np.ndarray  # int64; > 0: basic charge on the contract demand, 0: on capacity
    low_side: np.ndarray  # bool: 10 kV supply metered on the 0.4 kV side (高供低计)
    transformer_loss_kwh: np.ndarray  # int64 per month; > 0 exactly on low-side accounts
    transformer_loss_kvarh: np.ndarray  # int64 per month
    line_loss_kwh: np.ndarray  # int64 per month; 0: none
    master: np.ndarray  # int64 index of the master account (套扣); -1: none
    split_percent: np.ndarray  # int64 share priced at SPLIT_TARIFF (定比), in %; 0: none


def _log_uniform(rng: np.random.Generator, low: float, high: float, size: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(low), math.log(high), size))


def _size(kva: float, sizes: tuple[int, ...]) -> int:
    return next((s for s in sizes if s >= kva), sizes[-1])


def _loads(rng: np.random.Generator, category: np.ndarray, tou: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(category)
    base = np.empty(n)
    heating = np.zeros(n)
    is_res, is_gen, is_li, is_agr = (category == c for c in (RES, GEN, LI, AGR))
    base[is_res] = np.clip(rng.lognormal(math.log(6.0), 0.45, int(is_res.sum())), 2.5, 16.0)
    heating[is_res] = rng.uniform(1.0, 2.0, int(is_res.sum()))
    heating[is_res & tou] += 0.4  # 峰谷 households are the ones heating with storage heaters
    base[is_gen] = _log_uniform(rng, 20, 300, int(is_gen.sum()))
    heating[is_gen] = rng.uniform(0.2, 0.6, int(is_gen.sum()))
    base[is_li] = _log_uniform(rng, 2_000, 40_000, int(is_li.sum()))
    heating[is_li] = rng.uniform(0.0, 0.15, int(is_li.sum()))
    base[is_agr] = _log_uniform(rng, 60, 500, int(is_agr.sum()))
    return base, heating


def make_accounts(
    rng: np.random.Generator,
    name_rng: np.random.Generator,
    *,
    contract_rng: np.random.Generator,
    spec: DemoSpec,
    category: np.ndarray,
    area_of: np.ndarray,
    book_of: np.ndarray,
    places: list[names.Place],
    streets: list[str],
    first_serial: int,
    port_of_area: np.ndarray,
) -> Accounts:
    n = len(category)
    mix = spec.mix
    is_res = category == RES
    draw = rng.random(n)
    tou = (category == GEN) | (category == LI) | (is_res & (rng.random(n) < mix.residential_tou))
    payment = np.full(n, POSTPAID, dtype=np.int8)
    payment[is_res & (draw < mix.residential_card)] = CARD
    smart_res = (
        is_res & (draw >= mix.residential_card) & (draw < mix.residential_card + mix.residential_smart)
    )
    payment[smart_res | ((category == GEN) & (draw < mix.general_smart))] = SMART
    base, heating = _loads(rng, category, tou)
    capacity = np.empty(n, dtype=np.int64)
    ct = np.ones(n, dtype=np.int64)
    pt = np.ones(n, dtype=np.int64)
    res_pick = rng.choice(len(RES_SIZES), size=n, p=[0.15, 0.35, 0.35, 0.15])
    for i in range(n):
        c = int(category[i])
        if c == RES:
            capacity[i] = RES_SIZES[res_pick[i]]
        elif c == GEN:
            capacity[i] = _size(base[i] / 24 / 0.3, GEN_SIZES)
        elif c == LI:
            capacity[i] = _size(max(315.0, base[i] / 24 / 0.55 / 0.9), LI_SIZES)
            ct[i] = ct_ratio_for(capacity[i] / (math.sqrt(3) * 10))
            pt[i] = 100
        else:
            capacity[i] = _size(base[i] / 16 / 0.85, AGR_SIZES)
        if c in (GEN, AGR) and capacity[i] >= 50:
            ct[i] = ct_ratio_for(capacity[i] / (math.sqrt(3) * 0.38))
    contracts = make_contracts(contract_rng, category, area_of, capacity, payment, base)
    low = np.flatnonzero(contracts.low_side)
    for j in low:  # 高供低计: the CTs sit on the transformer's 0.4 kV side, no PT
        ct[j] = ct_ratio_for(capacity[j] / (math.sqrt(3) * 0.4))
    pt[low] = 1
    serial = first_serial + np.arange(n, dtype=np.int64)
    kinds = ["single" if c == RES else "ct" if ct[i] > 1 else "three" for i, c in enumerate(category)]
    identities = [meter_identity(int(s), k) for s, k in zip(serial, kinds, strict=True)]
    opened = [spec.start - timedelta(days=int(d)) for d in rng.integers(400, 7300, n)]
    installed = [
        max(o, spec.start - timedelta(days=int(d)))
        for o, d in zip(opened, rng.integers(60, 2900, n), strict=True)
    ]
    texts = _texts(name_rng, category, area_of, places, streets)
    codes = _customer_codes(rng, category)
    for i in range(1, n):
        if codes[i] == codes[i - 1]:  # one firm, two accounts: the same name, phone and address
            for column in texts:
                column[i] = column[i - 1]
    return Accounts(
        account_no=[f"15{i + 1:08d}" for i in range(n)],
        customer_code=codes,
        customer_name=texts[0],
        phone=texts[1],
        address=texts[2],
        category=category,
        area=area_of,
        book=book_of,
        capacity_kva=capacity,
        payment=payment,
        important=(category == LI) & (rng.random(n) < 0.25),
        low_income=is_res & (rng.random(n) < 0.03),
        opened_on=opened,
        installed_on=installed,
        meter_no=[m for m, _ in identities],
        meter_address=[a for _, a in identities],
        meter_serial=serial,
        port=port_of_area[area_of].astype(np.int64),
        ct_ratio=ct,
        pt_ratio=pt,
        tou=tou,
        base_kwh=base,
        heating=heating,
        contracts=contracts,
    )


def make_contracts(
    rng: np.random.Generator,
    category: np.ndarray,
    area_of: np.ndarray,
    capacity: np.ndarray,
    payment: np.ndarray,
    base: np.ndarray,
) -> Contracts:
    """The contract facts of the accounts (see the module docstring)."""
    n = len(category)
    large = np.flatnonzero(category == LI)
    demand = np.zeros(n, dtype=np.int64)
    on_demand = np.sort(rng.choice(large, size=round(len(large) / 3), replace=False))
    below_floor = rng.random(len(on_demand)) < 0.15
    share = np.where(
        below_floor, rng.uniform(0.25, 0.40, len(on_demand)), rng.uniform(0.40, 0.90, len(on_demand))
    )
    kw = capacity[on_demand] * share / 5  # contract demands are whole multiples of 5 kW
    demand[on_demand] = np.maximum(1, np.where(below_floor, np.floor(kw), np.ceil(kw))).astype(np.int64) * 5

    # 高供低计: a third of large industry, mostly the smaller transformers.
    low_side = np.zeros(n, dtype=bool)
    score = capacity[large] * rng.uniform(0.6, 1.4, len(large))
    low = large[np.argsort(score, kind="stable")[: round(len(large) / 3)]]
    low_side[low] = True
    t_kwh = np.zeros(n, dtype=np.int64)
    t_kvarh = np.zeros(n, dtype=np.int64)
    line = np.zeros(n, dtype=np.int64)
    monthly = base[low] * 30
    t_kwh[low] = np.maximum(1, np.rint(monthly * rng.uniform(0.005, 0.015, len(low)))).astype(np.int64)
    t_kvarh[low] = np.rint(t_kwh[low] * rng.uniform(3.5, 4.5, len(low))).astype(np.int64)
    with_line = low[rng.random(len(low)) < 1 / 3]
    line_loss = np.rint(base[with_line] * 30 * rng.uniform(0.001, 0.003, len(with_line)))
    line[with_line] = np.maximum(1, line_loss).astype(np.int64)

    return Contracts(
        contract_demand_kw=demand,
        low_side=low_side,
        transformer_loss_kwh=t_kwh,
        transformer_loss_kvarh=t_kvarh,
        line_loss_kwh=line,
        master=_sub_meters(rng, category, area_of, capacity, payment, base),
        split_percent=_splits(rng, category),
    )


def _sub_meters(
    rng: np.random.Generator,
    category: np.ndarray,
    area_of: np.ndarray,
    capacity: np.ndarray,
    payment: np.ndarray,
    base: np.ndarray,
) -> np.ndarray:
    """About SUB_METERS postpaid general accounts behind the meter of a bigger postpaid general
    account in the same area (at least three times its use, so the master's energy covers the
    deduction); no account is both, and each master has one sub-meter."""
    master = np.full(len(category), -1, dtype=np.int64)
    candidates = np.flatnonzero((category == GEN) & (payment == POSTPAID))
    by_area: dict[int, list[int]] = {}
    for i in candidates:
        by_area.setdefault(int(area_of[i]), []).append(int(i))
    used: set[int] = set()
    found = 0
    for sub in rng.permutation(candidates):
        if found == SUB_METERS:
            break
        s = int(sub)
        if s in used:
            continue
        masters = [
            m
            for m in by_area[int(area_of[s])]
            if m != s and m not in used and base[m] >= 3 * base[s] and capacity[m] >= capacity[s]
        ]
        if masters:
            chosen = masters[int(rng.integers(len(masters)))]
            master[s] = chosen
            used.update((s, chosen))
            found += 1
    return master


def _splits(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """About SPLIT_ACCOUNTS irrigation accounts with a share of their energy at SPLIT_TARIFF."""
    percent = np.zeros(len(category), dtype=np.int64)
    farms = np.flatnonzero(category == AGR)
    chosen = np.sort(rng.choice(farms, size=min(SPLIT_ACCOUNTS, len(farms)), replace=False))
    percent[chosen] = rng.choice(SPLIT_PERCENTS, size=len(chosen))
    return percent


def _customer_codes(rng: np.random.Generator, category: np.ndarray) -> list[str]:
    """One customer per account, except that some firms hold two neighbouring accounts."""
    codes: list[str] = []
    next_code = 1
    for i, c in enumerate(category):
        shares = i > 0 and c in (GEN, LI) and category[i - 1] == c and rng.random() < 0.05
        if not shares:
            codes.append(f"C15{next_code:08d}")
            next_code += 1
        else:
            codes.append(codes[-1])
    return codes


def _texts(
    rng: np.random.Generator,
    category: np.ndarray,
    area_of: np.ndarray,
    places: list[names.Place],
    streets: list[str],
) -> tuple[list[str], list[str], list[str]]:
    who, phones, where = [], [], []
    for c, a in zip(category, area_of, strict=True):
        place, street = places[int(a)], streets[int(a)]
        if c == RES:
            who.append(names.person_name(rng))
        elif c == GEN:
            who.append(names.shop_name(rng, place))
        elif c == LI:
            who.append(names.firm_name(rng, place))
        else:
            who.append(names.well_name(rng, place, street))
        phones.append(names.phone(rng))
        where.append((names.address if c == RES else names.business_address)(rng, place, street))
    return who, phones, where
