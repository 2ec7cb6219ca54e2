"""Run the demo bureau through its history window: true use, what each meter registers, the
planted faults, the area supply meters and the monthly maximum demand. Pure numpy.

Rows of the register arrays are *meters on customer service points*: one per account, plus one
per replacement meter (换表) appended after them. Readings are int64 hundredths of the register
unit; only the files turn them into decimal text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from meter2cash.demo import consumption, registers
from meter2cash.demo.consumption import Calendar
from meter2cash.demo.customers import LI
from meter2cash.demo.faults import FaultPlan, plan_faults, registered_energy
from meter2cash.demo.meters import WRAP, meter_identity
from meter2cash.demo.population import Bureau
from meter2cash.demo.spec import DemoSpec
from meter2cash.demo.streams import stream


@dataclass(frozen=True, slots=True)
class Meters:
    account: np.ndarray  # account index of each meter row
    meter_no: list[str]
    address: list[str]
    first_day: np.ndarray  # first day index with a reading
    last_day: np.ndarray  # last day index with a reading (the day before a replacement)
    installed_on: list[date]
    install_total: np.ndarray  # reading at installation, hundredths
    install_tou: np.ndarray  # (rows, 4) sharp/peak/flat/valley at installation (TOU rows only)
    tou: np.ndarray  # bool
    reactive: np.ndarray  # bool: keeps a reactive (kvarh) register

    def __len__(self) -> int:
        return len(self.meter_no)


@dataclass(frozen=True, slots=True)
class Simulation:
    calendar: Calendar
    plan: FaultPlan
    meters: Meters
    true: np.ndarray  # (accounts, days) true energy, hundredths kWh
    registered: np.ndarray  # (accounts, days) what the customers' meters register
    total: np.ndarray  # (meters, days) displayed total register
    tou: np.ndarray  # (meters, days, 4) displayed TOU registers; zeros on non-TOU rows
    reactive: np.ndarray  # (meters, days) displayed kvarh register; zeros where none
    missing: np.ndarray  # (meters, days) bool: no reading that day (漏抄)
    supply_energy: np.ndarray  # (areas, days) energy into each area, hundredths kWh
    supply: np.ndarray  # (areas, days) displayed supply-meter register
    demand: dict[tuple[str, str], str]  # (account_no, "YYYY-MM") → max demand kW as text

    def valid(self) -> np.ndarray:
        """(meters, days) bool: the meter was on its service point that day."""
        days = np.arange(self.total.shape[1])[None, :]
        return (days >= self.meters.first_day[:, None]) & (days <= self.meters.last_day[:, None])


def _average_shares(category: np.ndarray) -> np.ndarray:
    windy = np.array([consumption.TOU_SHARES[int(c)][0] for c in category])
    calm = np.array([consumption.TOU_SHARES[int(c)][1] for c in category])
    average: np.ndarray = (9 * windy + 3 * calm) / 12
    return average


def simulate(spec: DemoSpec, bureau: Bureau) -> Simulation:
    accounts = bureau.accounts
    calendar = Calendar.of(spec.days())
    true = consumption.daily_energy(stream(spec.seed, "consumption"), accounts, calendar)
    plan = plan_faults(stream(spec.seed, "faults"), spec, bureau, calendar)
    registered = registered_energy(true, plan)
    rng = stream(spec.seed, "readings")
    n, d = true.shape
    k = len(plan.replacement)
    row_account = np.concatenate([np.arange(n), plan.replacement])
    energy = np.concatenate([registered, registered[plan.replacement]])
    first_day = np.zeros(n + k, dtype=np.int64)
    last_day = np.full(n + k, d - 1, dtype=np.int64)
    for j, (a, day) in enumerate(zip(plan.replacement, plan.replacement_day, strict=True)):
        energy[a, day:] = 0  # the old meter's last day is the day before the swap
        energy[n + j, :day] = 0
        last_day[a] = day - 1
        first_day[n + j] = day
    multiplier = accounts.multiplier[row_account]
    category = accounts.category[row_account]

    # Readings at installation and at the start of the window.
    installed_on = list(accounts.installed_on)
    install = np.where(rng.random(n) < 0.7, 0, rng.integers(0, 5000, n)).astype(np.int64)
    for a in plan.rollover:
        installed_on[a] = spec.start - timedelta(days=int(rng.integers(30, 181)))
    since = np.array([(spec.start - day).days for day in installed_on], dtype=np.int64)
    mean_daily = true.mean(axis=1)
    before_window = np.floor(mean_daily * since * rng.uniform(0.9, 1.1, n) / accounts.multiplier)
    in_window = energy[:n].sum(axis=1) // accounts.multiplier
    opening = np.minimum(install + before_window.astype(np.int64), int(WRAP * 0.95) - in_window)
    install = np.minimum(install, opening)
    for a, at in zip(plan.rollover, plan.rollover_at, strict=True):
        opening[a] = WRAP - int(in_window[a] * at)
        install[a] = opening[a] - int(before_window[a])
    new_start = rng.integers(0, 200, k).astype(np.int64)
    opening = np.concatenate([opening, new_start])
    install = np.concatenate([install, new_start])
    installed_on += [calendar.days[int(day)] for day in plan.replacement_day]

    # Totals; time-of-use meters sum their four registers; kvarh for large industry.
    total = registers.readings(opening, energy, multiplier)
    tou_rows = np.flatnonzero(accounts.tou[row_account])
    tou = np.zeros((n + k, d, 4), dtype=np.int64)
    install_tou = np.zeros((n + k, 4), dtype=np.int64)
    if len(tou_rows):
        typical = _average_shares(category[tou_rows])
        install_tou[tou_rows] = registers.split_opening(install[tou_rows], typical)
        opening_tou = install_tou[tou_rows] + registers.split_opening(
            opening[tou_rows] - install[tou_rows], typical
        )
        shares = consumption.tou_shares(stream(spec.seed, "tou"), category[tou_rows], calendar)
        parts = registers.split_tou(energy[tou_rows], shares)
        for x in range(4):
            tou[tou_rows, :, x] = registers.readings(opening_tou[:, x], parts[:, :, x], multiplier[tou_rows])
        total[tou_rows] = tou[tou_rows].sum(axis=2)
    reactive = np.zeros((n + k, d), dtype=np.int64)
    q_rows = np.flatnonzero(category == LI)
    if len(q_rows):
        q_energy = consumption.reactive_energy(rng, energy[q_rows])
        q_opening = np.floor(opening[q_rows] * rng.uniform(0.3, 0.6, len(q_rows))).astype(np.int64)
        reactive[q_rows] = registers.readings(q_opening, q_energy, multiplier[q_rows])

    missing = np.zeros((n + k, d), dtype=bool)
    for a, start, length in zip(plan.missed, plan.missed_start, plan.missed_length, strict=True):
        missing[a, start : start + length] = True

    supply_energy, supply = _supply(rng, spec, bureau, true)
    identities = [
        meter_identity(bureau.next_serial + j, accounts.meter_kind(int(a)))
        for j, a in enumerate(plan.replacement)
    ]
    meters = Meters(
        account=row_account,
        meter_no=list(accounts.meter_no) + [m for m, _ in identities],
        address=list(accounts.meter_address) + [a for _, a in identities],
        first_day=first_day,
        last_day=last_day,
        installed_on=installed_on,
        install_total=install,
        install_tou=install_tou,
        tou=accounts.tou[row_account],
        reactive=category == LI,
    )
    return Simulation(
        calendar=calendar,
        plan=plan,
        meters=meters,
        true=true,
        registered=registered,
        total=registers.displayed(total),
        tou=registers.displayed(tou),
        reactive=registers.displayed(reactive),
        missing=missing,
        supply_energy=supply_energy,
        supply=registers.displayed(supply),
        demand=_demand(rng, spec, bureau, true, calendar),
    )


def _supply(
    rng: np.random.Generator, spec: DemoSpec, bureau: Bureau, true: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The area supply meters (台区总表): the true load of the area plus its technical loss."""
    areas = bureau.areas
    order = np.argsort(bureau.accounts.area, kind="stable")
    sorted_areas = bureau.accounts.area[order]
    starts = np.searchsorted(sorted_areas, np.arange(len(areas)))
    occupied = np.bincount(sorted_areas, minlength=len(areas)) > 0
    load = np.zeros((len(areas), true.shape[1]), dtype=np.int64)
    load[occupied] = np.add.reduceat(true[order], starts[occupied], axis=0)
    loss = np.array([a.loss_permille for a in areas])[:, None] + rng.integers(-5, 6, load.shape)
    supplied = load * (1000 + loss) // 1000
    multiplier = np.array([a.supply_multiplier for a in areas], dtype=np.int64)
    since = np.array([(spec.start - a.supply_installed_on).days for a in areas])
    before = (supplied.mean(axis=1) * since).astype(np.int64) // multiplier
    opening = np.array([a.supply_start for a in areas], dtype=np.int64) + before
    return supplied, registers.readings(opening, supplied, multiplier)


def _demand(
    rng: np.random.Generator, spec: DemoSpec, bureau: Bureau, true: np.ndarray, calendar: Calendar
) -> dict[tuple[str, str], str]:
    """Monthly maximum demand of the large-industry accounts: the demand register (kW on the
    secondary side, 4 decimals) times the multiplier, as exact decimal text."""
    accounts = bureau.accounts
    rows = np.flatnonzero(accounts.category == LI)
    first = spec.start.year * 12 + spec.start.month - 1
    month_index = np.array([d.year * 12 + d.month - 1 - first for d in calendar.days])
    months = int(month_index.max()) + 1
    kw = consumption.monthly_max_demand(rng, true[rows], month_index, months)
    result: dict[tuple[str, str], str] = {}
    for i, a in enumerate(rows):
        multiplier = int(accounts.multiplier[a])
        for m in range(months):
            year, month = divmod(first + m, 12)
            register = round(float(kw[i, m]) / multiplier * 10_000)
            result[(accounts.account_no[a], f"{year:04d}-{month + 1:02d}")] = str(
                Decimal(register * multiplier).scaleb(-4)
            )
    return result
