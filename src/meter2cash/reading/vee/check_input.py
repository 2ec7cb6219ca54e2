"""The ``m2c read check`` input document: parse it into a :class:`ReadingSet` and a policy. Pure.

The document is JSON already decoded (numbers as ``Decimal`` or ``int``: decode with
``parse_float=Decimal``). Its shape is the public contract documented in docs/vee.md. Everything
wrong with its *structure* is collected and refused at once (:class:`InputRefused`, nothing is
checked); a register value that is not a valid number is not refused here: that is the INVALID
check's finding. Messages are English msgids passed through ``translate`` (the edge passes
gettext; the default leaves them English), so the module stays pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.periods import BadPeriod, Period, month_period
from meter2cash.reading.usage_history import UsagePeriod
from meter2cash.reading.vee.codes import QualityFlag
from meter2cash.reading.vee.engine import BadBaseline, CheckResult, check_readings
from meter2cash.reading.vee.findings import N_
from meter2cash.reading.vee.policy import BadPolicy, VeePolicy
from meter2cash.reading.vee.readings import (
    MeterFacts,
    MeterReading,
    MeterStatus,
    ReadingSet,
    ReadingSource,
    RegisterValue,
)
from meter2cash.reading.vee.register import (
    MAX_DECIMAL_DIGITS,
    MAX_INTEGER_DIGITS,
    MIN_INTEGER_DIGITS,
    BadRegister,
    RegisterSpec,
)
from meter2cash.registry.codes import TouRegister

BEIJING = timezone(timedelta(hours=8))
TOP_KEYS = frozenset({"description", "meter", "readings", "history", "previous", "window", "as_of", "policy"})
METER_KEYS = frozenset(
    {"meter_no", "integer_digits", "decimal_digits", "multiplier", "tou_registers", "capacity_kva", "status"}
)
READING_KEYS = frozenset(
    {"read_at", "total", "multiplier", "meter_clock", "source", "quality", "area_supply_kwh"}
    | {r.value for r in TouRegister}
)
HISTORY_KEYS = frozenset({"period", "start", "end", "kwh"})
WINDOW_KEYS = frozenset({"start", "end"})

DEFAULT_QUALITY = {ReadingSource.CUSTOMER: QualityFlag.CUSTOMER_READ}

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CheckRequest:
    data: ReadingSet
    policy: VeePolicy


Translate = Callable[[str], str]


def _english(message: str) -> str:
    return message


def check_document(document: object, *, translate: Translate = _english) -> CheckResult:
    """Parse the document and run every reading check on it."""
    request = parse_document(document, translate=translate)
    try:
        return check_readings(request.data, policy=request.policy)
    except BadBaseline as bad:
        problems = [
            Problem(translate(f.template).format(**f.params), column="previous") for f in bad.findings
        ]
        raise InputRefused(translate(N_("the previous reading is not valid")), problems) from None


def parse_document(document: object, *, translate: Translate = _english) -> CheckRequest:
    """The reading set and the policy a document describes, or InputRefused listing every problem."""
    p = _Parser(translate)
    top = p.mapping(document, "$", TOP_KEYS, required=("meter", "readings"))
    meter = p.meter(top.get("meter"))
    readings = tuple(
        r
        for r in (
            p.reading(item, f"readings[{i}]")
            for i, item in enumerate(p.items(top.get("readings"), "readings"))
        )
        if r is not None
    )
    history = tuple(
        h
        for h in (
            p.history(item, f"history[{i}]")
            for i, item in enumerate(p.items(top.get("history", []), "history"))
        )
        if h is not None
    )
    previous = p.reading(top["previous"], "previous") if "previous" in top else None
    window = p.window(top.get("window"))
    as_of = p.optional(top.get("as_of"), "as_of", _datetime)
    policy = p.policy(top.get("policy", {}))
    if p.problems or meter is None or policy is None:
        raise InputRefused(translate(N_("the reading check file is not valid")), p.problems)
    return CheckRequest(
        ReadingSet(
            meter=meter, readings=readings, history=history, previous=previous, window=window, as_of=as_of
        ),
        policy,
    )


class _Refusal(ValueError):
    """A value refused, with an English message template and its parameters."""

    def __init__(self, template: str, **params: str) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


class _Parser:
    def __init__(self, translate: Translate) -> None:
        self.problems: list[Problem] = []
        self.translate = translate

    def refuse(self, where: str, template: str, value: object = None, **params: str) -> None:
        shown = None if value is None else _text(value)
        reason = self.translate(template).format(**params)
        self.problems.append(Problem(reason, column=where, value=shown))

    def mapping(
        self, value: object, where: str, keys: frozenset[str], required: tuple[str, ...] = ()
    ) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            self.refuse(where, N_("must be an object"))
            return {}
        for key in sorted(set(value) - keys):
            self.refuse(
                f"{where}.{key}", N_("unknown key; expected one of {keys}"), keys=", ".join(sorted(keys))
            )
        for key in required:
            if key not in value:
                self.refuse(f"{where}.{key}", N_("required"))
        return value

    def items(self, value: object, where: str) -> list[object]:
        if not isinstance(value, list):
            if value is not None:
                self.refuse(where, N_("must be a list"))
            return []
        return value

    def required(self, value: object, where: str, convert: Callable[[object], T]) -> T | None:
        try:
            return convert(value)
        except _Refusal as refusal:
            self.refuse(where, refusal.template, value, **refusal.params)
        except (TypeError, ValueError, ArithmeticError):
            self.refuse(where, N_("not a valid value"), value)
        return None

    def optional(self, value: object, where: str, convert: Callable[[object], T]) -> T | None:
        return None if value is None else self.required(value, where, convert)

    def meter(self, value: object) -> MeterFacts | None:
        m = self.mapping(
            value,
            "meter",
            METER_KEYS,
            required=("meter_no", "integer_digits", "decimal_digits", "multiplier"),
        )
        if not m:
            return None
        meter_no = self.required(m.get("meter_no"), "meter.meter_no", _text_value)
        integer_digits = self.required(m.get("integer_digits"), "meter.integer_digits", _integer)
        decimal_digits = self.required(m.get("decimal_digits"), "meter.decimal_digits", _integer)
        multiplier = self.required(m.get("multiplier"), "meter.multiplier", _positive)
        tou = [
            self.required(name, f"meter.tou_registers[{i}]", _enum(TouRegister))
            for i, name in enumerate(self.items(m.get("tou_registers", []), "meter.tou_registers"))
        ]
        capacity = self.optional(m.get("capacity_kva"), "meter.capacity_kva", _positive)
        status = self.required(m.get("status", "active"), "meter.status", _enum(MeterStatus))
        spec = None
        if integer_digits is not None and decimal_digits is not None:
            spec = self.required((integer_digits, decimal_digits), "meter", _register_spec)
        if meter_no is None or multiplier is None or status is None or spec is None or None in tou:
            return None
        return MeterFacts(
            meter_no=meter_no,
            register=spec,
            multiplier=multiplier,
            tou_registers=tuple(t for t in tou if t is not None),
            capacity_kva=capacity,
            status=status,
        )

    def reading(self, value: object, where: str) -> MeterReading | None:
        r = self.mapping(value, where, READING_KEYS, required=("read_at", "total"))
        if not r:
            return None
        read_at = self.required(r.get("read_at"), f"{where}.read_at", _datetime)
        multiplier = self.optional(r.get("multiplier"), f"{where}.multiplier", _positive)
        meter_clock = self.optional(r.get("meter_clock"), f"{where}.meter_clock", _datetime)
        source = self.required(r.get("source", "handheld"), f"{where}.source", _enum(ReadingSource))
        default_quality = DEFAULT_QUALITY.get(source, QualityFlag.ACTUAL) if source else QualityFlag.ACTUAL
        quality = self.required(r.get("quality", default_quality), f"{where}.quality", _enum(QualityFlag))
        area = self.optional(r.get("area_supply_kwh"), f"{where}.area_supply_kwh", _not_negative)
        if read_at is None or source is None or quality is None:
            return None
        tou = {name.value: _register(r[name.value]) for name in TouRegister if name.value in r}
        return MeterReading(
            read_at=read_at,
            total=_register(r.get("total")),
            tou=tou,
            multiplier=multiplier,
            meter_clock=meter_clock,
            source=source,
            quality=quality,
            area_supply_kwh=area,
        )

    def history(self, value: object, where: str) -> UsagePeriod | None:
        h = self.mapping(value, where, HISTORY_KEYS, required=("kwh",))
        if not h:
            return None
        kwh = self.required(h.get("kwh"), f"{where}.kwh", _not_negative)
        if "period" in h:
            period = self.required(h["period"], f"{where}.period", _month)
        else:
            period = self.required((h.get("start"), h.get("end")), where, _period)
        return None if kwh is None or period is None else UsagePeriod(period, kwh)

    def window(self, value: object) -> Period | None:
        if value is None:
            return None
        w = self.mapping(value, "window", WINDOW_KEYS, required=("start", "end"))
        return self.required((w.get("start"), w.get("end")), "window", _period) if w else None

    def policy(self, value: object) -> VeePolicy | None:
        defaults = VeePolicy()
        names = frozenset(f.name for f in fields(VeePolicy))
        given = self.mapping(value, "policy", names)
        overrides: dict[str, object] = {}
        for name, raw in given.items():
            if name in names:
                convert = _integer if isinstance(getattr(defaults, name), int) else _decimal
                value = self.required(raw, f"policy.{name}", convert)
                if value is None:
                    return None
                overrides[name] = value
        try:
            return VeePolicy(**overrides)  # type: ignore[arg-type]
        except BadPolicy as bad:
            self.refuse("policy", N_("a policy number is out of range: {detail}"), detail=str(bad))
            return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)


def _text_value(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Refusal(N_("must be non-empty text"))
    return value.strip()


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refusal(N_("must be a whole number"))
    return value


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _Refusal(N_("must be a decimal number"))
    try:
        result = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except ArithmeticError:
        raise _Refusal(N_("must be a decimal number")) from None
    if not result.is_finite():
        raise _Refusal(N_("must be a decimal number"))
    return result


def _positive(value: object) -> Decimal:
    result = _decimal(value)
    if result <= 0:
        raise _Refusal(N_("must be positive"))
    return result


def _not_negative(value: object) -> Decimal:
    result = _decimal(value)
    if result < 0:
        raise _Refusal(N_("must not be negative"))
    return result


def _register(value: object) -> RegisterValue:
    if isinstance(value, Decimal | str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return _text(value)


def _datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise _Refusal(N_("must be an ISO 8601 date-time, e.g. 2026-01-15T10:00:00"))
    try:
        result = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Refusal(N_("must be an ISO 8601 date-time, e.g. 2026-01-15T10:00:00")) from None
    if result.tzinfo is not None:
        result = result.astimezone(BEIJING).replace(tzinfo=None)
    return result


def _date(value: object) -> date:
    if not isinstance(value, str):
        raise _Refusal(N_("must be an ISO 8601 date, e.g. 2026-01-15"))
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _Refusal(N_("must be an ISO 8601 date, e.g. 2026-01-15")) from None


def _register_spec(value: object) -> RegisterSpec:
    integer_digits, decimal_digits = _pair(value)
    try:
        return RegisterSpec(_integer(integer_digits), _integer(decimal_digits))
    except BadRegister:
        raise _Refusal(
            N_("a register has {low} to {high} integer digits and 0 to {decimals} decimal digits"),
            low=str(MIN_INTEGER_DIGITS),
            high=str(MAX_INTEGER_DIGITS),
            decimals=str(MAX_DECIMAL_DIGITS),
        ) from None


def _pair(value: object) -> tuple[object, object]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise TypeError("expected a pair")
    return value[0], value[1]


def _period(value: object) -> Period:
    start, end = _pair(value)
    try:
        return Period(_date(start), _date(end))
    except BadPeriod:
        raise _Refusal(N_("the end must be after the start")) from None


def _month(value: object) -> Period:
    if not isinstance(value, str):
        raise _Refusal(N_("must be a month as YYYY-MM"))
    try:
        year, month = (int(part) for part in value.strip().split("-"))
        return month_period(year=year, month=month)
    except ValueError:
        raise _Refusal(N_("must be a month as YYYY-MM")) from None


def _enum(kind: type[E]) -> Callable[[object], E]:
    def convert(value: object) -> E:
        for member in kind:
            if member.value == value:
                return member
        raise _Refusal(N_("must be one of {choices}"), choices=", ".join(m.value for m in kind))

    return convert
