"""A correction quote (退补试算): one documented JSON case (docs/corrections.md) read into a
`corrections.CorrectionCase` and computed. Pure apart from resolving a catalog code, which the
caller passes in (like `quote.quote`).

Each affected period is read with the bill quote's own reader (`quote.parse_case`), so a period
states its usage, customer and tariff exactly as a quote does; the case's top-level ``tariff``,
``customer`` and ``losses`` are defaults for every period. Every problem is named at once, each
with where it is (``periods[1].usage.kwh.total``, ``parameters.error_percent`` …).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from meter2cash.billing.catalog_files import parse_tariff
from meter2cash.billing.corrections import (
    ENGINE_DECIMALS,
    REGISTERS,
    BilledPeriod,
    CorrectionCase,
    CorrectionResult,
    Device,
    MeterError,
    Misread,
    Parameters,
    Reason,
    WrongMultiplier,
    WrongTariff,
    WrongWiring,
    compute,
    period_label,
)
from meter2cash.billing.power_factor import PowerFactorTable
from meter2cash.billing.quote import Resolver, parse_case
from meter2cash.billing.tariff import Tariff
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.money import BadAmount, NotExact, exact
from meter2cash.registry.codes import CustomerCategory

SUMMARY = "退补请求有误 The correction case has errors"
TOP_KEYS = frozenset({"reason", "tariff", "customer", "losses", "periods", "parameters", "energy_decimals"})
PERIOD_KEYS = frozenset({"period", "usage", "tariff", "customer", "losses", "submeters"})
PARAMETER_KEYS: dict[Reason, frozenset[str]] = {
    Reason.METER_ERROR: frozenset(
        {"error_percent", "last_test", "corrected_on", "device", "kvarh_error_percent"}
    ),
    Reason.WRONG_WIRING: frozenset(
        {"factor", "correct_registration", "wrong_registration", "last_test", "corrected_on", "kvarh_factor"}
    ),
    Reason.WRONG_MULTIPLIER: frozenset({"billed_multiplier", "right_multiplier"}),
    Reason.MISREAD: frozenset({"billed_reading", "right_reading", "multiplier", "register"}),
    Reason.WRONG_TARIFF: frozenset({"right_tariff", "right_category"}),
}


@dataclass
class _Reader:
    problems: list[Problem] = field(default_factory=list)

    def fail(self, where: str, reason: str, value: object = None) -> None:
        self.problems.append(
            Problem(reason=reason, column=where, value=None if value is None else str(value))
        )

    def decimal(
        self,
        data: Mapping[str, Any],
        key: str,
        *,
        where: str = "parameters",
        required: bool = True,
        signed: bool = False,
        positive: bool = False,
    ) -> Decimal | None:
        if data.get(key) is None:
            if required:
                self.fail(f"{where}.{key}", "必填 required")
            return None
        try:
            value = exact(data[key])
        except (BadAmount, NotExact):
            self.fail(f"{where}.{key}", "不是十进制数 not a decimal number", data[key])
            return None
        if positive and value <= 0:
            self.fail(f"{where}.{key}", "应大于0 must be above 0", data[key])
            return None
        if not signed and value < 0:
            self.fail(f"{where}.{key}", "不能为负数 must not be negative", data[key])
            return None
        return value

    def day(self, data: Mapping[str, Any], key: str, *, where: str = "parameters") -> date | None:
        raw = data.get(key)
        if raw is None:
            self.fail(f"{where}.{key}", "必填 required")
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            self.fail(f"{where}.{key}", "日期格式应为 YYYY-MM-DD", raw)
            return None

    def unknown(self, data: Mapping[str, Any], known: frozenset[str], where: str) -> None:
        for key in sorted(set(data) - known):
            self.fail(f"{where}{key}", f"未知的字段 unknown key (known: {', '.join(sorted(known))})")


def _mapping(reader: _Reader, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        reader.fail(f"{where}{key}", "应为对象 must be an object", value)
        return {}
    return value


def _periods(
    reader: _Reader, data: Mapping[str, Any], resolve: Resolver
) -> tuple[list[BilledPeriod], list[date]]:
    raw = data.get("periods")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        reader.fail("periods", "应为非空列表 a non-empty list of billed periods", raw)
        return [], []
    defaults = {key: data.get(key) for key in ("tariff", "losses")}
    customer = _mapping(reader, data, "customer", "")
    periods: list[BilledPeriod] = []
    last_days: list[date] = []
    for index, item in enumerate(raw):
        where = f"periods[{index}]."
        if not isinstance(item, Mapping):
            reader.fail(f"periods[{index}]", "应为对象 must be an object", item)
            continue
        reader.unknown(item, PERIOD_KEYS, where)
        own_customer = _mapping(reader, item, "customer", where)
        case = {
            "tariff": item.get("tariff", defaults["tariff"]),
            "period": item.get("period"),
            "customer": {**customer, **own_customer},
            "usage": item.get("usage"),
            "losses": item.get("losses", defaults["losses"]),
            "submeters": item.get("submeters"),
        }
        try:
            tariff, usage, components = parse_case(data=case, resolve=resolve)
        except InputRefused as refused:
            reader.problems.extend(
                Problem(
                    reason=p.reason,
                    row=p.row,
                    column=f"{where}{p.column}" if p.column else f"periods[{index}]",
                    value=p.value,
                )
                for p in refused.problems
            )
            continue
        if components:
            reader.fail(
                f"{where}submeters",
                "退补试算不支持按自身电价计费的套扣子表；子表只扣减时不写 tariff "
                "sub-meters priced on the bill are not supported in a correction",
            )
            continue
        label = item["period"].get("label") if isinstance(item.get("period"), Mapping) else None
        periods.append(
            BilledPeriod(
                label=str(label) if label else period_label(usage.start, usage.end),
                tariff=tariff,
                usage=usage,
            )
        )
        last_days.append(usage.end - timedelta(days=1))
    return periods, last_days


def _right_tariffs(
    reader: _Reader, raw: object, last_days: Sequence[date], resolve: Resolver
) -> tuple[Tariff, ...]:
    where = "parameters.right_tariff"
    if isinstance(raw, Mapping):
        try:
            return (parse_tariff(data=raw, where=where),)
        except InputRefused as refused:
            reader.problems.extend(refused.problems)
            return ()
    if not isinstance(raw, str) or not raw:
        reader.fail(where, "应为电价代码或电价对象 a catalog code or a tariff object", raw)
        return ()
    found: list[Tariff] = []
    for day in last_days:
        tariff = resolve(raw, day)
        if tariff is None:
            reader.fail(where, f"电价目录中没有在{day}有效的{raw} no such tariff in force", raw)
        else:
            found.append(tariff)
    return tuple(found)


def _parameters(
    reader: _Reader, reason: Reason, data: Mapping[str, Any], last_days: Sequence[date], resolve: Resolver
) -> Parameters | None:
    raw = data.get("parameters")
    if not isinstance(raw, Mapping):
        reader.fail("parameters", "必填，应为对象 required, an object", raw)
        return None
    reader.unknown(raw, PARAMETER_KEYS[reason], "parameters.")
    before = len(reader.problems)
    if reason is Reason.METER_ERROR:
        device = str(raw.get("device") or Device.METER.value)
        if device not in {d.value for d in Device}:
            reader.fail("parameters.device", "应为 meter / instrument_transformer", device)
            device = Device.METER.value
        error = reader.decimal(raw, "error_percent", signed=True)
        kvarh_error = reader.decimal(raw, "kvarh_error_percent", signed=True, required=False)
        last_test, corrected_on = reader.day(raw, "last_test"), reader.day(raw, "corrected_on")
        if len(reader.problems) > before or error is None or last_test is None or corrected_on is None:
            return None
        return MeterError(
            error_percent=error,
            last_test=last_test,
            corrected_on=corrected_on,
            device=Device(device),
            kvarh_error_percent=kvarh_error,
        )
    if reason is Reason.WRONG_WIRING:
        factor = reader.decimal(raw, "factor", required=False, positive=True)
        correct = reader.decimal(raw, "correct_registration", required=False, positive=True)
        wrong = reader.decimal(raw, "wrong_registration", required=False, positive=True)
        given = ("factor" in raw, "correct_registration" in raw, "wrong_registration" in raw)
        if given not in ((True, False, False), (False, True, True)):
            reader.fail(
                "parameters.factor",
                "给 factor，或给 correct_registration 与 wrong_registration，二者取一 "
                "give the factor or both registrations",
            )
        kvarh_factor = reader.decimal(raw, "kvarh_factor", required=False, positive=True)
        last_test, corrected_on = reader.day(raw, "last_test"), reader.day(raw, "corrected_on")
        if len(reader.problems) > before or last_test is None or corrected_on is None:
            return None
        return WrongWiring(
            last_test=last_test,
            corrected_on=corrected_on,
            factor=factor,
            correct_registration=correct,
            wrong_registration=wrong,
            kvarh_factor=kvarh_factor,
        )
    if reason is Reason.WRONG_MULTIPLIER:
        billed = reader.decimal(raw, "billed_multiplier", positive=True)
        right = reader.decimal(raw, "right_multiplier", positive=True)
        if billed is None or right is None:
            return None
        return WrongMultiplier(billed=billed, right=right)
    if reason is Reason.MISREAD:
        billed_reading = reader.decimal(raw, "billed_reading")
        right_reading = reader.decimal(raw, "right_reading")
        multiplier = reader.decimal(raw, "multiplier", required=False, positive=True)
        register = str(raw.get("register") or "total")
        if register not in REGISTERS:
            reader.fail("parameters.register", f"应为 {' / '.join(REGISTERS)}", register)
        if len(reader.problems) > before or billed_reading is None or right_reading is None:
            return None
        return Misread(
            billed_reading=billed_reading,
            right_reading=right_reading,
            multiplier=multiplier if multiplier is not None else Decimal(1),
            register=register,
        )
    category = raw.get("right_category")
    if category is not None and category not in {c.value for c in CustomerCategory}:
        reader.fail("parameters.right_category", "未知的用电类别 unknown category", category)
    if "right_tariff" not in raw:
        reader.fail("parameters.right_tariff", "必填 required")
        return None
    tariffs = _right_tariffs(reader, raw["right_tariff"], last_days, resolve)
    if len(reader.problems) > before or not tariffs:
        return None
    return WrongTariff(right_tariffs=tariffs, right_category=None if category is None else str(category))


def parse_correction(
    *, data: Mapping[str, Any], resolve: Resolver, stored: Sequence[BilledPeriod] | None = None
) -> CorrectionCase:
    """The case of a JSON correction request; every problem at once. ``stored``: the billed
    periods read from stored bills (the service), used when the case states no ``periods``."""
    reader = _Reader()
    reader.unknown(data, TOP_KEYS, "")
    raw_reason = data.get("reason")
    reason = None
    if raw_reason not in {r.value for r in Reason}:
        reader.fail(
            "reason",
            f"应为 {' / '.join(r.value for r in Reason)} one of the reason categories",
            raw_reason,
        )
    else:
        reason = Reason(str(raw_reason))
    decimals = data.get("energy_decimals", ENGINE_DECIMALS)
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= ENGINE_DECIMALS:
        reader.fail("energy_decimals", "应为0–4的整数 a whole number 0–4", decimals)
        decimals = ENGINE_DECIMALS
    if stored is not None and "periods" not in data:
        periods = list(stored)
        last_days = [p.usage.end - timedelta(days=1) for p in periods]
    else:
        periods, last_days = _periods(reader, data, resolve)
    parameters = None if reason is None else _parameters(reader, reason, data, last_days, resolve)
    if reader.problems or reason is None or parameters is None:
        raise InputRefused(SUMMARY, reader.problems)
    return CorrectionCase(
        reason=reason, periods=tuple(periods), parameters=parameters, energy_decimals=decimals
    )


def correction_quote(
    *, data: Mapping[str, Any], resolve: Resolver, pf_tables: Mapping[str, PowerFactorTable]
) -> CorrectionResult:
    """Compute one JSON correction case (see docs/corrections.md)."""
    return compute(case=parse_correction(data=data, resolve=resolve), pf_tables=pf_tables)
