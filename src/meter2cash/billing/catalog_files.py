"""Tariff catalog files (电价目录文件): YAML text in, validated `Tariff` values out.

A file holds one tariff (a mapping) or ``tariffs:`` with a list of them; the schema is a public
contract documented in docs/tariffs.md. The whole file is checked and every problem is collected —
a `Problem` whose ``row`` is the line in the file and whose ``column`` is the key path
(``tariffs[1].energy.tiers[0].up_to``) — before anything is refused (`InputRefused`), so a clerk
fixes everything in one pass.

Numbers are never binary floats: the YAML loader (`DecimalLoader`) turns every plain number,
``0.43`` as much as ``"0.43"``, into a `Decimal` made from the text as written. A float that
arrives any other way (e.g. JSON parsed without ``parse_float=Decimal``) is refused.

`tariff_to_dict` is the canonical JSON-able form of a tariff (decimal strings, every default
spelled out) and has the file's schema, so `tariff_from_dict` reads it back with the same checks;
`tariff_body` is its canonical JSON text, stored for each loaded version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from meter2cash.billing.tariff import (
    TOU_PERIODS,
    BasicCharge,
    EnergyCharge,
    Fund,
    PricingRules,
    Tariff,
    Tier,
    TierBasis,
    Tou,
    TouPeriod,
    TouSeason,
)
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, exact
from meter2cash.registry.codes import ZH_NAMES, CustomerCategory

E = TypeVar("E", TierBasis, CustomerCategory)

BUNDLED_DIR = Path(__file__).resolve().parent / "catalogs"
BUNDLED_CATALOG = BUNDLED_DIR / "mengxi.yaml"

CODE_PATTERN = re.compile(r"^[A-Z0-9-]{2,40}$")
FUND_CODE_PATTERN = re.compile(r"^[a-z0-9_]{1,40}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PRICE_PLACES = 6  # 元/kWh, 元/kVA·月, 元/kW·月
FACTOR_PLACES = 4  # TOU multipliers, tier thresholds, kWh allowances, rule ratios
INTEGER_DIGITS = 9
TOO_LARGE = Decimal(10) ** INTEGER_DIGITS
NAME_LIMIT = 200
MERGE_TAG = "tag:yaml.org,2002:merge"
SOURCE_LIMIT = 500
REQUIRED_PERIODS = (TouPeriod.PEAK, TouPeriod.FLAT, TouPeriod.VALLEY)
# A period a tariff gives no multiplier for is priced as its neighbour (domain-rules §2.2: 蒙西 has
# 尖峰 and 深谷 only in June–August), so every period always has a price.
STAND_INS = {TouPeriod.SHARP: TouPeriod.PEAK, TouPeriod.DEEP_VALLEY: TouPeriod.VALLEY}

TARIFF_REQUIRED = ("code", "name", "category", "effective_from", "energy")
TARIFF_OPTIONAL = ("effective_to", "illustrative", "source", "basic", "funds", "power_factor", "rules")
ENERGY_KEYS = ("flat", "tiers", "tier_basis", "low_income_free_kwh", "tou")
TIER_KEYS = ("up_to", "price")
TOU_KEYS = ("multipliers", "seasons")
SEASON_KEYS = ("name", "months", "multipliers")
BASIC_KEYS = ("capacity_price", "demand_price")
FUND_REQUIRED = ("code", "name", "price")
RULE_KEYS = tuple(f.name for f in fields(PricingRules))
DEFAULT_RULES = PricingRules()


# ---------------------------------------------------------------- YAML with exact numbers


class DecimalLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that plain numbers become `Decimal` from their text (never a
    binary float), and an impossible date such as ``2026-02-30`` stays text for the checks to
    name instead of failing the whole load."""


def _construct_number(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | str:
    assert isinstance(node, yaml.ScalarNode)
    text = loader.construct_scalar(node)
    digits = text.replace("_", "")
    try:
        return Decimal(digits)
    except InvalidOperation:
        pass
    if node.tag.endswith(":int"):  # 0x1F, 0b101, 1:30 (YAML 1.1 sexagesimal)
        try:
            return Decimal(yaml.SafeLoader.construct_yaml_int(loader, node))
        except ValueError:
            return text
    return text  # .inf, .nan, 1:30.5: left as text, refused by the checks as "not a number"


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> date | str:
    assert isinstance(node, yaml.ScalarNode)
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_number)
DecimalLoader.add_constructor("tag:yaml.org,2002:int", _construct_number)
DecimalLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(text: str) -> object:
    """The document's plain value, numbers as `Decimal` (for tests and tools; no line numbers)."""
    return yaml.load(text, Loader=DecimalLoader)  # a SafeLoader subclass: no arbitrary objects


# ---------------------------------------------------------------- problems


class _NoValue:
    pass


NO_VALUE = _NoValue()


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _shown(value: object) -> str | None:
    if isinstance(value, _NoValue) or value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


@dataclass(frozen=True, slots=True)
class _Span:
    path: str
    code: str
    start: date
    end: date | None

    @property
    def version(self) -> str:
        return f"{self.code}@{self.start.isoformat()}"


@dataclass
class _Checks:
    """Collects problems; knows the line of each key path (when the input came from a file)."""

    lines: Mapping[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    spans: list[_Span] = field(default_factory=list)  # each entry's code and period, for overlaps

    def line(self, path: str) -> int | None:
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[: max(cut, 0)]

    def fail(self, path: str, reason: str, value: object = NO_VALUE) -> None:
        self.problems.append(
            Problem(reason=reason, row=self.line(path), column=path or None, value=_shown(value))
        )

    def mapping(
        self, data: object, path: str, *, required: Sequence[str] = (), optional: Sequence[str] = ()
    ) -> dict[str, object] | None:
        """The keys of a mapping with a value (an empty value counts as absent), after naming each
        unknown and each missing key."""
        if not isinstance(data, dict):
            self.fail(path, _("must be a mapping of keys to values (key: value)"), data)
            return None
        known = (*required, *optional)
        given: dict[str, object] = {}
        for key, value in data.items():
            if key not in known:
                self.fail(
                    _join(path, str(key)),
                    _("unknown key; expected one of {keys}").format(keys=", ".join(known)),
                )
            elif value is not None:
                given[key] = value
        for key in required:
            if key not in given:
                self.fail(_join(path, key), _("is required"))
        return given

    def text(self, value: object, path: str, *, limit: int, empty: bool = False) -> str | None:
        if isinstance(value, str) and (value.strip() or empty):
            if len(value.strip()) > limit:
                self.fail(path, _("is too long (at most {limit} characters)").format(limit=limit), value)
                return None
            return value.strip()
        if isinstance(value, str):
            self.fail(path, _("must be non-empty text"))
        else:
            self.fail(path, _("must be text; put it in quotes"), value)
        return None

    def code(self, value: object, path: str, pattern: re.Pattern[str], rule: str) -> str | None:
        text = self.text(value, path, limit=40)
        if text is not None and not pattern.match(text):
            self.fail(path, rule, text)
            return None
        return text

    def flag(self, value: object, path: str) -> bool | None:
        if isinstance(value, bool):
            return value
        self.fail(path, _("must be true or false"), value)
        return None

    def day(self, value: object, path: str) -> date | None:
        if isinstance(value, datetime):
            self.fail(path, _("must be a date without a time; write it as YYYY-MM-DD"), value)
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str) and ISO_DATE.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                self.fail(path, _("is not a real calendar date"), value)
                return None
        self.fail(path, _("is not a date; write it as YYYY-MM-DD"), value)
        return None

    def choice(self, value: object, path: str, kind: type[E]) -> E | None:
        if isinstance(value, str) and value.strip() in kind._value2member_map_:
            return kind(value.strip())
        choices = ", ".join(
            f"{m.value} ({ZH_NAMES[m.value]})" if m.value in ZH_NAMES else m.value for m in kind
        )
        self.fail(path, _("must be one of {choices}").format(choices=choices), value)
        return None

    def number(
        self,
        value: object,
        path: str,
        *,
        places: int,
        positive: bool = False,
        high: Decimal | None = None,
    ) -> Decimal | None:
        """A non-negative decimal (above 0 when ``positive``, at most ``high``) with at most
        ``places`` decimals, from a Decimal, an int or decimal text."""
        if isinstance(value, float):
            self.fail(path, _('is a binary floating-point number; write it as text, e.g. "0.4300"'), value)
            return None
        number: Decimal | None = None
        if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
            try:
                number = exact(value)
            except BadAmount:
                number = None
        if number is None or not number.is_finite():
            self.fail(path, _("is not a number"), value)
            return None
        if number < 0:
            self.fail(path, _("must not be negative"), value)
        elif positive and number == 0:
            self.fail(path, _("must be greater than 0"), value)
        elif number >= TOO_LARGE:
            self.fail(
                path, _("is too large (at most {digits} integer digits)").format(digits=INTEGER_DIGITS), value
            )
        elif number != number.quantize(Decimal(1).scaleb(-places)):
            if places == 0:
                self.fail(path, _("is not a whole number"), value)
            else:
                self.fail(path, _("has too many decimals (at most {places})").format(places=places), value)
        elif high is not None and number > high:
            self.fail(path, _("must be at most {high}").format(high=high), value)
        else:
            return number
        return None

    def whole(self, value: object, path: str, *, low: int, high: int) -> int | None:
        number = self.number(value, path, places=0)
        if number is None:
            return None
        if not low <= number <= high:
            self.fail(path, _("must be between {low} and {high}").format(low=low, high=high), value)
            return None
        return int(number)

    def items(self, value: object, path: str, *, empty: bool = False) -> list[tuple[str, object]] | None:
        """The items of a list, each with its path."""
        if not isinstance(value, list):
            self.fail(path, _("must be a list"), value)
            return None
        if not value and not empty:
            self.fail(path, _("must not be an empty list"))
            return None
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]


# ---------------------------------------------------------------- one tariff


def _tariff(checks: _Checks, data: object, path: str) -> Tariff | None:
    before = len(checks.problems)
    given = checks.mapping(data, path, required=TARIFF_REQUIRED, optional=TARIFF_OPTIONAL)
    if given is None:
        return None
    at = {key: _join(path, key) for key in (*TARIFF_REQUIRED, *TARIFF_OPTIONAL)}
    code_rule = _("must be 2 to 40 capital letters A-Z, digits or hyphens, e.g. MX-RES-1")
    code = checks.code(given["code"], at["code"], CODE_PATTERN, code_rule) if "code" in given else None
    name = checks.text(given["name"], at["name"], limit=NAME_LIMIT) if "name" in given else None
    category = (
        checks.choice(given["category"], at["category"], CustomerCategory) if "category" in given else None
    )
    start = checks.day(given["effective_from"], at["effective_from"]) if "effective_from" in given else None
    end = checks.day(given["effective_to"], at["effective_to"]) if "effective_to" in given else None
    if start is not None and end is not None and end <= start:
        checks.fail(
            at["effective_to"],
            _(
                "must be after effective_from ({day}): "
                "the version is in effect up to, not including, this day"
            ).format(day=start.isoformat()),
            end,
        )
    elif code is not None and start is not None and ("effective_to" not in given or end is not None):
        checks.spans.append(_Span(path=path, code=code, start=start, end=end))
    illustrative = (
        checks.flag(given["illustrative"], at["illustrative"]) if "illustrative" in given else False
    )
    source = (
        checks.text(given["source"], at["source"], limit=SOURCE_LIMIT, empty=True)
        if "source" in given
        else ""
    )
    energy = _energy(checks, given["energy"], at["energy"]) if "energy" in given else None
    basic = _basic(checks, given["basic"], at["basic"]) if "basic" in given else None
    if category is CustomerCategory.LARGE_INDUSTRY and "basic" not in given:
        checks.fail(
            at["basic"],
            _(
                "is required for a large-industry (大工业) tariff, which is two-part: "
                "give capacity_price, demand_price or both"
            ),
        )
    funds = _funds(checks, given["funds"], at["funds"]) if "funds" in given else ()
    power_factor = (
        checks.flag(given["power_factor"], at["power_factor"]) if "power_factor" in given else False
    )
    rules = _rules(checks, given["rules"], at["rules"]) if "rules" in given else DEFAULT_RULES
    if len(checks.problems) > before:
        return None
    assert code is not None and name is not None and category is not None and start is not None
    assert energy is not None and illustrative is not None and source is not None
    assert funds is not None and power_factor is not None and rules is not None
    return Tariff(
        code=code,
        name=name,
        category=category,
        effective_from=start,
        effective_to=end,
        energy=energy,
        basic=basic,
        funds=funds,
        power_factor=power_factor,
        rules=rules,
        illustrative=illustrative,
        source=source,
    )


def _energy(checks: _Checks, data: object, path: str) -> EnergyCharge | None:
    before = len(checks.problems)
    given = checks.mapping(data, path, optional=ENERGY_KEYS)
    if given is None:
        return None
    flat: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    if "flat" in given and "tiers" in given:
        checks.fail(path, _("give either flat (one price) or tiers, not both"))
    elif "flat" in given:
        flat = checks.number(given["flat"], _join(path, "flat"), places=PRICE_PLACES, positive=True)
    elif "tiers" in given:
        tiers = _tiers(checks, given["tiers"], _join(path, "tiers"))
    else:
        checks.fail(path, _("needs a price: give flat (one price for every kWh) or tiers"))
    basis = TierBasis.MONTHLY
    if "tier_basis" in given:
        basis = checks.choice(given["tier_basis"], _join(path, "tier_basis"), TierBasis) or basis
    free = Decimal(0)
    if "low_income_free_kwh" in given:
        free = (
            checks.number(
                given["low_income_free_kwh"], _join(path, "low_income_free_kwh"), places=FACTOR_PLACES
            )
            or free
        )
    tou = _tou(checks, given["tou"], _join(path, "tou")) if "tou" in given else None
    if len(checks.problems) > before:
        return None
    return EnergyCharge(flat=flat, tiers=tiers, tier_basis=basis, tou=tou, low_income_free_kwh=free)


def _tiers(checks: _Checks, data: object, path: str) -> tuple[Tier, ...]:
    items = checks.items(data, path)
    if items is None:
        return ()
    tiers: list[Tier] = []
    previous: Decimal | None = None
    for number, (at, item) in enumerate(items, start=1):
        given = checks.mapping(item, at, required=("price",), optional=("up_to",))
        if given is None:
            continue
        price = (
            checks.number(given["price"], _join(at, "price"), places=PRICE_PLACES, positive=True)
            if "price" in given
            else None
        )
        up_to: Decimal | None = None
        last = number == len(items)
        if last and "up_to" in given:
            checks.fail(
                _join(at, "up_to"),
                _("the last tier must have no up_to: it prices all the energy above the tier before"),
                given["up_to"],
            )
        elif not last and "up_to" not in given:
            checks.fail(
                _join(at, "up_to"), _("is required on every tier but the last (the kWh the tier goes up to)")
            )
        elif not last:
            up_to = checks.number(given["up_to"], _join(at, "up_to"), places=FACTOR_PLACES, positive=True)
            if up_to is not None and previous is not None and up_to <= previous:
                checks.fail(
                    _join(at, "up_to"),
                    _(
                        "must be greater than the up_to of the tier before ({previous}): "
                        "thresholds go strictly up"
                    ).format(previous=format(previous, "f")),
                    up_to,
                )
            previous = up_to if up_to is not None else previous
        if price is not None:
            tiers.append(Tier(price=price, up_to=up_to))
    return tuple(tiers)


def _multipliers(checks: _Checks, data: object, path: str) -> dict[TouPeriod, Decimal] | None:
    before = len(checks.problems)
    given = checks.mapping(data, path, optional=tuple(p.value for p in TOU_PERIODS))
    if given is None:
        return None
    found = {
        TouPeriod(key): checks.number(value, _join(path, key), places=FACTOR_PLACES, positive=True)
        for key, value in given.items()
    }
    missing = [p.value for p in REQUIRED_PERIODS if p not in found]
    if missing:
        checks.fail(
            path,
            _("must give the multipliers of peak, flat and valley; missing: {missing}").format(
                missing=", ".join(missing)
            ),
        )
    if len(checks.problems) > before:
        return None
    multipliers = {period: value for period, value in found.items() if value is not None}
    for period, stand_in in STAND_INS.items():
        multipliers.setdefault(period, multipliers[stand_in])
    return {period: multipliers[period] for period in TOU_PERIODS}


def _tou(checks: _Checks, data: object, path: str) -> Tou | None:
    before = len(checks.problems)
    given = checks.mapping(data, path, required=TOU_KEYS[:1], optional=TOU_KEYS[1:])
    if given is None:
        return None
    multipliers = None
    if "multipliers" in given:
        multipliers = _multipliers(checks, given["multipliers"], _join(path, "multipliers"))
    seasons: list[TouSeason] = []
    taken: dict[int, str] = {}
    listed = checks.items(given["seasons"], _join(path, "seasons"), empty=True) if "seasons" in given else []
    for at, item in listed or ():
        season = _season(checks, item, at, taken)
        if season is not None:
            seasons.append(season)
    if len(checks.problems) > before or multipliers is None:
        return None
    return Tou(multipliers=multipliers, seasons=tuple(seasons))


def _season(checks: _Checks, data: object, path: str, taken: dict[int, str]) -> TouSeason | None:
    before = len(checks.problems)
    given = checks.mapping(data, path, required=SEASON_KEYS[1:], optional=SEASON_KEYS[:1])
    if given is None:
        return None
    name = checks.text(given["name"], _join(path, "name"), limit=NAME_LIMIT) if "name" in given else ""
    label = name or path
    months: set[int] = set()
    listed = checks.items(given["months"], _join(path, "months")) if "months" in given else []
    for at, item in listed or ():
        month = checks.whole(item, at, low=1, high=12)
        if month is None:
            continue
        if month in taken:
            checks.fail(
                at,
                _("month {month} is already in season {season}").format(month=month, season=taken[month]),
                month,
            )
            continue
        taken[month] = label
        months.add(month)
    multipliers = (
        _multipliers(checks, given["multipliers"], _join(path, "multipliers"))
        if "multipliers" in given
        else None
    )
    if len(checks.problems) > before or multipliers is None:
        return None
    return TouSeason(months=frozenset(months), multipliers=multipliers, name=name or "")


def _basic(checks: _Checks, data: object, path: str) -> BasicCharge | None:
    before = len(checks.problems)
    given = checks.mapping(data, path, optional=BASIC_KEYS)
    if given is None:
        return None
    if not given:
        checks.fail(path, _("give capacity_price (元/kVA·月), demand_price (元/kW·月) or both"))
    prices = {
        key: checks.number(value, _join(path, key), places=PRICE_PLACES) for key, value in given.items()
    }
    if len(checks.problems) > before:
        return None
    return BasicCharge(capacity_price=prices.get("capacity_price"), demand_price=prices.get("demand_price"))


def _funds(checks: _Checks, data: object, path: str) -> tuple[Fund, ...] | None:
    before = len(checks.problems)
    items = checks.items(data, path, empty=True)
    if items is None:
        return None
    funds: list[Fund] = []
    seen: dict[str, str] = {}
    code_rule = _("must be lower-case letters a-z, digits or underscores, e.g. renewable")
    for at, item in items:
        given = checks.mapping(item, at, required=FUND_REQUIRED, optional=("exempt",))
        if given is None:
            continue
        code = (
            checks.code(given["code"], _join(at, "code"), FUND_CODE_PATTERN, code_rule)
            if "code" in given
            else None
        )
        if code is not None and code in seen:
            checks.fail(
                _join(at, "code"),
                _("the fund code is already used by {other}").format(other=seen[code]),
                code,
            )
        elif code is not None:
            seen[code] = at
        name = checks.text(given["name"], _join(at, "name"), limit=NAME_LIMIT) if "name" in given else None
        price = (
            checks.number(given["price"], _join(at, "price"), places=PRICE_PLACES)
            if "price" in given
            else None
        )
        exempt: set[str] = set()
        listed = checks.items(given["exempt"], _join(at, "exempt"), empty=True) if "exempt" in given else []
        for spot, category in listed or ():
            chosen = checks.choice(category, spot, CustomerCategory)
            if chosen is not None:
                exempt.add(chosen.value)
        if code is not None and name is not None and price is not None:
            funds.append(Fund(code=code, name=name, price=price, exempt=frozenset(exempt)))
    if len(checks.problems) > before:
        return None
    return tuple(funds)


def _rules(checks: _Checks, data: object, path: str) -> PricingRules | None:
    before = len(checks.problems)
    given = checks.mapping(data, path, optional=RULE_KEYS)
    if given is None:
        return None
    at = {key: _join(path, key) for key in RULE_KEYS}

    def ratio(key: str, high: Decimal | None) -> Decimal | None:
        return checks.number(given[key], at[key], places=FACTOR_PLACES, positive=True, high=high)

    values: dict[str, Any] = {}
    if "contract_demand_floor" in given:
        values["contract_demand_floor"] = ratio("contract_demand_floor", Decimal(1))
    if "demand_excess_threshold" in given:
        values["demand_excess_threshold"] = ratio("demand_excess_threshold", None)
    if "demand_excess_factor" in given:
        values["demand_excess_factor"] = ratio("demand_excess_factor", None)
    if "days_per_month" in given:
        values["days_per_month"] = checks.whole(
            given["days_per_month"], at["days_per_month"], low=28, high=31
        )
    for key in ("threshold_decimals", "loss_decimals"):
        if key in given:
            values[key] = checks.whole(given[key], at[key], low=0, high=FACTOR_PLACES)
    if "pf_includes_funds" in given:
        values["pf_includes_funds"] = checks.flag(given["pf_includes_funds"], at["pf_includes_funds"])
    if len(checks.problems) > before:
        return None
    return PricingRules(**values)


# ---------------------------------------------------------------- files


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One tariff of a file, with where it is: its key path (``tariffs[2]``, or empty for a file of
    one tariff) and its first line."""

    path: str
    line: int | None
    tariff: Tariff


@dataclass(frozen=True, slots=True)
class CatalogFile:
    name: str
    sha256: str  # of the file's bytes (or of the UTF-8 text given)
    entries: tuple[CatalogEntry, ...]

    @property
    def tariffs(self) -> list[Tariff]:
        return [entry.tariff for entry in self.entries]


def period_text(start: date, end: date | None) -> str:
    """A half-open effective period as a clerk reads it."""
    if end is None:
        return _("from {start}, open-ended").format(start=start.isoformat())
    return _("{start} to {end} (exclusive)").format(start=start.isoformat(), end=end.isoformat())


def _refused(name: str, problems: list[Problem]) -> InputRefused:
    return InputRefused(
        _("{name}: {count} problem(s); the whole file is refused").format(name=name, count=len(problems)),
        problems,
    )


def _plain(
    loader: DecimalLoader, node: yaml.Node, path: str, checks: _Checks, lines: dict[str, int]
) -> object:
    """The node as plain values (numbers as Decimal), noting the line of every key path."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        own = sum(1 for key_node, _value in node.value if key_node.tag != MERGE_TAG)
        loader.flatten_mapping(node)  # YAML merge keys (<<: *base): versions that share a body
        inherited = len(node.value) - own  # the merged pairs come first; the mapping's own override them
        result: dict[str, object] = {}
        mine: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                lines.setdefault(f"{path}<key>", key_node.start_mark.line + 1)
                checks.fail(f"{path}<key>", _("a key must be text; put it in quotes"), key)
                continue
            child = _join(path, key)
            if key in mine:
                lines[child] = key_node.start_mark.line + 1
                checks.fail(child, _("the key appears twice; keep one"))
                continue
            if index >= inherited:
                mine.add(key)
            for known in [p for p in lines if p == child or p.startswith((f"{child}.", f"{child}["))]:
                del lines[known]  # an inherited value overridden: its lines go with it
            lines[child] = key_node.start_mark.line + 1
            result[key] = _plain(loader, value_node, child, checks, lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(loader, item, f"{path}[{i}]", checks, lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _compose(text: str, checks: _Checks, lines: dict[str, int]) -> object:
    loader = DecimalLoader(text)
    try:
        root = loader.get_single_node()
        return None if root is None else _plain(loader, root, "", checks, lines)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or str(error)
        checks.problems.append(
            Problem(
                _("is not valid YAML: {problem}").format(problem=problem), row=mark.line + 1 if mark else None
            )
        )
    except yaml.YAMLError as error:
        checks.problems.append(Problem(_("is not valid YAML: {problem}").format(problem=str(error))))
    finally:
        loader.dispose()
    return None


def _entries(checks: _Checks, root: object) -> list[tuple[str, object]]:
    if isinstance(root, dict) and "tariffs" in root:
        given = checks.mapping(root, "", required=("tariffs",))
        if given is None or "tariffs" not in given:
            return []
        return checks.items(given["tariffs"], "tariffs") or []
    if isinstance(root, dict):
        return [("", root)]
    if root is None:
        checks.problems.append(Problem(_("the file holds no tariff")))
    else:
        checks.fail(
            "", _("must be one tariff (code: …, name: …) or tariffs: followed by a list of tariffs"), root
        )
    return []


def _no_overlap(checks: _Checks) -> None:
    """Name each entry whose period overlaps an earlier entry of the same code (even when other
    parts of either entry are wrong)."""
    for i, b in enumerate(checks.spans):
        for a in checks.spans[:i]:
            if a.code == b.code and _overlap(a.start, a.end, b.start, b.end):
                checks.fail(
                    b.path,
                    _(
                        "{version} [{period}] overlaps {other} [{other_period}] at {where}: "
                        "versions of one tariff must not overlap in time"
                    ).format(
                        version=b.version,
                        period=period_text(b.start, b.end),
                        other=a.version,
                        other_period=period_text(a.start, a.end),
                        where=a.path or "—",
                    ),
                )


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Problems by line (stable: the problems of one line keep the order they were found in)."""
    return sorted(problems, key=lambda p: p.row if p.row is not None else 0)


def _overlap(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    return (other_end is None or start < other_end) and (end is None or other_start < end)


def parse_catalog_file(*, text: str, name: str, sha256: str | None = None) -> CatalogFile:
    """Every tariff of a catalog file's text, each with its place in the file; refused whole
    (`InputRefused`, every problem with its line and key path) when anything is wrong."""
    lines: dict[str, int] = {}
    checks = _Checks(lines=lines)
    root = _compose(text, checks, lines)
    found: list[CatalogEntry] = []
    if not checks.problems:
        for path, item in _entries(checks, root):
            tariff = _tariff(checks, item, path)
            if tariff is not None:
                found.append(CatalogEntry(path=path, line=checks.line(path), tariff=tariff))
        _no_overlap(checks)
    if checks.problems:
        raise _refused(name, _in_file_order(checks.problems))
    digest = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    return CatalogFile(name=name, sha256=digest, entries=tuple(found))


def parse_catalog(*, text: str, name: str) -> list[Tariff]:
    """The tariffs of a catalog file's text (see `parse_catalog_file`)."""
    return parse_catalog_file(text=text, name=name).tariffs


def read_catalog_file(*, path: Path) -> CatalogFile:
    """Read and check a UTF-8 YAML catalog file (see `parse_catalog_file`)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputRefused(
            _("The file {name} cannot be read").format(name=path.name),
            [Problem(error.strerror or str(error))],
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputRefused(
            _("The file {name} cannot be read").format(name=path.name),
            [Problem(_("is not UTF-8 text; save the file as UTF-8"), row=line)],
        ) from None
    return parse_catalog_file(text=text, name=path.name, sha256=hashlib.sha256(data).hexdigest())


def read_catalog(*, path: Path) -> list[Tariff]:
    """The tariffs of a catalog file; `InputRefused` naming every problem when anything is wrong."""
    return read_catalog_file(path=path).tariffs


def parse_tariff(*, data: Mapping[str, object], where: str = "") -> Tariff:
    """One tariff from plain values (e.g. an inline tariff in a JSON request); ``where`` prefixes
    every problem's key path. Numbers must be Decimal, int or decimal text, never float."""
    checks = _Checks()
    tariff = _tariff(checks, dict(data) if isinstance(data, Mapping) else data, where)
    if tariff is None:
        raise InputRefused(
            _("The tariff has {count} problem(s); it is refused").format(count=len(checks.problems)),
            checks.problems,
        )
    return tariff


# ---------------------------------------------------------------- canonical form


def decimal_text(value: Decimal) -> str:
    """A decimal as canonical text: no exponent, no trailing zeros (``0.4300`` → ``0.43``)."""
    return format(value.normalize(), "f")


def _multipliers_dict(multipliers: Mapping[TouPeriod, Decimal]) -> dict[str, str]:
    return {
        period.value: decimal_text(multipliers[period]) for period in TOU_PERIODS if period in multipliers
    }


def tariff_to_dict(tariff: Tariff) -> dict[str, object]:
    """The tariff as JSON-able values in the file's schema: decimals as canonical text, dates as
    ISO text, every default spelled out (so a stored body does not change meaning when a default
    does); `tariff_from_dict` reads it back."""
    energy = tariff.energy
    energy_dict: dict[str, object] = {
        "tier_basis": energy.tier_basis.value,
        "low_income_free_kwh": decimal_text(energy.low_income_free_kwh),
    }
    if energy.flat is not None:
        energy_dict["flat"] = decimal_text(energy.flat)
    else:
        energy_dict["tiers"] = [
            {"price": decimal_text(t.price)}
            | ({"up_to": decimal_text(t.up_to)} if t.up_to is not None else {})
            for t in energy.tiers
        ]
    if energy.tou is not None:
        energy_dict["tou"] = {
            "multipliers": _multipliers_dict(energy.tou.multipliers),
            "seasons": [
                {"name": s.name, "months": sorted(s.months), "multipliers": _multipliers_dict(s.multipliers)}
                for s in energy.tou.seasons
            ],
        }
    rules = tariff.rules
    result: dict[str, object] = {
        "code": tariff.code,
        "name": tariff.name,
        "category": tariff.category.value,
        "effective_from": tariff.effective_from.isoformat(),
        "illustrative": tariff.illustrative,
        "energy": energy_dict,
        "funds": [
            {"code": f.code, "name": f.name, "price": decimal_text(f.price), "exempt": sorted(f.exempt)}
            for f in tariff.funds
        ],
        "power_factor": tariff.power_factor,
        "rules": {
            "contract_demand_floor": decimal_text(rules.contract_demand_floor),
            "demand_excess_threshold": decimal_text(rules.demand_excess_threshold),
            "demand_excess_factor": decimal_text(rules.demand_excess_factor),
            "days_per_month": rules.days_per_month,
            "threshold_decimals": rules.threshold_decimals,
            "loss_decimals": rules.loss_decimals,
            "pf_includes_funds": rules.pf_includes_funds,
        },
    }
    if tariff.effective_to is not None:
        result["effective_to"] = tariff.effective_to.isoformat()
    if tariff.source:
        result["source"] = tariff.source
    if tariff.basic is not None:
        result["basic"] = {
            key: decimal_text(price)
            for key, price in (
                ("capacity_price", tariff.basic.capacity_price),
                ("demand_price", tariff.basic.demand_price),
            )
            if price is not None
        }
    return result


def tariff_from_dict(data: Mapping[str, object]) -> Tariff:
    """The tariff `tariff_to_dict` made (checked like a file's tariff)."""
    return parse_tariff(data=data)


def tariff_body(tariff: Tariff) -> str:
    """The canonical JSON text of a tariff (sorted keys, no spaces): equal tariffs, equal text."""
    return json.dumps(tariff_to_dict(tariff), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def body_sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- look-ups


def find_version(*, tariffs: Iterable[Tariff], code: str, on: date) -> Tariff | None:
    """The version of ``code`` in effect on ``on``, if any."""
    return next((t for t in tariffs if t.code == code and t.effective_on(on)), None)


def bundled_catalog_path() -> Path:
    """The illustrative 蒙西 catalog shipped with the package (docs/tariffs.md)."""
    return BUNDLED_CATALOG


@cache
def _bundled() -> tuple[Tariff, ...]:
    return tuple(read_catalog(path=BUNDLED_CATALOG))


def bundled_catalog() -> list[Tariff]:
    """The tariffs of the shipped catalog (read once per process)."""
    return list(_bundled())
