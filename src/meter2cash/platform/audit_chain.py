"""The audit hash chain (pure).

Each audit record's hash is SHA-256 over the previous record's hash and the record's own fields,
serialised canonically. Editing any field of a stored record, deleting a record, or reordering
records breaks the chain at that record; deleting the newest records is caught by the chain
head kept beside the log. `find_break` walks a sequence of records and names the first break.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} in an audit record")


def canonical_json(value: Mapping[str, Any] | None) -> str | None:
    """Stable JSON text of a before/after snapshot: sorted keys, no blanks, UTF-8 kept."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)


@dataclass(frozen=True, slots=True)
class ChainFields:
    """What the hash covers, exactly as stored."""

    seq: int
    occurred_at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    before: str | None
    after: str | None
    reason: str | None
    prev_hash: str
    hash: str = ""


def compute_hash(fields: ChainFields) -> str:
    payload = json.dumps(
        [
            fields.prev_hash,
            fields.seq,
            fields.occurred_at,
            fields.actor,
            fields.action,
            fields.object_type,
            fields.object_id,
            fields.before,
            fields.after,
            fields.reason,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    problem: str  # "altered" | "missing" | "relinked" | "truncated"
    detail: str


def find_break(
    records: Iterable[ChainFields], *, head_seq: int | None, head_hash: str | None
) -> ChainBreak | None:
    """The first place the chain is broken, or None when it is whole."""
    expected_seq = 1
    prev_hash = GENESIS
    for record in records:
        if record.seq != expected_seq:
            return ChainBreak(
                expected_seq, "missing", f"record {expected_seq} is missing (next found is {record.seq})"
            )
        if record.prev_hash != prev_hash:
            return ChainBreak(record.seq, "relinked", f"record {record.seq} does not link to its predecessor")
        if compute_hash(record) != record.hash:
            return ChainBreak(record.seq, "altered", f"record {record.seq} was altered after it was written")
        prev_hash = record.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head_seq is not None and head_seq != last_seq:
        return ChainBreak(
            last_seq + 1, "truncated", f"the log ends at record {last_seq} but its head says {head_seq}"
        )
    if head_hash is not None and head_seq == last_seq and head_hash != prev_hash:
        return ChainBreak(last_seq, "altered", f"record {last_seq} does not match the chain head")
    return None
