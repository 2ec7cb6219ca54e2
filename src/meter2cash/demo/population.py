"""The demo bureau's archive before any reading: transformer areas (台区) with their supply
meters (台区总表), route books (抄表段) and accounts (户) with their meters. Pure.

Layout: public areas (公变台区, about ``accounts_per_area`` accounts each; about 30 % rural, where
the agricultural pumps are) plus 10 kV feeders (专线) holding the large-industry customers.
Accounts are numbered area by area; route books cut that list into contiguous runs, so a book
covers one area or a few neighbouring ones, read on one day of the month between 1 and 28.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from meter2cash.demo import customers, names
from meter2cash.demo.customers import AGR, GEN, LI, RES
from meter2cash.demo.meters import ct_ratio_for, meter_identity
from meter2cash.demo.spec import DemoSpec
from meter2cash.demo.streams import stream

BASE_PORT = 16450
HOST = "127.0.0.1"
AREA_SIZES_KVA = (100, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600)
READER = "reader"


@dataclass(frozen=True, slots=True)
class Area:
    index: int
    code: str
    name: str
    capacity_kva: int
    feeder: bool
    rural: bool
    place: names.Place
    street: str
    supply_meter_no: str
    supply_address: str
    port: int
    ct_ratio: int
    pt_ratio: int
    supply_installed_on: date
    supply_start: int  # register hundredths at installation
    loss_permille: int  # technical loss of the area, 30–60 ‰

    @property
    def supply_multiplier(self) -> int:
        return self.ct_ratio * self.pt_ratio


@dataclass(frozen=True, slots=True)
class RouteBook:
    code: str
    name: str
    reading_day: int
    reader: str


@dataclass(frozen=True, slots=True)
class Bureau:
    areas: list[Area]
    books: list[RouteBook]
    accounts: customers.Accounts
    next_serial: int  # first meter serial not yet used (for replacement meters)


def category_counts(total: int, spec: DemoSpec) -> tuple[int, int, int, int]:
    mix = spec.mix
    large = max(1, round(total * mix.large_industry))
    general = max(1, round(total * mix.general))
    residential = round(total * mix.residential)
    agriculture = max(0, total - large - general - residential)
    residential = total - large - general - agriculture
    return residential, general, large, agriculture


def _standard_size(kva: float, sizes: tuple[int, ...] = AREA_SIZES_KVA) -> int:
    return next((s for s in sizes if s >= kva), sizes[-1])


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` items over bins in proportion to ``weights`` (largest remainder, exact sum)."""
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    share = weights / weights.sum() * total
    counts: np.ndarray = np.floor(share).astype(np.int64)
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return counts


def build_bureau(spec: DemoSpec) -> Bureau:
    rng = stream(spec.seed, "population")
    name_rng = stream(spec.seed, "names")
    n_res, n_gen, n_li, n_agr = category_counts(spec.accounts, spec)
    n_feeders = max(1, math.ceil(n_li / spec.mix.large_industry_per_feeder))
    n_public = max(1, max(2, round(spec.accounts / spec.mix.accounts_per_area)) - n_feeders)
    n_rural = max(1, round(n_public * 0.3)) if n_agr else 0

    # Which area holds each account, and in what order (area by area, categories mixed).
    public_sizes = _split(n_res + n_gen, rng.uniform(0.6, 1.4, n_public))
    pool = np.array([RES] * n_res + [GEN] * n_gen, dtype=np.int8)
    pool = pool[rng.permutation(len(pool))]
    agr_sizes = _split(n_agr, rng.uniform(0.5, 1.5, n_rural))
    li_sizes = _split(n_li, np.ones(n_feeders))
    category_parts: list[np.ndarray] = []
    area_parts: list[np.ndarray] = []
    taken = 0
    for a in range(n_public):
        part = pool[taken : taken + public_sizes[a]]
        taken += int(public_sizes[a])
        rural_index = a - (n_public - n_rural)
        if rural_index >= 0:
            part = np.concatenate([part, np.full(agr_sizes[rural_index], AGR, dtype=np.int8)])
            part = part[rng.permutation(len(part))]
        category_parts.append(part)
        area_parts.append(np.full(len(part), a, dtype=np.int32))
    for f in range(n_feeders):
        category_parts.append(np.full(li_sizes[f], LI, dtype=np.int8))
        area_parts.append(np.full(li_sizes[f], n_public + f, dtype=np.int32))
    category = np.concatenate(category_parts)
    area_of = np.concatenate(area_parts)

    n_books = max(2, round(spec.accounts / spec.mix.accounts_per_book))
    book_of = np.zeros(len(category), dtype=np.int32)
    for b, chunk in enumerate(np.array_split(np.arange(len(category)), n_books)):
        book_of[chunk] = b

    n_areas = n_public + n_feeders
    places = [_place_of(a, n_public, n_rural) for a in range(n_areas)]
    streets = [p.streets[int(name_rng.integers(len(p.streets)))] for p in places]
    serial = n_areas + 1  # area supply meters take serials 1..n_areas
    accounts = customers.make_accounts(
        rng,
        name_rng,
        contract_rng=stream(spec.seed, "contracts"),
        spec=spec,
        category=category,
        area_of=area_of,
        book_of=book_of,
        places=places,
        streets=streets,
        first_serial=serial,
        port_of_area=BASE_PORT + np.arange(n_areas),
    )
    areas = _make_areas(
        rng=rng,
        name_rng=name_rng,
        spec=spec,
        accounts=accounts,
        places=places,
        streets=streets,
        n_public=n_public,
        n_rural=n_rural,
    )
    books = _make_books(rng, areas, area_of, book_of, n_books)
    return Bureau(areas=areas, books=books, accounts=accounts, next_serial=serial + len(category))


def _place_of(area: int, n_public: int, n_rural: int) -> names.Place:
    urban = [p for p in names.PLACES if not p.rural]
    rural = [p for p in names.PLACES if p.rural]
    if area >= n_public:  # feeders sit in the industrial cities
        return urban[(area - n_public) % len(urban)]
    if area >= n_public - n_rural:
        return rural[area % len(rural)]
    return urban[area % len(urban)]


def _make_areas(
    *,
    rng: np.random.Generator,
    name_rng: np.random.Generator,
    spec: DemoSpec,
    accounts: customers.Accounts,
    places: list[names.Place],
    streets: list[str],
    n_public: int,
    n_rural: int,
) -> list[Area]:
    areas: list[Area] = []
    n_areas = len(places)
    winter_peak_kw = np.bincount(
        accounts.area, weights=accounts.base_kwh * (1 + accounts.heating) / 24 * 2.2, minlength=n_areas
    )
    capacity = np.bincount(accounts.area, weights=accounts.capacity_kva, minlength=n_areas)
    for a in range(n_areas):
        feeder = a >= n_public
        rural = not feeder and a >= n_public - n_rural
        place, street = places[a], streets[a]
        if feeder:
            kva = int(math.ceil(capacity[a] / 1000) * 1000)
            name = f"{place.district}工业园{a - n_public + 1}号10kV专线"
            ct, pt = ct_ratio_for(kva / (math.sqrt(3) * 10)), 100
        else:
            kva = _standard_size(winter_peak_kw[a] / 0.9)
            village = names.VILLAGES[int(name_rng.integers(len(names.VILLAGES)))]
            name = f"{street}{village}村台区" if rural else f"{street}{a + 1}号公变台区"
            ct, pt = ct_ratio_for(kva / (math.sqrt(3) * 0.4)), 1
        meter_no, address = meter_identity(a + 1, "supply")
        installed = spec.start - timedelta(days=int(rng.integers(400, 3000)))
        areas.append(
            Area(
                index=a,
                code=f"MX-TA-{a + 1:04d}",
                name=name,
                capacity_kva=kva,
                feeder=feeder,
                rural=rural,
                place=place,
                street=street,
                supply_meter_no=meter_no,
                supply_address=address,
                port=BASE_PORT + a,
                ct_ratio=ct,
                pt_ratio=pt,
                supply_installed_on=installed,
                supply_start=int(rng.integers(0, 2_000_000)),
                loss_permille=int(rng.integers(30, 61)),
            )
        )
    return areas


def _make_books(
    rng: np.random.Generator, areas: list[Area], area_of: np.ndarray, book_of: np.ndarray, n_books: int
) -> list[RouteBook]:
    days = np.rint(np.linspace(1, 28, n_books)).astype(int)
    days = days[rng.permutation(n_books)]
    books = []
    for b in range(n_books):
        first_area = areas[int(area_of[np.argmax(book_of == b)])]
        name = f"{first_area.place.district}{first_area.street}第{b + 1:02d}抄表段"
        books.append(RouteBook(code=f"MX-RB-{b + 1:03d}", name=name, reading_day=int(days[b]), reader=READER))
    return books
