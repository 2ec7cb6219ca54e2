from __future__ import annotations

import pytest
from sqlalchemy import func, select

from meter2cash.demo.build import build_demo
from meter2cash.demo.files import MANIFEST
from meter2cash.demo.fresh import FreshRefused, reset_demo
from meter2cash.demo.spec import DemoSpec
from meter2cash.platform.audit import AuditRecord, verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.users import User
from meter2cash.registry.model import Account, Meter, MeterInstall, RouteBook, TransformerArea

SPEC = DemoSpec(accounts=200, seed=11)


def _counts(ctx: AppContext) -> dict[str, int]:
    with ctx.sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Account, RouteBook, TransformerArea, Meter, MeterInstall, User, AuditRecord)
        }


class TestBuildingTheDemoBureau:
    def test_it_fills_the_archive_and_adds_the_missing_demo_users(self, ctx: AppContext) -> None:
        outcome = build_demo(ctx, spec=SPEC)
        summary = outcome.summary
        counts = _counts(ctx)
        assert not outcome.already_existed
        assert counts["account"] == 200
        assert counts["route_book"] == summary["route_books"]
        assert counts["transformer_area"] == summary["areas"]
        replacements = summary["faults"]["meter_replacement"]  # type: ignore[index]
        assert outcome.replacements == replacements
        assert counts["meter"] == 200 + counts["transformer_area"] + replacements
        assert counts["meter_install"] == counts["meter"]
        assert set(outcome.users_created) == {"reader", "clerk", "reviewer2"}  # the others were seeded
        assert (ctx.settings.data_dir / "demo" / MANIFEST).exists()

    def test_a_replaced_meter_is_removed_with_its_final_reading_and_a_new_one_installed(
        self, ctx: AppContext
    ) -> None:
        build_demo(ctx, spec=SPEC)
        with ctx.sessions() as session:
            removed = session.scalars(select(MeterInstall).where(MeterInstall.removed_on.is_not(None))).all()
            new_installs = {
                i.installed_on for i in session.scalars(select(MeterInstall)) if i.start_total < 3
            }
        assert removed
        assert all(r.end_total is not None and r.end_total >= r.start_total for r in removed)
        assert {r.removed_on for r in removed} <= new_installs

    def test_building_it_again_duplicates_nothing(self, ctx: AppContext) -> None:
        build_demo(ctx, spec=SPEC)
        before = _counts(ctx)
        again = build_demo(ctx, spec=SPEC)
        assert again.already_existed
        assert _counts(ctx) == before

    def test_a_build_interrupted_before_its_manifest_finishes_without_duplicates(
        self, ctx: AppContext
    ) -> None:
        build_demo(ctx, spec=SPEC)
        before = _counts(ctx)
        (ctx.settings.data_dir / "demo" / MANIFEST).unlink()
        again = build_demo(ctx, spec=SPEC)
        assert not again.already_existed and again.replacements == 0
        assert all(sum(created.values()) == 0 for created in again.imported.values())
        assert _counts(ctx) == before
        with ctx.sessions() as session:
            assert verify_chain(session).ok


class TestStartingAfresh:
    def test_fresh_deletes_only_a_sqlite_database_inside_the_data_directory(self, ctx: AppContext) -> None:
        if ctx.engine.dialect.name != "sqlite":
            with pytest.raises(FreshRefused):
                reset_demo(ctx)
            return
        build_demo(ctx, spec=DemoSpec(accounts=100, seed=1))
        removed = reset_demo(ctx)
        assert ctx.settings.data_dir / "demo" in removed
        outcome = build_demo(ctx, spec=DemoSpec(accounts=120, seed=2))
        assert not outcome.already_existed
        assert _counts(ctx)["account"] == 120
