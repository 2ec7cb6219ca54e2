"""Archive export (档案导出): the archive as a file that imports again unchanged.

The file has the columns of `archive_columns` in their order, headed by their Chinese headers,
and the cells exactly as `archive_rules.format_*` writes them (decimals without trailing zeros,
readings with the meter's decimals, ISO dates, 是/否). Canonical input therefore comes back as the
same text, and importing an export into the same archive changes nothing.

Exporting personal data (names, phones, addresses) is a read, but a supervised one: each export
leaves an ``archive.export`` audit record naming the file and the row count.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry import archive_store as store
from meter2cash.registry.archive_columns import COLUMNS_BY_KIND
from meter2cash.registry.archive_files import write_archive_file
from meter2cash.registry.archive_rules import check_kind

EXPORT_SUFFIXES = (".csv", ".xlsx")


def export_archive(ctx: AppContext, *, actor: str, kind: str, path: Path) -> int:
    """Write every route book, area, account or 定量定比 split to ``path`` (.csv or .xlsx); the number of
    rows written."""
    problems = check_kind(kind)
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        problems.append(
            Problem(
                _("unknown file type {suffix}; use .csv or .xlsx").format(suffix=path.suffix or "-"),
                value=path.name,
            )
        )
    if problems:
        raise InputRefused(problems[0].reason, problems)
    columns = COLUMNS_BY_KIND[kind]
    with use_case(ctx, actor=actor, action=Action.ARCHIVE_READ) as (session, who):
        conn = session.connection()
        cells: Iterable[dict[str, str]]
        if kind == "route-books":
            cells = store.route_book_rows(conn).values()
        elif kind == "areas":
            cells = store.area_rows(conn).values()
        elif kind == "energy-splits":
            cells = store.energy_split_rows(conn)
        else:
            cells = store.account_rows(conn)
        count = write_archive_file(
            path,
            headers=[c.zh for c in columns],
            rows=([row[c.key] for c in columns] for row in cells),
            sheet=kind,
        )
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="archive.export",
            object_type="archive",
            object_id=kind,
            after={"kind": kind, "file": path.name, "rows": count},
        )
    return count
