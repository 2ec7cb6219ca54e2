"""Daily energy use of the demo accounts, shaped like western Inner Mongolia. Pure numpy.

- Residential: a cold-winter shape. Many households heat with electricity, so use rises from
  mid-October, peaks in mid-January at 2–3 × the autumn level and falls back by mid-April;
  a mild summer bump (fans, some air conditioning) around late July; a little more at weekends
  and over the Spring Festival.
- General commercial: some heating, a summer bump, a per-business weekend factor, quiet over the
  Spring Festival.
- Large industry: nearly flat, a little lower on Sundays, a few maintenance stops a year, half
  load over the Spring Festival.
- Agriculture: irrigation pumps run in rounds from May to September and again for the autumn
  irrigation (秋浇, mid-October to mid-November); otherwise only standby use.

Energy comes out as int64 hundredths of a kWh; floats are used only to draw the random shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from meter2cash.demo.customers import AGR, GEN, LI, RES, Accounts

SPRING_FESTIVAL = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
NOISE_SIGMA = {RES: 0.25, GEN: 0.15, LI: 0.08, AGR: 0.3}
CALM_MONTHS = (6, 7, 8)  # 蒙西 calm season: critical peak (尖峰) hours exist only then
# (sharp, peak, valley) shares of a day's energy, windy and calm season; flat takes the rest.
TOU_SHARES = {
    RES: ((0.0, 0.26, 0.42), (0.05, 0.24, 0.30)),
    GEN: ((0.0, 0.34, 0.20), (0.08, 0.28, 0.20)),
    LI: ((0.0, 0.26, 0.34), (0.06, 0.22, 0.32)),
    AGR: ((0.0, 0.30, 0.30), (0.05, 0.28, 0.30)),
}


@dataclass(frozen=True, slots=True)
class Calendar:
    days: list[date]
    doy: np.ndarray  # day of year, float
    month: np.ndarray  # 1–12
    weekday: np.ndarray  # Monday 0 … Sunday 6
    festival: np.ndarray  # bool: Spring Festival holidays

    @classmethod
    def of(cls, days: list[date]) -> Calendar:
        festival = np.zeros(len(days), dtype=bool)
        for i, day in enumerate(days):
            new_year = SPRING_FESTIVAL.get(day.year)
            if new_year is not None and new_year - timedelta(days=3) <= day < new_year + timedelta(days=12):
                festival[i] = True
        return cls(
            days=days,
            doy=np.array([d.timetuple().tm_yday for d in days], dtype=np.float64),
            month=np.array([d.month for d in days]),
            weekday=np.array([d.weekday() for d in days]),
            festival=festival,
        )

    def __len__(self) -> int:
        return len(self.days)


def heating_curve(doy: np.ndarray) -> np.ndarray:
    """1 on 15 January, falling to 0 by mid-April and rising again from mid-October."""
    return np.maximum(0.0, np.cos(2 * math.pi * (doy - 15) / 365.25))


def summer_bump(doy: np.ndarray) -> np.ndarray:
    """1 around 20 July, fading over about a month either side."""
    return np.exp(-(((doy - 201) / 28) ** 2))


def irrigation_season(calendar: Calendar) -> np.ndarray:
    """1 in May–September, 0.6 during the autumn irrigation, else 0."""
    season = np.where((calendar.month >= 5) & (calendar.month <= 9), 1.0, 0.0)
    autumn = (calendar.doy >= 283) & (calendar.doy <= 319)
    return np.where(autumn, 0.6, season)


def _noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    return np.exp(sigma * rng.standard_normal(shape) - sigma * sigma / 2)


def daily_energy(rng: np.random.Generator, accounts: Accounts, calendar: Calendar) -> np.ndarray:
    """True daily energy per account and day, int64 hundredths of a kWh, shape (accounts, days)."""
    n, d = len(accounts), len(calendar)
    kwh = np.zeros((n, d))
    heat, summer = heating_curve(calendar.doy)[None, :], summer_bump(calendar.doy)[None, :]
    festival = calendar.festival[None, :].astype(np.float64)
    weekend = (calendar.weekday >= 5)[None, :].astype(np.float64)
    sunday = (calendar.weekday == 6)[None, :].astype(np.float64)
    for category in (RES, GEN, LI, AGR):
        rows = np.flatnonzero(accounts.category == category)
        if len(rows) == 0:
            continue
        k = len(rows)
        base = accounts.base_kwh[rows][:, None]
        h = accounts.heating[rows][:, None]
        if category == RES:
            bump = rng.uniform(0.15, 0.35, (k, 1))
            shape = (1 + h * heat + bump * summer) * (1 + 0.12 * festival) * (1 + 0.05 * weekend)
        elif category == GEN:
            weekend_factor = rng.uniform(0.6, 1.1, (k, 1))
            shape = (1 + h * heat + 0.25 * summer) * (1 - 0.35 * festival)
            shape = shape * (1 + (weekend_factor - 1) * weekend)
        elif category == LI:
            shape = (1 + h * heat) * (1 - 0.5 * festival) * (1 - 0.1 * sunday) * _stops(rng, k, d)
        else:
            shape = _pumping(rng, k, calendar)
        kwh[rows] = base * shape * _noise(rng, (k, d), NOISE_SIGMA[category])
        if category == AGR:
            kwh[rows] += rng.uniform(0.2, 1.0, (k, 1))  # standby: controller, lights
    return np.rint(kwh * 100).astype(np.int64)


def _stops(rng: np.random.Generator, k: int, d: int) -> np.ndarray:
    """Maintenance stops of a factory: about three a year of 2–6 days at 10–30 % load."""
    factor = np.ones((k, d))
    for row in range(k):
        for _ in range(int(rng.poisson(3 * d / 365))):
            start, length = int(rng.integers(0, d)), int(rng.integers(2, 7))
            factor[row, start : start + length] = rng.uniform(0.1, 0.3)
    return factor


def _pumping(rng: np.random.Generator, k: int, calendar: Calendar) -> np.ndarray:
    """Irrigation rounds: a pump runs ``on`` days out of every ``period`` within the season."""
    period = rng.integers(15, 31, (k, 1))
    on = rng.integers(4, 11, (k, 1))
    phase = rng.integers(0, 30, (k, 1))
    running = ((np.arange(len(calendar))[None, :] + phase) % period) < on
    shape: np.ndarray = running * irrigation_season(calendar)[None, :]
    return shape


def tou_shares(rng: np.random.Generator, category: np.ndarray, calendar: Calendar) -> np.ndarray:
    """Shares of each day's energy on the sharp, peak and valley registers, shape (rows, days, 3);
    flat takes the rest. Sharp (尖峰) hours exist only in the calm season (June–August)."""
    k, d = len(category), len(calendar)
    calm = np.isin(calendar.month, CALM_MONTHS)
    windy_table = np.array([TOU_SHARES[int(c)][0] for c in category])
    calm_table = np.array([TOU_SHARES[int(c)][1] for c in category])
    shares = np.where(calm[None, :, None], calm_table[:, None, :], windy_table[:, None, :])
    habit = rng.normal(0, 0.03, (k, 1, 3))
    daily = rng.normal(0, 0.015, (k, d, 3))
    shares = np.clip(shares + (habit + daily) * (shares > 0), 0.0, 0.6)
    return shares


def reactive_energy(rng: np.random.Generator, active: np.ndarray) -> np.ndarray:
    """Reactive energy (kvarh, hundredths) at a power factor of 0.82–0.97 per customer."""
    k = active.shape[0]
    pf = rng.uniform(0.82, 0.97, (k, 1))
    tan_phi = np.sqrt(1 / pf**2 - 1)
    reactive: np.ndarray = np.rint(active * tan_phi * _noise(rng, active.shape, 0.05)).astype(np.int64)
    return reactive


def monthly_max_demand(
    rng: np.random.Generator, active: np.ndarray, month_of_day: np.ndarray, months: int
) -> np.ndarray:
    """Monthly maximum demand in kW (float, shape (rows, months)): the busiest day's average
    load times a 15-minute peak factor of 1.2–1.6."""
    k = active.shape[0]
    peak = rng.uniform(1.2, 1.6, (k, 1)) * rng.uniform(1.0, 1.08, active.shape)
    load_kw = active / 100 / 24 * peak
    result = np.zeros((k, months))
    for m in range(months):
        result[:, m] = load_kw[:, month_of_day == m].max(axis=1)
    return result
