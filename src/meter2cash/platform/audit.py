"""The audit trail: who did what, when, before and after, and why — hash-chained.

Every state-changing service call calls `record_audit` inside its own unit of work, so the audit
record commits or rolls back with the change it describes. Records are numbered without gaps and
chained (see `audit_chain`); the newest sequence number and hash are kept in ``audit_head``.
On PostgreSQL an advisory transaction lock serialises writers of the chain; on SQLite the
``BEGIN IMMEDIATE`` write lock does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from meter2cash.platform.audit_chain import (
    GENESIS,
    ChainBreak,
    ChainFields,
    canonical_json,
    compute_hash,
    find_break,
)
from meter2cash.platform.db import Base

AUDIT_LOCK_KEY = 0x4D3243  # "M2C"


class AuditRecord(Base):
    __tablename__ = "audit_record"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_record_object", "object_type", "object_id"),)

    def chain_fields(self) -> ChainFields:
        return ChainFields(
            seq=self.seq,
            occurred_at=self.occurred_at,
            actor=self.actor,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            before=self.before,
            after=self.after,
            reason=self.reason,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    last_record: Mapped[int | None] = mapped_column(ForeignKey("audit_record.seq", ondelete="SET NULL"))


def record_audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditRecord:
    """Append one record to the chain inside the caller's transaction."""
    if at.tzinfo is None:
        raise ValueError("audit time must be timezone-aware")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    head = session.get(AuditHead, 1, with_for_update=True)
    prev_seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
    fields = ChainFields(
        seq=prev_seq + 1,
        occurred_at=at.astimezone(UTC).isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=canonical_json(before),
        after=canonical_json(after),
        reason=reason,
        prev_hash=prev_hash,
    )
    digest = compute_hash(fields)
    entry = AuditRecord(
        seq=fields.seq,
        occurred_at=fields.occurred_at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=fields.object_id,
        before=fields.before,
        after=fields.after,
        reason=reason,
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    session.flush()
    if head is None:
        session.add(AuditHead(id=1, seq=entry.seq, hash=digest, last_record=entry.seq))
    else:
        head.seq, head.hash, head.last_record = entry.seq, digest, entry.seq
    return entry


@dataclass(frozen=True, slots=True)
class VerifyResult:
    records: int
    head_hash: str
    problem: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _stream(session: Session) -> Iterator[ChainFields]:
    query = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=5000)
    for row in session.scalars(query):
        yield row.chain_fields()


def verify_chain(session: Session) -> VerifyResult:
    """Walk the whole log and report the first tampered or missing record."""
    head = session.get(AuditHead, 1)
    count = 0

    def counted() -> Iterator[ChainFields]:
        nonlocal count
        for fields in _stream(session):
            count += 1
            yield fields

    problem = find_break(counted(), head_seq=head.seq if head else 0, head_hash=head.hash if head else None)
    return VerifyResult(records=count, head_hash=head.hash if head else GENESIS, problem=problem)


def history(session: Session, *, object_type: str, object_id: str) -> list[AuditRecord]:
    query = (
        select(AuditRecord)
        .where(AuditRecord.object_type == object_type, AuditRecord.object_id == str(object_id))
        .order_by(AuditRecord.seq)
    )
    return list(session.scalars(query))
