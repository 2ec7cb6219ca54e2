"""Column types that keep money and energy exact on every backend.

SQLite has no exact decimal type (its NUMERIC affinity stores binary floats), so on SQLite an
`ExactDecimal(scale)` is stored as a scaled integer (value × 10^scale); on PostgreSQL it is
``NUMERIC(precision, scale)``. Either way Python sees `Decimal`. A value with more decimals than
the column holds is refused rather than silently rounded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from meter2cash.platform.money import exact


class TooManyDecimals(ValueError):
    pass


class ExactDecimal(TypeDecorator[Decimal]):
    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = 4, precision: int = 18) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = exact(value)
        scaled = number.scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise TooManyDecimals(f"{number} has more than {self.scale} decimals")
        if dialect.name == "sqlite":
            return int(scaled)
        return number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(Decimal(1).scaleb(-self.scale))
        return Decimal(value).quantize(Decimal(1).scaleb(-self.scale))
