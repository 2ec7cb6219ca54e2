"""Estimation (估抄) of a period's consumption and of gaps in interval data. Pure.

Methods (each estimate says which one it used and carries a quality flag):

- ``average_daily``: average daily use of the previous N periods × the period's days
  (SAP IS-U estimation from previous periods; Oracle MDM "averaging"; NEM12 "previous read").
- ``same_period_last_year``: the daily use of the same dates last year × the period's days
  (NEM12 substitution "previous year").
- ``linear_interpolation``: a gap in interval data filled on the straight line between the
  values either side of it, up to a maximum gap length (Oracle MDM interval interpolation,
  NEM12 "linear").

Too many estimates in a row mean nobody has read the meter for too long: the signal for a field
visit (现场核查) is returned as a value; raising the work order is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from meter2cash.platform.money import round_to
from meter2cash.platform.periods import Period
from meter2cash.reading.usage_history import UsagePeriod, recent_daily_average, same_period_last_year_daily
from meter2cash.reading.vee.codes import NOT_READ_FROM_METER, QualityFlag
from meter2cash.reading.vee.register import RegisterSpec, reading_after


class EstimationMethod(StrEnum):
    AVERAGE_DAILY = "average_daily"  # 按前几期日均电量
    SAME_PERIOD_LAST_YEAR = "same_period_last_year"  # 按去年同期
    LINEAR_INTERPOLATION = "linear_interpolation"  # 线性插值


class CannotEstimate(ValueError):
    """No method has the history it needs; the period must be read (or entered by hand)."""


class BadEstimationPolicy(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class EstimationPolicy:
    """Numbers behind estimation.

    history_periods: how many previous periods the average daily use is taken over.
    history_max_age_days: a previous period counts only if it ended at most this many days before
        the estimated period starts.
    same_period_min_coverage: share of last year's dates history must cover to use that method.
    methods: the methods to try, in order; the first that has enough history wins.
    kwh_places: decimals an estimate is rounded to (half-up).
    max_consecutive_estimates: this many estimates in a row (counting the new one) call for a
        field visit (SAP IS-U limit on consecutive estimates; Oracle MDM prolonged estimation).
    max_interpolation_gap: the longest run of missing intervals linear interpolation may fill
        (8 × 15 min = 2 h by default); longer gaps stay missing.
    """

    history_periods: int = 3
    history_max_age_days: int = 120
    same_period_min_coverage: Decimal = Decimal("0.5")
    methods: tuple[EstimationMethod, ...] = (
        EstimationMethod.AVERAGE_DAILY,
        EstimationMethod.SAME_PERIOD_LAST_YEAR,
    )
    kwh_places: int = 2
    max_consecutive_estimates: int = 3
    max_interpolation_gap: int = 8

    def __post_init__(self) -> None:
        counts = (
            self.history_periods,
            self.history_max_age_days,
            self.max_consecutive_estimates,
            self.max_interpolation_gap,
        )
        if min(counts) < 1:
            raise BadEstimationPolicy("period counts and limits must be at least 1")
        if self.kwh_places < 0:
            raise BadEstimationPolicy("kwh_places must not be negative")
        if EstimationMethod.LINEAR_INTERPOLATION in self.methods:
            raise BadEstimationPolicy("linear interpolation fills interval gaps, not read periods")


DEFAULT_ESTIMATION_POLICY = EstimationPolicy()


@dataclass(frozen=True, slots=True)
class Estimate:
    """An estimated consumption for a period, with the daily rate it came from."""

    period: Period
    kwh: Decimal
    daily_kwh: Decimal
    method: EstimationMethod
    quality: QualityFlag = QualityFlag.ESTIMATED


@dataclass(frozen=True, slots=True)
class FieldVisit:
    """Signal: this many consecutive periods were not read from the meter; send someone."""

    consecutive: int
    limit: int


@dataclass(frozen=True, slots=True)
class EstimationOutcome:
    estimate: Estimate
    field_visit: FieldVisit | None


def estimate_average_daily(
    *, history: Sequence[UsagePeriod], period: Period, policy: EstimationPolicy = DEFAULT_ESTIMATION_POLICY
) -> Estimate | None:
    """Average daily use of the previous ``history_periods`` periods × the period's days."""
    daily = recent_daily_average(
        history, before=period.start, periods=policy.history_periods, max_age_days=policy.history_max_age_days
    )
    return None if daily is None else _estimate(period, daily, EstimationMethod.AVERAGE_DAILY, policy)


def estimate_same_period_last_year(
    *, history: Sequence[UsagePeriod], period: Period, policy: EstimationPolicy = DEFAULT_ESTIMATION_POLICY
) -> Estimate | None:
    """Daily use of the same dates last year × the period's days."""
    daily = same_period_last_year_daily(history, period=period, min_coverage=policy.same_period_min_coverage)
    return None if daily is None else _estimate(period, daily, EstimationMethod.SAME_PERIOD_LAST_YEAR, policy)


def estimate_period(
    *,
    history: Sequence[UsagePeriod],
    period: Period,
    earlier_qualities: Sequence[QualityFlag] = (),
    policy: EstimationPolicy = DEFAULT_ESTIMATION_POLICY,
) -> EstimationOutcome:
    """Estimate the period with the first method in ``policy.methods`` that has enough history.

    ``earlier_qualities`` are the qualities of the account's previous periods, oldest first; with
    the new estimate they decide whether a field visit is due. Raises :class:`CannotEstimate`
    when no method can estimate (rather than returning zero).
    """
    methods = {
        EstimationMethod.AVERAGE_DAILY: estimate_average_daily,
        EstimationMethod.SAME_PERIOD_LAST_YEAR: estimate_same_period_last_year,
    }
    for method in policy.methods:
        estimate = methods[method](history=history, period=period, policy=policy)
        if estimate is not None:
            visit = field_visit_due([*earlier_qualities, estimate.quality], policy=policy)
            return EstimationOutcome(estimate, visit)
    raise CannotEstimate(f"no history to estimate {period.start} to {period.end}")


def field_visit_due(
    qualities: Sequence[QualityFlag], *, policy: EstimationPolicy = DEFAULT_ESTIMATION_POLICY
) -> FieldVisit | None:
    """A field visit is due when the latest ``max_consecutive_estimates`` or more periods were all
    estimated or substituted (not read from the meter)."""
    run = 0
    for quality in reversed(qualities):
        if quality not in NOT_READ_FROM_METER:
            break
        run += 1
    limit = policy.max_consecutive_estimates
    return FieldVisit(consecutive=run, limit=limit) if run >= limit else None


def estimated_reading(*, previous: Decimal, kwh: Decimal, multiplier: Decimal, spec: RegisterSpec) -> Decimal:
    """The register value an estimate implies: previous + kWh ÷ multiplier, rounded half-up to
    the register's last digit, wrapping past the maximum like the meter would."""
    moved = round_to(kwh / multiplier, places=spec.decimal_digits)
    return reading_after(previous=previous, moved=moved % spec.modulus, spec=spec)


@dataclass(frozen=True, slots=True)
class Interpolated:
    """Interval values with gaps filled where possible. ``filled[i]`` marks a value made up here
    (quality ``substituted``, method ``linear_interpolation``)."""

    values: tuple[int | None, ...]
    filled: tuple[bool, ...]
    method: EstimationMethod = EstimationMethod.LINEAR_INTERPOLATION
    quality: QualityFlag = QualityFlag.SUBSTITUTED


def interpolate_gaps(
    values: Sequence[int | None], *, policy: EstimationPolicy = DEFAULT_ESTIMATION_POLICY
) -> Interpolated:
    """Fill runs of missing interval values (integer Wh) on the straight line between the known
    values either side, rounded half-up to whole Wh. A run at the start or end, or longer than
    ``max_interpolation_gap``, stays missing."""
    out = list(values)
    filled = [False] * len(out)
    i = 0
    while i < len(out):
        if out[i] is not None:
            i += 1
            continue
        j = i
        while j < len(out) and out[j] is None:
            j += 1
        before, after = (out[i - 1] if i > 0 else None), (out[j] if j < len(out) else None)
        gap = j - i
        if before is not None and after is not None and gap <= policy.max_interpolation_gap:
            for k in range(1, gap + 1):
                out[i + k - 1] = _round_half_up(before * (gap + 1) + (after - before) * k, gap + 1)
                filled[i + k - 1] = True
        i = j
    return Interpolated(values=tuple(out), filled=tuple(filled))


def _estimate(period: Period, daily: Decimal, method: EstimationMethod, policy: EstimationPolicy) -> Estimate:
    return Estimate(
        period=period,
        kwh=round_to(daily * period.days, places=policy.kwh_places),
        daily_kwh=daily,
        method=method,
    )


def _round_half_up(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator) / Decimal(denominator)).to_integral_value(rounding=ROUND_HALF_UP))
