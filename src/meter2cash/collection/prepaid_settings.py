"""How the prepaid services work: the card counter's unit and kWh decimals, the notice channel and
the remote switch (DL/T 645 1CH password, operator, deadline). Shipped in
``collection/data/prepaid_service.yaml``; `prepaid_settings` reads it, or a bureau's file, and
refuses it whole (`InputRefused`, every problem naming its key). The rules' thresholds are in
`prepaid_policy` (docs/prepaid.md; ../shared/docs/domain-rules.md §3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from meter2cash.billing.catalog_files import load_yaml
from meter2cash.collection.card_meters import CardUnit
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.dlt645.control import BadControlRequest, meter_password

DATA_PACKAGE = "meter2cash.collection"
DATA_FILE = ("data", "prepaid_service.yaml")
CHANNELS = ("sms", "letter", "email")


@dataclass(frozen=True, slots=True)
class RemoteControl:
    """The 1CH command's password bytes, operator code, deadline and reply wait."""

    password: bytes
    operator: str
    valid_minutes: int
    direct_close: bool
    reply_timeout_seconds: int


@dataclass(frozen=True, slots=True)
class PrepaidSettings:
    card_unit: CardUnit
    kwh_decimals: int
    notice_channel: str
    control: RemoteControl


def bundled_prepaid_settings() -> PrepaidSettings:
    """The shipped ``prepaid_service.yaml``, read once."""
    return _bundled()


@cache
def _bundled() -> PrepaidSettings:
    resource = files(DATA_PACKAGE).joinpath(*DATA_FILE)
    return settings_from_yaml(text=resource.read_text(encoding="utf-8"))


def settings_from_yaml(*, text: str) -> PrepaidSettings:
    """Parse the file; every problem is named at once with its key (`InputRefused`)."""
    problems: list[Problem] = []

    def fail(key: str, reason: str) -> None:
        problems.append(Problem(reason=reason, column=key))

    try:
        document = load_yaml(text)
    except yaml.YAMLError as error:
        raise InputRefused(_("The prepaid service file has errors"), [Problem(reason=str(error))]) from None
    data: Mapping[str, Any] = document if isinstance(document, Mapping) else {}
    card = _section(data, "card_vend", fail)
    notices = _section(data, "notices", fail)
    control = _section(data, "remote_control", fail)
    unit = str(card.get("unit", ""))
    if unit not in {u.value for u in CardUnit}:
        fail("card_vend.unit", "kwh | yuan")
    decimals = _whole(card, "kwh_decimals", 0, 4, "card_vend", fail)
    channel = str(notices.get("channel", ""))
    if channel not in CHANNELS:
        fail("notices.channel", " | ".join(CHANNELS))
    level = _whole(control, "password_level", 0, 9, "remote_control", fail)
    code = str(control.get("password_code", ""))
    operator = str(control.get("operator", ""))
    if len(operator) != 8 or not operator.isdigit():
        fail("remote_control.operator", "8 digits")
    minutes = _whole(control, "valid_minutes", 1, 24 * 60, "remote_control", fail)
    wait = _whole(control, "reply_timeout_seconds", 1, 120, "remote_control", fail)
    direct = control.get("direct_close")
    if not isinstance(direct, bool):
        fail("remote_control.direct_close", "true | false")
    password = b""
    try:
        password = meter_password(level=level, code=code)
    except BadControlRequest:
        fail("remote_control.password_code", "6 digits")
    if problems:
        raise InputRefused(_("The prepaid service file has errors"), problems)
    return PrepaidSettings(
        card_unit=CardUnit(unit),
        kwh_decimals=decimals,
        notice_channel=channel,
        control=RemoteControl(password, operator, minutes, bool(direct), wait),
    )


def _section(data: Mapping[str, Any], key: str, fail: Any) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        fail(key, "a mapping")
        return {}
    return value


def _whole(section: Mapping[str, Any], key: str, low: int, high: int, where: str, fail: Any) -> int:
    value = section.get(key)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        fail(f"{where}.{key}", f"{low}–{high}")
        return low
    number = int(value)
    if not low <= number <= high:
        fail(f"{where}.{key}", f"{low}–{high}")
        return low
    return number
