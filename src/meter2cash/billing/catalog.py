"""The tariff catalog (电价目录) in the database: load a catalog file, list and show versions,
and find the versions a bill run prices with.

Loading (``tariff.load``, managers and admins) is all or nothing:

1. the whole file is read and checked (`catalog_files`), before any write transaction;
2. in one unit of work, each version of the file — identified by code and ``effective_from`` —
   is compared with what is stored:

   - not stored: **added**, unless its period overlaps a stored version of the code (refused,
     naming both; close the stored one in the same file first);
   - stored with the same body: **unchanged** — loading the same file again writes nothing, not
     even an audit record;
   - stored open-ended, and the file gives it an ``effective_to`` and is otherwise the same:
     **closed** (the only change a loaded version accepts);
   - stored with any other difference: refused — a loaded version is immutable; publish a new
     version with a new ``effective_from``.

   Any problem refuses the whole file, naming every problem, and nothing is written. Each version
   added or closed gets one audit record (object ``tariff_version``, id ``CODE@YYYY-MM-DD``) that
   carries the SHA-256 of its stored body, so a body edited behind the system's back is found.

Reading the catalog needs no user (prices are public); a user given must exist and may read.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meter2cash.billing.catalog_files import (
    CatalogEntry,
    CatalogFile,
    body_sha256,
    period_text,
    read_catalog_file,
    tariff_body,
    tariff_from_dict,
)
from meter2cash.billing.model import TariffVersion
from meter2cash.billing.tariff import Tariff
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

ADDED = "added"
CLOSED = "closed"
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class LoadResult:
    """What a load did: the counts, and each version of the file with its outcome."""

    file: str
    sha256: str
    added: int
    closed: int
    unchanged: int
    outcomes: dict[str, str] = field(default_factory=dict)  # version (CODE@YYYY-MM-DD) → outcome

    @property
    def changed(self) -> bool:
        return bool(self.added or self.closed)


@dataclass(frozen=True)
class VersionSummary:
    """One stored version, as listed."""

    code: str
    name: str
    category: str
    effective_from: date
    effective_to: date | None
    illustrative: bool
    sha256: str
    loaded_by: str
    loaded_at: str

    @property
    def version(self) -> str:
        return f"{self.code}@{self.effective_from.isoformat()}"


@dataclass(frozen=True)
class StoredVersion:
    """One stored version with its tariff."""

    summary: VersionSummary
    tariff: Tariff


def _summary(row: TariffVersion) -> VersionSummary:
    return VersionSummary(
        code=row.code,
        name=row.name,
        category=row.category,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        illustrative=row.illustrative,
        sha256=row.sha256,
        loaded_by=row.loaded_by,
        loaded_at=row.loaded_at,
    )


def stored_tariff(row: TariffVersion) -> Tariff:
    """The tariff a stored version's body describes."""
    data = json.loads(row.body)
    if not isinstance(data, dict):
        raise ValueError(f"tariff_version {row.id}: body is not a JSON object")
    return tariff_from_dict(data)


# ---------------------------------------------------------------- load


def load_catalog(ctx: AppContext, *, actor: str | None, path: Path) -> LoadResult:
    """Load a catalog file: every version is added, closed or found unchanged, or the whole file
    is refused (`InputRefused` naming every problem) and nothing is written."""
    with use_case(ctx, actor=actor, action=Action.TARIFF_LOAD):
        pass  # refuse a user who may not load before reading anything
    catalog = read_catalog_file(path=path)
    try:
        with use_case(ctx, actor=actor, action=Action.TARIFF_LOAD) as (session, who):
            stored = _stored_versions(session, {entry.tariff.code for entry in catalog.entries})
            plan, problems = _plan(catalog, stored)
            if problems:
                raise InputRefused(
                    _("{name}: {count} problem(s); the whole file is refused").format(
                        name=catalog.name, count=len(problems)
                    ),
                    problems,
                )
            outcomes = _write(ctx, session, who.username, catalog, plan)
    except IntegrityError as clash:
        raise InputRefused(
            _(
                "The tariff catalog changed while the file was being loaded (another load at the same "
                "time?); nothing was written. Load the file again."
            ),
            [Problem(str(clash.orig).splitlines()[0])],
        ) from None
    counts = {kind: sum(1 for o in outcomes.values() if o == kind) for kind in (ADDED, CLOSED, UNCHANGED)}
    return LoadResult(
        file=catalog.name,
        sha256=catalog.sha256,
        added=counts[ADDED],
        closed=counts[CLOSED],
        unchanged=counts[UNCHANGED],
        outcomes=outcomes,
    )


@dataclass(frozen=True)
class _Step:
    entry: CatalogEntry
    body: str
    outcome: str
    row: TariffVersion | None  # the stored version, for closed and unchanged


def _stored_versions(session: Session, codes: Collection[str]) -> dict[str, list[TariffVersion]]:
    query = (
        select(TariffVersion)
        .where(TariffVersion.code.in_(sorted(codes)))
        .order_by(TariffVersion.code, TariffVersion.effective_from)
    )
    found: dict[str, list[TariffVersion]] = {}
    for row in session.scalars(query):
        found.setdefault(row.code, []).append(row)
    return found


def _without_end(body: str) -> dict[str, object]:
    data = json.loads(body)
    assert isinstance(data, dict)
    data.pop("effective_to", None)
    return data


def _plan(catalog: CatalogFile, stored: dict[str, list[TariffVersion]]) -> tuple[list[_Step], list[Problem]]:
    """What loading the file would do to each version, and every problem with it."""
    steps: list[_Step] = []
    problems: list[Problem] = []

    def refuse(entry: CatalogEntry, reason: str) -> None:
        problems.append(
            Problem(reason=reason, row=entry.line, column=entry.path or None, value=entry.tariff.version)
        )

    for entry in catalog.entries:
        tariff = entry.tariff
        body = tariff_body(tariff)
        same_start = next(
            (row for row in stored.get(tariff.code, []) if row.effective_from == tariff.effective_from), None
        )
        if same_start is None:
            steps.append(_Step(entry, body, ADDED, None))
        elif same_start.body == body:
            steps.append(_Step(entry, body, UNCHANGED, same_start))
        elif (
            same_start.effective_to is None
            and tariff.effective_to is not None
            and _without_end(same_start.body) == _without_end(body)
        ):
            steps.append(_Step(entry, body, CLOSED, same_start))
        else:
            refuse(
                entry,
                _(
                    "{version} is already loaded with different content [{period}]; a loaded version is "
                    "immutable: publish a new version with a new effective_from (an open-ended version may "
                    "only be closed by giving it an effective_to)"
                ).format(
                    version=tariff.version,
                    period=period_text(same_start.effective_from, same_start.effective_to),
                ),
            )
    # The periods after this load: stored versions, as closed by the file, and the new ones.
    closing = {
        step.row.id: step.entry.tariff.effective_to for step in steps if step.outcome == CLOSED and step.row
    }
    for step in steps:
        if step.outcome != ADDED:
            continue
        tariff = step.entry.tariff
        for row in stored.get(tariff.code, []):
            end = closing.get(row.id, row.effective_to)
            if _periods_overlap(tariff.effective_from, tariff.effective_to, row.effective_from, end):
                refuse(
                    step.entry,
                    _(
                        "{version} [{period}] overlaps the loaded version {other} [{other_period}]: close "
                        "the loaded version by giving it an effective_to in this file, or start this "
                        "version later"
                    ).format(
                        version=tariff.version,
                        period=period_text(tariff.effective_from, tariff.effective_to),
                        other=row.version,
                        other_period=period_text(row.effective_from, end),
                    ),
                )
    return steps, problems


def _periods_overlap(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    return (other_end is None or start < other_end) and (end is None or other_start < end)


def _write(
    ctx: AppContext, session: Session, username: str, catalog: CatalogFile, steps: list[_Step]
) -> dict[str, str]:
    now = ctx.clock.now()
    outcomes: dict[str, str] = {}
    # Close first, so a new version that starts where a closed one now ends fits (the database
    # checks for overlaps statement by statement).
    for step in sorted(steps, key=lambda s: s.outcome != CLOSED):
        tariff = step.entry.tariff
        outcomes[tariff.version] = step.outcome
        if step.outcome == CLOSED:
            assert step.row is not None
            before = {"effective_to": None, "sha256": step.row.sha256}
            step.row.effective_to = tariff.effective_to
            step.row.body = step.body
            step.row.sha256 = body_sha256(step.body)
            session.flush()
            record_audit(
                session,
                at=now,
                actor=username,
                action="tariff.close",
                object_type="tariff_version",
                object_id=tariff.version,
                before=before,
                after={
                    "effective_to": tariff.effective_to,
                    "sha256": step.row.sha256,
                    "file": catalog.name,
                    "file_sha256": catalog.sha256,
                },
            )
        elif step.outcome == ADDED:
            row = TariffVersion(
                code=tariff.code,
                effective_from=tariff.effective_from,
                effective_to=tariff.effective_to,
                name=tariff.name,
                category=tariff.category.value,
                illustrative=tariff.illustrative,
                body=step.body,
                sha256=body_sha256(step.body),
                loaded_by=username,
                loaded_at=now.isoformat(),
                batch_sha256=catalog.sha256,
            )
            session.add(row)
            session.flush()
            record_audit(
                session,
                at=now,
                actor=username,
                action="tariff.load",
                object_type="tariff_version",
                object_id=tariff.version,
                after={
                    "code": tariff.code,
                    "name": tariff.name,
                    "category": tariff.category.value,
                    "effective_from": tariff.effective_from,
                    "effective_to": tariff.effective_to,
                    "illustrative": tariff.illustrative,
                    "sha256": row.sha256,
                    "file": catalog.name,
                    "file_sha256": catalog.sha256,
                },
            )
    return {entry.tariff.version: outcomes[entry.tariff.version] for entry in catalog.entries}


# ---------------------------------------------------------------- read


@contextmanager
def _reading(ctx: AppContext, actor: str | None) -> Iterator[Session]:
    if actor is None:
        with ctx.sessions() as session:
            yield session
        return
    with use_case(ctx, actor=actor, action=Action.ARCHIVE_READ) as (session, _who):
        yield session


def list_versions(ctx: AppContext, *, actor: str | None, on: date | None = None) -> list[VersionSummary]:
    """Every stored version by code and start, or only those in effect on ``on``."""
    query = select(TariffVersion).order_by(TariffVersion.code, TariffVersion.effective_from)
    if on is not None:
        query = query.where(*_in_effect(on))
    with _reading(ctx, actor) as session:
        return [_summary(row) for row in session.scalars(query)]


def get_version(ctx: AppContext, *, actor: str | None, code: str, on: date | None = None) -> StoredVersion:
    """The version of ``code`` in effect on ``on`` (default: today, Beijing time); `NotFound`
    naming the code's versions when there is none."""
    day = on or business_date(ctx.clock.now())
    with _reading(ctx, actor) as session:
        rows = list(
            session.scalars(
                select(TariffVersion).where(TariffVersion.code == code).order_by(TariffVersion.effective_from)
            )
        )
        if not rows:
            raise NotFound(_("Unknown tariff: {code}").format(code=code))
        row = next(
            (r for r in rows if r.effective_from <= day and (r.effective_to is None or day < r.effective_to)),
            None,
        )
        if row is None:
            versions = "; ".join(
                f"{r.version} ({period_text(r.effective_from, r.effective_to)})" for r in rows
            )
            raise NotFound(
                _("No version of tariff {code} is in effect on {day}; its versions: {versions}").format(
                    code=code, day=day.isoformat(), versions=versions
                )
            )
        return StoredVersion(summary=_summary(row), tariff=stored_tariff(row))


def _in_effect(on: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        TariffVersion.effective_from <= on,
        (TariffVersion.effective_to.is_(None)) | (TariffVersion.effective_to > on),
    )


def tariffs_effective(session: Session, *, codes: Collection[str], on: date) -> dict[str, Tariff]:
    """The version of each code in effect on ``on`` (codes without one are left out), in one query."""
    if not codes:
        return {}
    query = select(TariffVersion).where(TariffVersion.code.in_(sorted(set(codes))), *_in_effect(on))
    return {row.code: stored_tariff(row) for row in session.scalars(query)}
