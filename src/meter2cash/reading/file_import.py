"""Reading file import (抄表文件导入): readings from handheld terminals (抄表机) and
collection-system exports, as .csv (UTF-8 or GBK) or .xlsx. Columns: docs/reading-files.md.

1. The file is decoded by the one file reader (`meter2cash.registry.archive_files`) and every row
   parsed (`meter2cash.reading.file_rows`); the meters are looked up in the archive. Any problem —
   a cell that can't be read, an unknown meter, a meter not installed that day, two rows for the
   same meter and time — refuses the whole file, each problem naming its row and column; nothing
   is written.
2. In one unit of work, as a user allowed ``reading.enter``: one `ReadingBatch` (kind ``file``,
   with the SHA-256 of the readings the file holds), the readings checked and stored like every
   other reading (`meter2cash.reading.intake.record_readings`, which opens the exceptions and links
   the period's tasks), and one audit record.

Idempotency: the same readings imported again — the same file, or the same rows saved in another
format or order — find their batch and change nothing (``already_imported``). A row of a new file
whose reading (same meter, time and registers) is stored already is skipped and counted as
``already_stored``, so a terminal that uploads yesterday's readings again with today's duplicates
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.file_rows import TOU_KEYS, ReadingFile, ReadingRow, fingerprint, parse_reading_file
from meter2cash.reading.intake import IncomingReading, IntakeReport, record_readings
from meter2cash.reading.model import MeterReading, ReadingBatch
from meter2cash.registry.archive_files import read_archive_file
from meter2cash.registry.model import Meter, MeterInstall

BATCH_KIND = "file"
CHUNK = 500


@dataclass
class _ArchiveMeter:
    id: int
    installs: list[tuple[date, date | None]] = field(default_factory=list)  # [installed_on, removed_on)

    def installed_on(self, day: date) -> bool:
        return any(start <= day and (end is None or day < end) for start, end in self.installs)


def import_reading_file(ctx: AppContext, *, actor: str, path: Path) -> IntakeReport:
    """Check and store the readings of a .csv or .xlsx reading file, or refuse it whole."""
    with use_case(ctx, actor=actor, action=Action.READING_ENTER):
        pass  # refuse a user who may not enter readings before reading anything
    table = read_archive_file(path)
    parsed = parse_reading_file(table.headers, table.rows, bare_date_is_midnight=table.encoding == "xlsx")
    sha256 = fingerprint(parsed.rows)
    try:
        with use_case(ctx, actor=actor, action=Action.READING_ENTER) as (session, who):
            meters = _archive_meters(session, _meter_numbers(parsed))
            problems = parsed.problems + _archive_problems(parsed, meters)
            earlier = _earlier_batch(session, sha256)
            if parsed.problems or (problems and earlier is None):
                raise _refuse(table.name, problems)
            if earlier is not None:
                return _already(earlier)
            now = ctx.clock.now()
            batch = ReadingBatch(
                kind=BATCH_KIND,
                sha256=sha256,
                name=table.name[:300],
                rows=len(parsed.rows),
                created_by=who.username,
                created_at=now.isoformat(),
            )
            session.add(batch)
            session.flush()
            stored = _stored_already(session, parsed.rows, meters)
            fresh = [_incoming(row) for row in parsed.rows if row.row not in stored]
            report = record_readings(session, at=now, actor=who.username, batch=batch, incoming=fresh)
            report.received, report.already_stored = len(parsed.rows), len(stored)
            summary = _summary(report)
            batch.summary = json.dumps(summary, ensure_ascii=False, sort_keys=True)
            record_audit(
                session,
                at=now,
                actor=who.username,
                action="reading.import",
                object_type="reading_batch",
                object_id=str(batch.id),
                after={
                    "file": table.name,
                    "file_sha256": table.sha256,
                    "readings_sha256": sha256,
                    "encoding": table.encoding,
                    "readers": sorted({row.reader for row in parsed.rows if row.reader}),
                    **summary,
                },
            )
    except IntegrityError:
        with ctx.sessions() as session:
            earlier = _earlier_batch(session, sha256)
        if earlier is None:
            raise
        return _already(earlier)  # the same file imported at the same moment by someone else
    return report


def _refuse(name: str, problems: list[Problem]) -> InputRefused:
    ordered = sorted(problems, key=lambda p: (p.row is not None, p.row or 0))
    return InputRefused(
        _("{name}: {count} problem(s); the whole file is refused").format(name=name, count=len(problems)),
        ordered,
    )


def _meter_numbers(parsed: ReadingFile) -> list[tuple[int, str]]:
    """(row, meter number) of every row that gives one, readable or not."""
    if "meter_no" not in parsed.table.keys:
        return []
    return [(n, m) for n, m in zip(parsed.table.numbers, parsed.table.column("meter_no"), strict=True) if m]


def _archive_meters(session: Session, numbered: Iterable[tuple[int, str]]) -> dict[str, _ArchiveMeter]:
    """The meters of these numbers that the archive holds, with their install periods."""
    numbers = sorted({number for _row, number in numbered})
    found: dict[str, _ArchiveMeter] = {}
    for start in range(0, len(numbers), CHUNK):
        query = (
            select(Meter.meter_no, Meter.id, MeterInstall.installed_on, MeterInstall.removed_on)
            .outerjoin(MeterInstall, MeterInstall.meter_id == Meter.id)
            .where(Meter.meter_no.in_(numbers[start : start + CHUNK]))
        )
        for number, meter_id, installed_on, removed_on in session.execute(query):
            meter = found.setdefault(number, _ArchiveMeter(meter_id))
            if installed_on is not None:
                meter.installs.append((installed_on, removed_on))
    return found


def _archive_problems(parsed: ReadingFile, meters: dict[str, _ArchiveMeter]) -> list[Problem]:
    """Unknown meter numbers, and readings on a day the meter was not installed anywhere."""
    problems = [
        Problem(_("unknown meter number"), row, parsed.label("meter_no"), number)
        for row, number in _meter_numbers(parsed)
        if number not in meters
    ]
    for reading in parsed.rows:
        day = reading.read_at.date()
        meter = meters.get(reading.meter_no)
        if meter is not None and not meter.installed_on(day):
            problems.append(
                Problem(_("meter not installed on that day"), reading.row, parsed.label("read_at"), str(day))
            )
    return problems


def _earlier_batch(session: Session, sha256: str) -> ReadingBatch | None:
    return session.scalar(
        select(ReadingBatch).where(ReadingBatch.kind == BATCH_KIND, ReadingBatch.sha256 == sha256)
    )


def _already(batch: ReadingBatch) -> IntakeReport:
    return IntakeReport(batch_id=batch.id, received=batch.rows, already_imported=True)


def _registers(total: Decimal | None, tou: dict[str, Decimal | None]) -> tuple[Decimal | None, ...]:
    return (total, *(tou.get(key) for key in TOU_KEYS))


def _stored_already(
    session: Session, rows: Sequence[ReadingRow], meters: dict[str, _ArchiveMeter]
) -> set[int]:
    """Rows whose reading — same meter, same time, same registers — is stored already (in any state:
    a reading later corrected or set aside is not brought back by importing it again)."""
    if not rows:
        return set()
    ids = {row.meter_no: meters[row.meter_no].id for row in rows}
    first, last = min(r.read_at.date() for r in rows), max(r.read_at.date() for r in rows)
    known: set[tuple[int, datetime, tuple[Decimal | None, ...]]] = set()
    meter_ids = sorted(set(ids.values()))
    for start in range(0, len(meter_ids), CHUNK):
        query = select(MeterReading).where(
            MeterReading.meter_id.in_(meter_ids[start : start + CHUNK]),
            MeterReading.read_on >= first,
            MeterReading.read_on <= last,
            MeterReading.read_at.is_not(None),
        )
        for stored in session.scalars(query):
            assert stored.read_at is not None
            at = datetime.fromisoformat(stored.read_at).replace(tzinfo=None)
            registers = _registers(stored.total, {key: getattr(stored, key) for key in TOU_KEYS})
            known.add((stored.meter_id, at, _normal(registers)))
    return {
        row.row
        for row in rows
        if (ids[row.meter_no], row.read_at, _normal(_registers(row.total, dict(row.tou)))) in known
    }


def _normal(values: tuple[Decimal | None, ...]) -> tuple[Decimal | None, ...]:
    """Equal numbers compare equal whatever their scale (``250.00`` = ``250``)."""
    return tuple(None if v is None else v.normalize() for v in values)


def _incoming(row: ReadingRow) -> IncomingReading:
    return IncomingReading(
        meter_no=row.meter_no,
        read_at=row.read_at,
        total=row.total,
        tou=dict(row.tou),
        reactive=row.reactive,
        max_demand_kw=row.max_demand_kw,
        meter_clock=row.meter_clock,
        multiplier=row.multiplier,
        source=row.source,
        row=row.row,
    )


def _summary(report: IntakeReport) -> dict[str, object]:
    shown = asdict(report)
    shown.pop("reading_ids")
    return shown
