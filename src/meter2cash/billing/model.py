"""Storage model of the tariff catalog (电价目录): one row per tariff version (电价版本).

A version is identified by its catalog code and the day it takes effect; it holds the whole
tariff as canonical JSON (`catalog_files.tariff_to_dict`, sorted keys) and that text's SHA-256,
so a re-load of the same file finds the same body and changes nothing. A loaded body is never
edited; the only change allowed is closing an open-ended version by giving it an
``effective_to`` (see `billing.catalog`).

Integrity in the database (see the migration): one version per code and start day, periods
ordered, and the versions of one code never overlap (PostgreSQL exclusion constraint, SQLite
triggers).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base

CATEGORIES = ("residential", "general", "large_industry", "agriculture")


class TariffVersion(Base):
    """One version of one catalog tariff, in effect for ``[effective_from, effective_to)``."""

    __tablename__ = "tariff_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON of the tariff, sorted keys
    sha256: Mapped[str] = mapped_column(String(64))  # of body
    loaded_by: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[str] = mapped_column(String(40))
    batch_sha256: Mapped[str] = mapped_column(String(64))  # of the catalog file it came from

    __table_args__ = (
        UniqueConstraint("code", "effective_from", name="uq_tariff_version_code_from"),
        CheckConstraint("effective_to IS NULL OR effective_to > effective_from", name="period_ordered"),
        CheckConstraint(f"category IN ({', '.join(repr(c) for c in CATEGORIES)})", name="category_known"),
    )

    @property
    def version(self) -> str:
        return f"{self.code}@{self.effective_from.isoformat()}"
