"""Archive import (档案导入): a whole file is written, or nothing is.

1. The headers are matched to the columns of the kind (English key or Chinese header).
2. Every row is parsed and checked, and the file as a whole is checked (`archive_rules`), outside
   any write transaction.
3. In one unit of work, as a user allowed ``archive.import``: the rows that read well are checked
   against the archive (route books and areas must exist; service points, meters and addresses
   must be new; a master account must be in the file or the archive; a split's account must be
   archived). Any problem of step 2 or 3 refuses the whole file (`InputRefused`, every problem
   naming its row — 1 = first data row —, column and reason) and nothing is written. Otherwise
   the rows are written in bulk (`archive_write`) with one `ImportBatch` and one audit record.

Idempotency: the batch keeps the kind and the SHA-256 of the content (`archive_rules.fingerprint`);
importing the same content again — same file, or the same rows from another file or format —
writes nothing and reports ``already_imported``. A row of a *different* file that is already in the
archive is skipped when the archive holds exactly the same data for it (as export would write
it), and refused ("already exists with different data") when it differs: an import never edits.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry import archive_rules as rules
from meter2cash.registry import archive_store as store
from meter2cash.registry import archive_write as write
from meter2cash.registry.archive_files import ArchiveTable, read_archive_file
from meter2cash.registry.archive_rules import (
    AccountRow,
    ArchiveRow,
    AreaRow,
    EnergySplitRow,
    Numbered,
    RouteBookRow,
)
from meter2cash.registry.model import ImportBatch

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportReport:
    batch_id: int | None
    kind: str
    rows: int
    created: dict[str, int]
    already_imported: bool


def import_archive_file(
    ctx: AppContext, *, actor: str, kind: str, path: Path, progress: Progress | None = None
) -> ImportReport:
    """Import a .csv (UTF-8 or GBK) or .xlsx archive file of ``kind``: all of it, or nothing.

    ``progress(n)``, when given, hears how many rows are done (found unchanged, or written): once
    with the unchanged rows just before writing starts, then after each chunk written.
    """
    _refuse_unknown_kind(kind)
    with use_case(ctx, actor=actor, action=Action.ARCHIVE_IMPORT):
        pass  # refuse a user who may not import before reading anything
    with _collector_paused():
        table = read_archive_file(path)
    return import_archive_table(ctx, actor=actor, kind=kind, table=table, progress=progress)


def import_archive_rows(
    ctx: AppContext,
    *,
    actor: str,
    kind: str,
    rows: Sequence[Mapping[str, str]],
    source_name: str,
    progress: Progress | None = None,
) -> ImportReport:
    """Import rows given as mappings from header (English key or Chinese header) to cell text.

    Row ``n`` of ``rows`` is row ``n + 1`` in problems; ``source_name`` names the rows in the
    refusal, the import batch and the audit record. ``progress`` as for `import_archive_file`.
    """
    _refuse_unknown_kind(kind)
    headers = list(dict.fromkeys(header for row in rows for header in row))
    table = [
        (number, tuple(rules.cell_text(row.get(h)) for h in headers))
        for number, row in enumerate(rows, start=1)
    ]
    return _import(
        ctx,
        actor=actor,
        kind=kind,
        headers=headers,
        raw_rows=table,
        source_name=source_name,
        file_sha256=None,
        progress=progress,
    )


def import_archive_table(
    ctx: AppContext, *, actor: str, kind: str, table: ArchiveTable, progress: Progress | None = None
) -> ImportReport:
    """Import a table already read from a file (see `archive_files.read_archive_file`)."""
    _refuse_unknown_kind(kind)
    return _import(
        ctx,
        actor=actor,
        kind=kind,
        headers=table.headers,
        raw_rows=table.rows,
        source_name=table.name,
        file_sha256=table.sha256,
        progress=progress,
    )


def infer_archive_kind(headers: Sequence[str]) -> str:
    """The kind of file these headers belong to; refused when they fit none or several."""
    kind = rules.infer_kind(headers)
    if kind is None:
        raise InputRefused(
            _("Cannot tell the kind of file from its headers; give --kind ({kinds})").format(
                kinds=" | ".join(rules.KINDS)
            ),
            [Problem(_("the headers fit no kind of archive file, or several"), value=", ".join(headers))],
        )
    return kind


def _refuse_unknown_kind(kind: str) -> None:
    problems = rules.check_kind(kind)
    if problems:
        raise InputRefused(problems[0].reason, problems)


def _refuse(source_name: str, problems: list[Problem], labels: Mapping[str, str]) -> InputRefused:
    return InputRefused(
        _("{name}: {count} problem(s); the whole file is refused").format(
            name=source_name, count=len(problems)
        ),
        rules.relabel(problems, labels),
    )


def _earlier_batch(session: Session, kind: str, sha256: str) -> ImportBatch | None:
    query = select(ImportBatch).where(ImportBatch.kind == kind, ImportBatch.sha256 == sha256)
    return session.scalar(query)


def _import(
    ctx: AppContext,
    *,
    actor: str,
    kind: str,
    headers: Sequence[str],
    raw_rows: Sequence[Numbered[Sequence[str]]],
    source_name: str,
    file_sha256: str | None,
    progress: Progress | None,
) -> ImportReport:
    keys, problems = rules.resolve_headers(kind, headers)
    table, shape_problems = rules.check_shape(keys, raw_rows)
    labels = {key: header.strip() for key, header in zip(keys, headers, strict=True) if key}
    sha256 = rules.fingerprint(kind, table)
    with use_case(ctx, actor=actor, action=Action.ARCHIVE_IMPORT) as (session, _who):
        earlier = _earlier_batch(session, kind, sha256)
    if problems or shape_problems:
        raise _refuse(source_name, problems + shape_problems, labels)
    if earlier is not None:
        return _already(kind, earlier)
    with _collector_paused():
        return _check_and_write(
            ctx,
            actor=actor,
            kind=kind,
            table=table,
            sha256=sha256,
            labels=labels,
            source_name=source_name,
            file_sha256=file_sha256,
            progress=progress,
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a big file is parsed and written.

    The rows make hundreds of thousands of long-lived objects; with the collector on, its full
    passes rescan all of them again and again and the import takes about twice as long. Nothing
    here makes reference cycles, so nothing is lost by collecting afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_and_write(
    ctx: AppContext,
    *,
    actor: str,
    kind: str,
    table: rules.Table,
    sha256: str,
    labels: Mapping[str, str],
    source_name: str,
    file_sha256: str | None,
    progress: Progress | None,
) -> ImportReport:
    parsed, problems = rules.parse_table(kind, table)
    if problems and not parsed:
        raise _refuse(source_name, problems, labels)
    try:
        with use_case(ctx, actor=actor, action=Action.ARCHIVE_IMPORT) as (session, who):
            earlier = _earlier_batch(session, kind, sha256)  # again, now holding the write lock
            if earlier is not None:
                return _already(kind, earlier)
            conn = session.connection()
            in_file = table.column("account_no") if kind == "accounts" else None
            plan = rules.plan_import(parsed, _known(conn, kind, parsed), in_file=in_file)
            if problems or plan.problems:  # the rows that read well are checked against the archive too
                raise _refuse(source_name, rules.in_file_order(kind, problems + plan.problems), labels)
            if progress is not None:
                progress(plan.unchanged)
            created = _write(conn, kind, [row for _, row in plan.new], plan.unchanged, progress)
            batch = ImportBatch(
                kind=kind,
                sha256=sha256,
                file_name=source_name[:300],
                rows=len(parsed),
                imported_by=who.username,
                imported_at=ctx.clock.now().isoformat(),
            )
            session.add(batch)
            session.flush()
            after: dict[str, object] = {
                "kind": kind,
                "file": source_name,
                "sha256": sha256,
                "rows": len(parsed),
                "created": created,
                "unchanged": plan.unchanged,
            }
            if file_sha256 is not None:
                after["file_sha256"] = file_sha256
            record_audit(
                session,
                at=ctx.clock.now(),
                actor=who.username,
                action="archive.import",
                object_type="import_batch",
                object_id=str(batch.id),
                after=after,
            )
    except IntegrityError as clash:
        raise InputRefused(
            _(
                "The archive changed while the file was being imported (another import at the same time?); "
                "nothing was written. Import the file again."
            ),
            [Problem(str(clash.orig).splitlines()[0])],
        ) from None
    return ImportReport(
        batch_id=batch.id, kind=kind, rows=len(parsed), created=created, already_imported=False
    )


def _already(kind: str, batch: ImportBatch) -> ImportReport:
    return ImportReport(
        batch_id=batch.id,
        kind=kind,
        rows=batch.rows,
        created=dict.fromkeys(write.TABLES_BY_KIND[kind], 0),
        already_imported=True,
    )


def _known(conn: Connection, kind: str, parsed: Sequence[Numbered[ArchiveRow]]) -> rules.KnownArchive:
    rows = [row for _, row in parsed]
    keys = [rules.row_key(row) for row in rows]
    accounts = [r for r in rows if isinstance(r, AccountRow)]
    supplies = [r.supply for r in rows if isinstance(r, AreaRow) and r.supply is not None]
    return store.load_known(
        conn,
        kind,
        keys,
        service_points=[r.service_point for r in accounts]
        + [r.supply_point for r in rows if isinstance(r, AreaRow) and r.supply is not None],
        meter_nos=[r.meter_no for r in accounts] + [s.meter_no for s in supplies],
        meter_addresses=[r.meter_address for r in accounts] + [s.meter_address for s in supplies],
        customer_codes=[r.customer_code for r in accounts],
        account_nos=[r.master_account_no for r in accounts if r.master_account_no]
        + [r.account_no for r in rows if isinstance(r, EnergySplitRow)],
    )


def _write(
    conn: Connection, kind: str, rows: list[ArchiveRow], unchanged: int, progress: Progress | None
) -> dict[str, int]:
    def report(done: int) -> None:
        if progress is not None:
            progress(unchanged + done)

    if kind == "route-books":
        created = write.write_route_books(conn, [r for r in rows if isinstance(r, RouteBookRow)])
    elif kind == "areas":
        created = write.write_areas(conn, [r for r in rows if isinstance(r, AreaRow)])
    elif kind == "energy-splits":
        created = write.write_energy_splits(conn, [r for r in rows if isinstance(r, EnergySplitRow)])
    else:
        return write.write_accounts(conn, [r for r in rows if isinstance(r, AccountRow)], progress=report)
    report(len(rows))
    return created
