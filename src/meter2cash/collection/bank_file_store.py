"""Recording the bank files the bureau sends and receives (``bank_file``), inside the caller's unit of
work: one row per file with its kind, bank or agent, name, SHA-256, rows, total, who and when. A
received file is known by its kind and SHA-256 (a unique index), so `imported_file` tells a file
imported before, and the caller answers "already imported" without posting anything again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.collection.bank_model import BankFileRecord
from meter2cash.platform.money import fen_text


@dataclass(frozen=True)
class BankFileView:
    id: int
    kind: str
    source: str
    filename: str
    sha256: str
    encoding: str
    rows: int
    total: Decimal
    batch: str | None
    as_of: date | None
    created_by: str
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "filename": self.filename,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "rows": self.rows,
            "total": fen_text(self.total),
            "batch": self.batch,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


def file_view(row: BankFileRecord) -> BankFileView:
    return BankFileView(
        row.id,
        row.kind,
        row.source,
        row.filename,
        row.sha256,
        row.encoding,
        row.rows,
        row.total,
        row.batch,
        row.as_of,
        row.created_by,
        row.created_at,
    )


def imported_file(session: Session, *, kind: str, sha256: str) -> BankFileRecord | None:
    """The file of this kind with these bytes recorded before, if any."""
    return session.scalar(
        select(BankFileRecord).where(BankFileRecord.kind == kind, BankFileRecord.sha256 == sha256)
    )


def record_file(
    session: Session,
    *,
    kind: str,
    source: str,
    filename: str,
    sha256: str,
    encoding: str,
    rows: int,
    total: Decimal,
    actor: str,
    at: datetime,
    batch: str | None = None,
    as_of: date | None = None,
) -> BankFileRecord:
    """Write the file's row (the caller writes its audit record in the same unit of work)."""
    row = BankFileRecord(
        kind=kind,
        source=source,
        filename=filename[-255:],
        sha256=sha256,
        encoding=encoding,
        rows=rows,
        total=total,
        batch=batch,
        as_of=as_of,
        created_by=actor,
        created_at=at,
    )
    session.add(row)
    session.flush()
    return row
