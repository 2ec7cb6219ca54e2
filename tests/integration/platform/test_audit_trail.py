from __future__ import annotations

from sqlalchemy import text

from meter2cash.platform.audit import record_audit, verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work


def _write(ctx: AppContext, count: int) -> None:
    for i in range(count):
        with unit_of_work(ctx.sessions) as session:
            record_audit(
                session,
                at=ctx.clock.now(),
                actor="admin",
                action="test.touch",
                object_type="thing",
                object_id=str(i),
                before={"n": i},
                after={"n": i + 1},
                reason="because",
            )


class TestAuditChainDetectsTampering:
    def test_an_untouched_chain_verifies(self, ctx: AppContext) -> None:
        _write(ctx, 5)
        with ctx.sessions() as session:
            result = verify_chain(session)
        assert result.ok
        assert result.records == 5 + 7  # seven seeded users were audited too

    def test_a_direct_edit_of_a_record_is_reported_at_that_record(self, ctx: AppContext) -> None:
        _write(ctx, 5)
        with ctx.engine.begin() as conn:
            conn.execute(text("UPDATE audit_record SET reason = 'nothing happened' WHERE seq = 10"))
        with ctx.sessions() as session:
            result = verify_chain(session)
        assert result.problem is not None
        assert (result.problem.seq, result.problem.problem) == (10, "altered")

    def test_a_deleted_record_is_reported_missing(self, ctx: AppContext) -> None:
        _write(ctx, 5)
        with ctx.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_record WHERE seq = 9"))
        with ctx.sessions() as session:
            result = verify_chain(session)
        assert result.problem is not None
        assert (result.problem.seq, result.problem.problem) == (9, "missing")

    def test_deleting_the_newest_record_is_caught_by_the_head(self, ctx: AppContext) -> None:
        _write(ctx, 3)
        with ctx.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_record WHERE seq = 10"))
        with ctx.sessions() as session:
            result = verify_chain(session)
        assert result.problem is not None
        assert result.problem.problem == "truncated"

    def test_a_failed_use_case_leaves_no_audit_record(self, ctx: AppContext) -> None:
        try:
            with unit_of_work(ctx.sessions) as session:
                record_audit(
                    session,
                    at=ctx.clock.now(),
                    actor="admin",
                    action="test.touch",
                    object_type="thing",
                    object_id="x",
                )
                raise RuntimeError("business step failed")
        except RuntimeError:
            pass
        with ctx.sessions() as session:
            assert verify_chain(session).records == 7
