"""Cumulative meter registers from daily energy, in integer hundredths. Pure numpy.

The reading of day ``d`` is the register at the end of that day (24:00, the daily freeze
日冻结 stamped 00:00 of the next day), so it holds the energy of day ``d`` and every day before:
``reading[d] = opening + floor(energy through d / multiplier)``, where ``opening`` is the register
when the window (or the meter) starts. Working from the cumulative energy keeps the quantisation
of each day from drifting. A time-of-use meter keeps
sharp/peak/flat/valley registers and its total is their sum, exactly. A register shows
``integer_digits`` + 2 decimals and wraps to 0 after 999999.99.
"""

from __future__ import annotations

import numpy as np

from meter2cash.demo.meters import WRAP


def readings(opening: np.ndarray, energy: np.ndarray, multiplier: np.ndarray) -> np.ndarray:
    """Unwrapped register hundredths per row and day: the opening register plus the energy up to
    the end of the day, divided by the multiplier (倍率)."""
    result: np.ndarray = opening[:, None] + np.cumsum(energy, axis=1) // multiplier[:, None]
    return result


def split_tou(energy: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Split daily energy over (sharp, peak, flat, valley), shape (rows, days, 4); flat takes the
    remainder, so the four parts add up to the day's energy exactly."""
    parts = np.floor(energy[:, :, None] * shares).astype(np.int64)
    sharp, peak, valley = parts[:, :, 0], parts[:, :, 1], parts[:, :, 2]
    flat = energy - sharp - peak - valley
    return np.stack([sharp, peak, flat, valley], axis=2)


def split_opening(opening: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Split an opening total over the four registers by typical shares (rows, 3) → (rows, 4)."""
    parts = np.floor(opening[:, None] * shares).astype(np.int64)
    flat = opening - parts.sum(axis=1)
    return np.stack([parts[:, 0], parts[:, 1], flat, parts[:, 2]], axis=1)


def displayed(unwrapped: np.ndarray) -> np.ndarray:
    """What the meter shows: the register modulo its digit capacity."""
    shown: np.ndarray = unwrapped % WRAP
    return shown


def reading_text(hundredths: int) -> str:
    """A reading in hundredths as the decimal text the meter shows, e.g. 123456 → ``1234.56``."""
    if hundredths < 0:
        raise ValueError("a register reading cannot be negative")
    return f"{hundredths // 100}.{hundredths % 100:02d}"
