"""What an audit record changed: the keys whose values differ between its before and after JSON,
shown compactly (the console's audit trail and Customer 360 events)."""

from __future__ import annotations

import json


def changes(before: str | None, after: str | None) -> list[tuple[str, str, str]]:
    """(key, before, after) of every key whose value differs between a record's before and after
    JSON objects, by key; a value that is not an object is shown whole under the key ``""``."""
    old, new = _load(before), _load(after)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [("", _shown(old), _shown(new))]
    keys = sorted(set(old) | set(new))
    return [(k, _shown(old.get(k)), _shown(new.get(k))) for k in keys if old.get(k) != new.get(k)]


def _load(text: str | None) -> object:
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def _shown(value: object) -> str:
    if value is None or value == {}:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
