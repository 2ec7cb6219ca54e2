"""The faults a bureau fights, planted in the demo so later features can be scored against them.
Pure.

Each meter-level fault goes to its own accounts (no account carries two), so a detector's hit
is unambiguous:

- ``misread``: on one reading day the reader keys two neighbouring digits swapped (the daily
  register history stays true; the misread is what the handheld file will show);
- ``missed_reading`` (漏抄): 1–4 days around a reading day with no reading at all;
- ``rollover``: a meter installed with a high start reading wraps 999999.99 → 0 in the window;
- ``meter_replacement`` (换表): the meter is swapped mid-window for a new one starting near 0;
- ``stopped_meter`` (停走): the register stops advancing while the customer keeps using power;
- ``theft`` (窃电): from one day the meter registers 40–80 % less than is used; the area's supply
  meter still sees the true load, so the area's line loss rises. Theft concentrates in a few
  areas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from meter2cash.demo.consumption import Calendar
from meter2cash.demo.customers import CARD, GEN, RES
from meter2cash.demo.population import Bureau
from meter2cash.demo.spec import DemoSpec


@dataclass(frozen=True, slots=True)
class FaultPlan:
    rollover: np.ndarray  # account indices
    rollover_at: np.ndarray  # where in the window the wrap falls, as a share of its energy
    replacement: np.ndarray
    replacement_day: np.ndarray  # day index of the swap (removal = install day)
    stopped: np.ndarray
    stopped_day: np.ndarray
    theft: np.ndarray
    theft_day: np.ndarray
    theft_percent: np.ndarray  # share of the load the meter no longer registers, 40–80
    hot_areas: np.ndarray  # area indices where theft concentrates
    missed: np.ndarray
    missed_start: np.ndarray  # first missing day index
    missed_length: np.ndarray  # 1–4 days
    missed_reading_day: np.ndarray  # the reading day the gap covers
    misread: np.ndarray
    misread_day: np.ndarray  # a reading day index


def _count(spec: DemoSpec, share: float, minimum: int = 1) -> int:
    return max(minimum, round(spec.accounts * share))


def reading_days(bureau: Bureau, calendar: Calendar) -> list[np.ndarray]:
    """Day indices of each route book's reading day (抄表例日) inside the window."""
    day_of_month = np.array([d.day for d in calendar.days])
    return [np.flatnonzero(day_of_month == book.reading_day) for book in bureau.books]


def plan_faults(rng: np.random.Generator, spec: DemoSpec, bureau: Bureau, calendar: Calendar) -> FaultPlan:
    accounts, mix = bureau.accounts, spec.mix
    n, d = len(accounts), len(calendar)
    taken = np.zeros(n, dtype=bool)
    public = ~np.array([bureau.areas[a].feeder for a in accounts.area])
    small = (accounts.category == RES) | (accounts.category == GEN)

    def pick(count: int, eligible: np.ndarray) -> np.ndarray:
        pool = np.flatnonzero(eligible & ~taken)
        chosen = np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))
        taken[chosen] = True
        return chosen

    def days_between(count: int, low: float, high: float) -> np.ndarray:
        return rng.integers(max(1, int(d * low)), max(2, int(d * high)), size=count)

    rollover = pick(_count(spec, mix.rollover, 2), (accounts.category == RES) & ~accounts.tou)
    public_areas = np.array([a.index for a in bureau.areas if not a.feeder])
    hot = np.sort(rng.choice(public_areas, size=max(1, round(len(public_areas) * 0.05)), replace=False))
    n_theft = _count(spec, mix.theft)
    n_hot = round(n_theft * mix.theft_in_hot_areas)
    theft_hot = pick(n_hot, small & np.isin(accounts.area, hot))
    theft = np.sort(np.concatenate([theft_hot, pick(n_theft - len(theft_hot), small & public)]))
    stopped = pick(_count(spec, mix.stopped), small & public)
    replacement = pick(_count(spec, mix.replacement), np.ones(n, dtype=bool))
    read_days = reading_days(bureau, calendar)
    missed = pick(_count(spec, mix.missed), np.ones(n, dtype=bool))
    missed_on = np.array([rng.choice(read_days[accounts.book[a]]) for a in missed], dtype=np.int64)
    missed_length = rng.integers(1, 5, size=len(missed))
    missed_start = np.maximum(0, missed_on - rng.integers(0, missed_length))
    # Misreads happen where people read meters: on the card meters, which are read by hand.
    misread = pick(_count(spec, mix.misread), accounts.payment == CARD)
    misread_day = np.array([rng.choice(read_days[accounts.book[a]]) for a in misread], dtype=np.int64)
    return FaultPlan(
        rollover=rollover,
        rollover_at=rng.uniform(0.2, 0.8, size=len(rollover)),
        replacement=replacement,
        replacement_day=days_between(len(replacement), 0.15, 0.85),
        stopped=stopped,
        stopped_day=days_between(len(stopped), 0.25, 0.75),
        theft=theft,
        theft_day=days_between(len(theft), 0.25, 0.75),
        theft_percent=rng.integers(40, 81, size=len(theft)),
        hot_areas=hot,
        missed=missed,
        missed_start=missed_start,
        missed_length=np.minimum(missed_length, d - missed_start),
        missed_reading_day=missed_on,
        misread=misread,
        misread_day=misread_day,
    )


def registered_energy(true: np.ndarray, plan: FaultPlan) -> np.ndarray:
    """What the customers' meters register: the true energy less theft, nothing once stopped."""
    registered = true.copy()
    for account, day, percent in zip(plan.theft, plan.theft_day, plan.theft_percent, strict=True):
        registered[account, day:] = registered[account, day:] * (100 - int(percent)) // 100
    for account, day in zip(plan.stopped, plan.stopped_day, strict=True):
        registered[account, day:] = 0
    return registered


def transpose_digits(rng: np.random.Generator, text: str) -> str | None:
    """The reading with two neighbouring, different digits swapped (integer part first), or None
    when no such pair exists."""
    integer, point, decimals = text.partition(".")
    for in_integer, part in ((True, integer), (False, decimals)):
        pairs = [i for i in range(len(part) - 1) if part[i] != part[i + 1]]
        if pairs:
            i = int(rng.choice(pairs))
            swapped = part[:i] + part[i + 1] + part[i] + part[i + 2 :]
            return f"{swapped}{point}{decimals}" if in_integer else f"{integer}.{swapped}"
    return None
