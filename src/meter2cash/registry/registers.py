"""A meter's register readings: the total (总) and the time-of-use registers 尖/峰/平/谷. Pure."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from meter2cash.platform.money import exact


@dataclass(frozen=True, slots=True)
class RegisterSet:
    total: Decimal
    sharp: Decimal | None = None
    peak: Decimal | None = None
    flat: Decimal | None = None
    valley: Decimal | None = None

    @classmethod
    def of(cls, total: object, **tou: object) -> RegisterSet:
        return cls(exact(total), **{k: (None if v is None else exact(v)) for k, v in tou.items()})

    def as_dict(self) -> dict[str, str | None]:
        return {
            f.name: (None if getattr(self, f.name) is None else str(getattr(self, f.name)))
            for f in fields(self)
        }
