"""What a bill run prices, read from the database as exact integer columns in a few queries:
closed determinants, the account's contract facts, its tariff, sub-meters (套扣) and splits
(定量定比).

Energy columns are read without the Decimal round trip: SQLite stores them as integers scaled
by 10⁴, which is the engine's own scale; PostgreSQL returns NUMERIC, scaled here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, ColumnElement, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from meter2cash.billing.bills import PricingJob
from meter2cash.billing.catalog_files import tariff_from_dict
from meter2cash.billing.fixed_point import QTY, column
from meter2cash.billing.model import TariffVersion
from meter2cash.billing.tariff import Tariff, TierBasis, TouPeriod
from meter2cash.billing.usage import UsageColumns, period_index
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account, EnergySplit, TariffAssignment

_ONE_DAY = timedelta(days=1)
_REGISTER_PERIODS = (TouPeriod.SHARP, TouPeriod.PEAK, TouPeriod.VALLEY)


@dataclass(frozen=True)
class Candidate:
    account_id: int
    determinant_id: int


@dataclass
class RunInputs:
    """One chunk: the pricing job, and per account its id, determinant and facts for the bill."""

    job: PricingJob
    account_ids: list[int]
    determinant_ids: list[int]
    starts: list[date]
    ends: list[date]
    kwh: list[int]
    qualities: list[str]
    main_versions: list[str]
    unpriceable: dict[int, str] = field(default_factory=dict)  # account id → reason


class TariffBook:
    """Every stored version of the codes a run needs, parsed once."""

    def __init__(self, session: Session) -> None:
        self._versions: dict[str, list[Tariff]] = defaultdict(list)
        for row in session.execute(select(TariffVersion.body)):
            tariff = tariff_from_dict(json.loads(row.body))
            self._versions[tariff.code].append(tariff)
        self.by_version = {t.version: t for versions in self._versions.values() for t in versions}

    def on(self, code: str, day: date) -> Tariff | None:
        for tariff in self._versions.get(code, ()):
            if tariff.effective_on(day):
                return tariff
        return None

    @property
    def any_annual(self) -> bool:
        return any(t.energy.tier_basis is TierBasis.ANNUAL for t in self.by_version.values())


def _scaled_reader(session: Session) -> tuple[Any, Any]:
    """(column wrapper, value converter) that yield energy as integers in 10⁻⁴ units."""
    if session.get_bind().dialect.name == "sqlite":

        def raw(col: Any) -> ColumnElement[Any]:
            return type_coerce(col, BigInteger)

        def value(v: Any) -> int | None:
            return None if v is None else int(v)

        return raw, value

    def as_is(col: Any) -> Any:
        return col

    def scaled(v: Any) -> int | None:
        return None if v is None else int(Decimal(v).scaleb(4))

    return as_is, scaled


def candidates(session: Session, *, period: str, route_book_ids: Sequence[int]) -> list[Candidate]:
    """The accounts of these route books with a closed determinant for ``period``."""
    d = BillingDeterminant
    return [
        Candidate(account_id=a, determinant_id=i)
        for a, i in session.execute(
            select(d.account_id, d.id)
            .join(Account, Account.id == d.account_id)
            .where(d.period == period, Account.route_book_id.in_(list(route_book_ids)))
        )
    ]


def load_inputs(session: Session, *, period: str, account_ids: Sequence[int], book: TariffBook) -> RunInputs:
    """The pricing job for these accounts' determinants of ``period``."""
    raw, value = _scaled_reader(session)
    d, a, t = BillingDeterminant, Account, TariffAssignment
    rows = session.execute(
        select(
            a.id,
            a.category,
            raw(a.contract_capacity_kva),
            a.pf_standard,
            a.low_income,
            a.basic_charge_by,
            raw(a.contract_demand_kw),
            raw(a.transformer_loss_kwh),
            raw(a.transformer_loss_kvarh),
            raw(a.line_loss_kwh),
            a.opened_on,
            a.closed_on,
            d.id,
            d.start_on,
            d.end_on,
            raw(d.kwh_total),
            raw(d.kwh_sharp),
            raw(d.kwh_peak),
            raw(d.kwh_valley),
            raw(d.kvarh),
            raw(d.max_demand_kw),
            d.quality,
            t.tariff_code,
        )
        .join(a, a.id == d.account_id)
        .outerjoin(
            t,
            and_(
                t.account_id == a.id,
                t.effective_from < d.end_on,
                or_(t.effective_to.is_(None), t.effective_to >= d.end_on),
            ),
        )
        .where(d.period == period, d.account_id.in_(list(account_ids)))
        .order_by(a.id)
    ).all()
    ids = [r[0] for r in rows]
    deductions = _sub_meters(session, period=period, masters=ids, raw=raw, value=value)
    ytd = (
        _year_to_date(session, period=period, account_ids=ids, raw=raw, value=value)
        if book.any_annual
        else {}
    )
    splits = _splits(session, account_ids=ids)

    unpriceable: dict[int, str] = {}
    kept: list[Any] = []
    versions: list[str] = []
    for r in rows:
        last_day = r.end_on - _ONE_DAY
        if r.tariff_code is None:
            unpriceable[r[0]] = f"{last_day}没有执行电价（未分配电价）"
            continue
        tariff = book.on(r.tariff_code, last_day)
        if tariff is None:
            unpriceable[r[0]] = f"电价目录中没有{r.tariff_code}在{last_day}有效的版本"
            continue
        kept.append(r)
        versions.append(tariff.version)

    # Main rows, then one row per split component.
    pairs = [(r.start_on, r.end_on) for r in kept]
    main = {
        "categories": [r.category for r in kept],
        "kwh": [value(r[15]) or 0 for r in kept],
        "deduct": [deductions.get(r[0], 0) for r in kept],
        "sharp": [value(r[16]) for r in kept],
        "peak": [value(r[17]) for r in kept],
        "valley": [value(r[18]) for r in kept],
        "kvarh": [value(r[19]) for r in kept],
        "demand": [value(r[20]) for r in kept],
        "capacity": [value(r[2]) or 0 for r in kept],
        "contract": [value(r[6]) for r in kept],
        "basic_by": [r.basic_charge_by for r in kept],
        "basic_days": [_basic_days(r.start_on, r.end_on, r.opened_on, r.closed_on) for r in kept],
        "pf": [r.pf_standard for r in kept],
        "low_income": [bool(r.low_income) for r in kept],
        "ytd": [ytd.get(r[0], 0) for r in kept],
        "t_loss": [value(r[7]) or 0 for r in kept],
        "t_kvarh": [value(r[8]) or 0 for r in kept],
        "l_loss": [value(r[9]) or 0 for r in kept],
    }
    owners = list(range(len(kept)))
    keys = list(versions)
    prefixes = [""] * len(kept)
    labels = [""] * len(kept)
    for index, r in enumerate(kept):
        for split in splits.get(r[0], ()):
            last_day = r.end_on - _ONE_DAY
            if not (
                split.effective_from <= last_day
                and (split.effective_to is None or last_day < split.effective_to)
            ):
                continue
            other = book.on(split.tariff_code, last_day)
            if other is None:
                unpriceable[r[0]] = f"定量定比的电价{split.tariff_code}在{last_day}没有有效版本"
                continue
            available = main["kwh"][index] - main["deduct"][index]
            if split.kwh is not None:
                share = int(split.kwh * QTY)
                rule = "定量"
            else:
                assert split.ratio is not None
                whole = (Decimal(available) / QTY * split.ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP)
                share = int(whole) * QTY
                rule = f"定比{split.ratio.normalize():f}"
            share = min(share, available)
            main["deduct"][index] += share
            for column_values in main.values():
                column_values.append(column_values[index])
            main["kwh"][-1] = share
            main["deduct"][-1] = 0
            main["categories"][-1] = other.category.value
            for name in ("sharp", "peak", "valley", "kvarh"):
                main[name][-1] = None
            main["low_income"][-1] = False
            main["t_loss"][-1] = main["t_kvarh"][-1] = main["l_loss"][-1] = 0
            pairs.append((r.start_on, r.end_on))
            owners.append(index)
            keys.append(other.version)
            prefixes.append("split")
            labels.append(f"{rule}·")
    has_tou = np.array(
        [any(main[p][i] is not None for p in ("sharp", "peak", "valley")) for i in range(len(owners))],
        dtype=bool,
    )
    usage = UsageColumns(
        **period_index(pairs),  # type: ignore[arg-type]
        categories=_objects(main["categories"]),
        kwh=column(main["kwh"]),
        tou={
            TouPeriod.SHARP: column(v or 0 for v in main["sharp"]),
            TouPeriod.PEAK: column(v or 0 for v in main["peak"]),
            TouPeriod.VALLEY: column(v or 0 for v in main["valley"]),
        },
        has_tou=has_tou,
        kvarh=column(v or 0 for v in main["kvarh"]),
        has_kvarh=np.array([v is not None for v in main["kvarh"]], dtype=bool),
        demand=column(v or 0 for v in main["demand"]),
        has_demand=np.array([v is not None for v in main["demand"]], dtype=bool),
        capacity=column(main["capacity"]),
        contract_demand=column(v or 0 for v in main["contract"]),
        has_contract=np.array([v is not None for v in main["contract"]], dtype=bool),
        basic_by=_objects(main["basic_by"]),
        basic_days=column(main["basic_days"]),
        pf_standard=_objects(main["pf"]),
        low_income=np.array(main["low_income"], dtype=bool),
        year_to_date=column(main["ytd"]),
        transformer_loss=column(main["t_loss"]),
        transformer_loss_kvarh=column(main["t_kvarh"]),
        line_loss=column(main["l_loss"]),
        deduct=column(main["deduct"]),
        deduct_tou={},
    )
    job = PricingJob(
        accounts=len(kept),
        usage=usage,
        tariff_keys=_objects(keys),
        owners=np.array(owners, dtype=np.intp),
        prefixes=_objects(prefixes),
        prefix_labels=_objects(labels),
        main_rows=np.arange(len(kept), dtype=np.intp),
    )
    return RunInputs(
        job=job,
        account_ids=[r[0] for r in kept],
        determinant_ids=[r[12] for r in kept],
        starts=[r.start_on for r in kept],
        ends=[r.end_on for r in kept],
        kwh=[value(r[15]) or 0 for r in kept],
        qualities=[r.quality for r in kept],
        main_versions=versions,
        unpriceable=unpriceable,
    )


def _objects(values: Sequence[object]) -> Any:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _basic_days(start: date, end: date, opened: date, closed: date | None) -> int:
    """Days of use of a new connection (opened on or after the period's first day) or a
    termination inside the period; 0 = the whole month. The engine caps the days at a month."""
    connected = opened >= start
    terminated = closed is not None and closed < end
    if not connected and not terminated:
        return 0
    first = max(start, opened)
    last = min(end, closed) if closed is not None else end
    return max((last - first).days, 1)


def _sub_meters(
    session: Session, *, period: str, masters: Sequence[int], raw: Any, value: Any
) -> dict[int, int]:
    """套扣: per master account, the kWh its sub-meter accounts recorded in the period."""
    if not masters:
        return {}
    a, d = Account, BillingDeterminant
    rows = session.execute(
        select(a.master_account_id, func.sum(raw(d.kwh_total)))
        .join(d, d.account_id == a.id)
        .where(a.master_account_id.in_(list(masters)), d.period == period)
        .group_by(a.master_account_id)
    )
    return {master: value(total) or 0 for master, total in rows}


def _year_to_date(
    session: Session, *, period: str, account_ids: Sequence[int], raw: Any, value: Any
) -> dict[int, int]:
    """年阶梯: the kWh billed earlier in the same calendar year."""
    if not account_ids:
        return {}
    d = BillingDeterminant
    rows = session.execute(
        select(d.account_id, func.sum(raw(d.kwh_total)))
        .where(d.account_id.in_(list(account_ids)), d.period >= f"{period[:4]}-01", d.period < period)
        .group_by(d.account_id)
    )
    return {account: value(total) or 0 for account, total in rows}


def _splits(session: Session, *, account_ids: Sequence[int]) -> dict[int, list[EnergySplit]]:
    found: dict[int, list[EnergySplit]] = defaultdict(list)
    if account_ids:
        for split in session.scalars(
            select(EnergySplit).where(EnergySplit.account_id.in_(list(account_ids)))
        ):
            found[split.account_id].append(split)
    return found
