"""Loading the tariff catalog into the database: versioned, immutable, all or nothing, audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from meter2cash.billing.catalog import get_version, list_versions, load_catalog, tariffs_effective
from meter2cash.billing.catalog_files import bundled_catalog, bundled_catalog_path, tariff_body
from meter2cash.billing.model import TariffVersion
from meter2cash.platform.audit import AuditRecord, verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.users import PermissionDenied, UnknownUser

MANAGER = "manager"


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("M2C_LANG", "en")


def version(code: str, start: str, price: str, end: str | None = None) -> str:
    closing = f", effective_to: {end}" if end else ""
    return (
        f"  - {{code: {code}, name: 测试 {code}, category: general, effective_from: {start}{closing},\n"
        f'     energy: {{flat: "{price}"}},\n'
        f'     funds: [{{code: renewable, name: 可再生能源电价附加, price: "0.019"}}]}}\n'
    )


def catalog(tmp_path: Path, name: str, *versions: str) -> Path:
    path = tmp_path / name
    path.write_text("tariffs:\n" + "".join(versions), encoding="utf-8")
    return path


def counts(ctx: AppContext) -> tuple[int, int]:
    """(stored versions, audit records)."""
    with ctx.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(TariffVersion)) or 0
        audits = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    return stored, audits


def refused(ctx: AppContext, path: Path, actor: str = MANAGER) -> InputRefused:
    with pytest.raises(InputRefused) as caught:
        load_catalog(ctx, actor=actor, path=path)
    return caught.value


class TestLoadingTheBundledCatalog:
    def test_every_version_is_stored_with_its_canonical_body_and_fingerprint(self, ctx: AppContext) -> None:
        result = load_catalog(ctx, actor=MANAGER, path=bundled_catalog_path())
        assert (result.added, result.closed, result.unchanged) == (len(bundled_catalog()), 0, 0)
        assert result.outcomes["MX-RES-1@2024-10-01"] == "added"
        with ctx.sessions() as session:
            row = session.scalars(select(TariffVersion).where(TariffVersion.code == "MX-LI-10KV")).one()
        expected = next(t for t in bundled_catalog() if t.code == "MX-LI-10KV")
        assert row.body == tariff_body(expected)
        assert json.loads(row.body)["basic"] == {"capacity_price": "25", "demand_price": "38"}
        assert (row.name, row.category, row.illustrative, row.effective_to) == (
            expected.name,
            "large_industry",
            True,
            None,
        )
        assert (row.loaded_by, row.batch_sha256) == (MANAGER, result.sha256)

    def test_each_added_version_gets_an_audit_record_in_the_chain(self, ctx: AppContext) -> None:
        load_catalog(ctx, actor=MANAGER, path=bundled_catalog_path())
        with ctx.sessions() as session:
            records = list(session.scalars(select(AuditRecord).where(AuditRecord.action == "tariff.load")))
            assert verify_chain(session).ok
            row = session.scalars(select(TariffVersion).where(TariffVersion.code == "MX-RES-1")).one()
        assert sorted(r.object_id for r in records) == sorted(t.version for t in bundled_catalog())
        audit = next(r for r in records if r.object_id == "MX-RES-1@2024-10-01")
        assert audit.actor == MANAGER and audit.object_type == "tariff_version"
        assert json.loads(audit.after or "{}")["sha256"] == row.sha256

    def test_loading_the_same_file_again_writes_nothing(self, ctx: AppContext) -> None:
        load_catalog(ctx, actor=MANAGER, path=bundled_catalog_path())
        before = counts(ctx)
        again = load_catalog(ctx, actor="admin", path=bundled_catalog_path())
        assert (again.added, again.closed, again.unchanged) == (0, 0, len(bundled_catalog()))
        assert not again.changed
        assert counts(ctx) == before


class TestALoadedVersionIsImmutable:
    def test_a_changed_body_for_a_loaded_version_is_refused_and_nothing_is_written(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        load_catalog(
            ctx, actor=MANAGER, path=catalog(tmp_path, "v1.yaml", version("MX-A", "2026-01-01", "0.5"))
        )
        before = counts(ctx)
        changed = catalog(
            tmp_path,
            "v1-changed.yaml",
            version("MX-B", "2026-01-01", "0.6"),  # new and fine, but the file is refused whole
            version("MX-A", "2026-01-01", "0.55"),
        )
        problem = refused(ctx, changed).problems
        assert len(problem) == 1
        assert (problem[0].row, problem[0].column, problem[0].value) == (5, "tariffs[1]", "MX-A@2026-01-01")
        assert "immutable" in problem[0].reason and "new effective_from" in problem[0].reason
        assert counts(ctx) == before

    def test_closing_an_open_ended_version_with_an_effective_to_is_allowed_and_audited(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        load_catalog(
            ctx, actor=MANAGER, path=catalog(tmp_path, "v1.yaml", version("MX-A", "2026-01-01", "0.5"))
        )
        closed = catalog(tmp_path, "v1-closed.yaml", version("MX-A", "2026-01-01", "0.5", end="2026-07-01"))
        result = load_catalog(ctx, actor=MANAGER, path=closed)
        assert (result.added, result.closed, result.unchanged) == (0, 1, 0)
        with ctx.sessions() as session:
            row = session.scalars(select(TariffVersion)).one()
            audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "tariff.close")).one()
            assert verify_chain(session).ok
        assert row.effective_to == date(2026, 7, 1)
        assert json.loads(row.body)["effective_to"] == "2026-07-01"
        assert audit.object_id == "MX-A@2026-01-01"
        assert json.loads(audit.before or "{}")["effective_to"] is None
        assert json.loads(audit.after or "{}")["effective_to"] == "2026-07-01"
        assert json.loads(audit.after or "{}")["sha256"] == row.sha256
        assert load_catalog(ctx, actor=MANAGER, path=closed).unchanged == 1  # closing again: no change

    def test_a_closing_date_once_set_cannot_be_moved(self, ctx: AppContext, tmp_path: Path) -> None:
        load_catalog(
            ctx,
            actor=MANAGER,
            path=catalog(tmp_path, "a.yaml", version("MX-A", "2026-01-01", "0.5", "2026-07-01")),
        )
        moved = catalog(tmp_path, "b.yaml", version("MX-A", "2026-01-01", "0.5", end="2026-09-01"))
        assert "immutable" in refused(ctx, moved).problems[0].reason
        reopened = catalog(tmp_path, "c.yaml", version("MX-A", "2026-01-01", "0.5"))
        assert "immutable" in refused(ctx, reopened).problems[0].reason

    def test_a_new_version_may_follow_the_one_it_closes_in_the_same_file(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        load_catalog(
            ctx, actor=MANAGER, path=catalog(tmp_path, "v1.yaml", version("MX-A", "2026-01-01", "0.5"))
        )
        v2 = catalog(
            tmp_path,
            "v2.yaml",
            version("MX-A", "2026-01-01", "0.5", end="2026-07-01"),
            version("MX-A", "2026-07-01", "0.6"),
        )
        result = load_catalog(ctx, actor=MANAGER, path=v2)
        assert result.outcomes == {"MX-A@2026-01-01": "closed", "MX-A@2026-07-01": "added"}


class TestVersionsOfOneCodeNeverOverlap:
    def test_a_new_version_overlapping_a_loaded_one_is_refused_naming_both(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        load_catalog(
            ctx, actor=MANAGER, path=catalog(tmp_path, "v1.yaml", version("MX-A", "2026-01-01", "0.5"))
        )
        before = counts(ctx)
        [problem] = refused(ctx, catalog(tmp_path, "v2.yaml", version("MX-A", "2026-07-01", "0.6"))).problems
        assert "MX-A@2026-07-01" in problem.reason and "loaded version MX-A@2026-01-01" in problem.reason
        assert "effective_to" in problem.reason
        assert counts(ctx) == before

    def test_a_version_inside_a_closed_one_is_refused(self, ctx: AppContext, tmp_path: Path) -> None:
        load_catalog(
            ctx,
            actor=MANAGER,
            path=catalog(tmp_path, "a.yaml", version("MX-A", "2026-01-01", "0.5", "2026-07-01")),
        )
        [problem] = refused(
            ctx, catalog(tmp_path, "b.yaml", version("MX-A", "2025-06-01", "0.6", "2026-02-01"))
        ).problems
        assert "overlaps the loaded version MX-A@2026-01-01" in problem.reason

    def test_the_database_itself_refuses_overlapping_versions(self, ctx: AppContext) -> None:
        row = {
            "name": "x",
            "category": "general",
            "illustrative": False,
            "body": "{}",
            "sha256": "0" * 64,
            "loaded_by": "t",
            "loaded_at": "t",
            "batch_sha256": "0" * 64,
        }
        with ctx.sessions() as session, session.begin():
            session.add(TariffVersion(code="MX-A", effective_from=date(2026, 1, 1), **row))
        with pytest.raises(IntegrityError), ctx.sessions() as session, session.begin():
            session.add(TariffVersion(code="MX-A", effective_from=date(2026, 3, 1), **row))
        with ctx.sessions() as session, session.begin():  # another code, or a period that only meets: fine
            session.add(TariffVersion(code="MX-B", effective_from=date(2026, 3, 1), **row))
            session.add(
                TariffVersion(
                    code="MX-C", effective_from=date(2026, 1, 1), effective_to=date(2026, 3, 1), **row
                )
            )
            session.add(TariffVersion(code="MX-C", effective_from=date(2026, 3, 1), **row))

    def test_the_database_refuses_a_period_that_ends_before_it_starts(self, ctx: AppContext) -> None:
        with pytest.raises(IntegrityError), ctx.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tariff_version (code, effective_from, effective_to, name, category, "
                    "illustrative, body, sha256, loaded_by, loaded_at, batch_sha256) VALUES ('MX-A', "
                    "'2026-03-01', '2026-01-01', 'x', 'general', false, '{}', 'x', 't', 't', 'x')"
                )
            )


class TestWhoMayLoad:
    def test_a_meter_reader_is_refused_before_the_file_is_read(self, ctx: AppContext, tmp_path: Path) -> None:
        with pytest.raises(PermissionDenied):
            load_catalog(ctx, actor="meter_reader", path=tmp_path / "not-even-there.yaml")
        assert counts(ctx)[0] == 0

    def test_a_billing_clerk_may_not_change_prices(self, ctx: AppContext) -> None:
        with pytest.raises(PermissionDenied):
            load_catalog(ctx, actor="billing_clerk", path=bundled_catalog_path())

    def test_no_user_is_refused(self, ctx: AppContext) -> None:
        with pytest.raises(UnknownUser):
            load_catalog(ctx, actor=None, path=bundled_catalog_path())


@pytest.fixture
def loaded(ctx: AppContext, tmp_path: Path) -> AppContext:
    load_catalog(
        ctx,
        actor=MANAGER,
        path=catalog(
            tmp_path,
            "versions.yaml",
            version("MX-A", "2025-01-01", "0.5", end="2026-01-01"),
            version("MX-A", "2026-01-01", "0.6"),
            version("MX-B", "2026-06-01", "0.7"),
        ),
    )
    return ctx


@pytest.fixture
def statements(loaded: AppContext) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(loaded.engine, "before_cursor_execute", count)
    yield seen
    event.remove(loaded.engine, "before_cursor_execute", count)


class TestReadingTheCatalog:
    def test_tariffs_effective_picks_each_codes_version_by_date_in_one_query(
        self, loaded: AppContext, statements: list[str]
    ) -> None:
        with loaded.sessions() as session:
            statements.clear()
            found = tariffs_effective(session, codes=["MX-A", "MX-B", "MX-NONE"], on=date(2025, 12, 31))
            assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
            assert {code: t.energy.flat for code, t in found.items()} == {"MX-A": Decimal("0.5")}
            later = tariffs_effective(session, codes={"MX-A", "MX-B"}, on=date(2026, 6, 1))
        assert {code: t.version for code, t in later.items()} == {
            "MX-A": "MX-A@2026-01-01",
            "MX-B": "MX-B@2026-06-01",
        }

    def test_the_list_shows_every_version_or_those_in_effect_on_a_day(self, loaded: AppContext) -> None:
        assert [v.version for v in list_versions(loaded, actor=None)] == [
            "MX-A@2025-01-01",
            "MX-A@2026-01-01",
            "MX-B@2026-06-01",
        ]
        assert [v.version for v in list_versions(loaded, actor="meter_reader", on=date(2026, 3, 1))] == [
            "MX-A@2026-01-01"
        ]

    def test_show_gives_the_version_in_effect_today_or_on_a_day(self, loaded: AppContext) -> None:
        today = get_version(loaded, actor=None, code="MX-A")  # the test clock stands at 2026-03-01
        assert today.tariff.version == "MX-A@2026-01-01" and today.summary.loaded_by == MANAGER
        assert get_version(
            loaded, actor=None, code="MX-A", on=date(2025, 5, 1)
        ).tariff.energy.flat == Decimal("0.5")

    def test_show_names_the_versions_when_none_is_in_effect(self, loaded: AppContext) -> None:
        with pytest.raises(NotFound, match="MX-B@2026-06-01"):
            get_version(loaded, actor=None, code="MX-B", on=date(2026, 1, 1))
        with pytest.raises(NotFound, match="Unknown tariff: MX-NONE"):
            get_version(loaded, actor=None, code="MX-NONE")

    def test_an_unknown_user_may_not_read(self, loaded: AppContext) -> None:
        with pytest.raises(UnknownUser):
            list_versions(loaded, actor="nobody")
