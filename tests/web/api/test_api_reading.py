"""The reading cycle through the API on SQLite and PostgreSQL: a route book's tasks of a period,
the exception queue, confirming a warning, an error that cannot be confirmed, a re-read, and an
edit that waits for a second person (four eyes, 403 to the proposer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api_helpers import as_staff

from archive_factory import small_archive
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from meter2cash.reading.entry import enter_readings
from meter2cash.reading.intake import IncomingReading
from meter2cash.reading.kpis import reading_kpis
from meter2cash.reading.plans import plan_period
from web_client import staff_client

PERIOD = "2025-02"


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def read(ctx: AppContext, meter: str, total: str) -> None:
    """``meter`` read on 2025-02-15 at 10:00 Beijing time, entered the next morning."""
    ctx.clock.instant = datetime(2025, 2, 16, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    enter_readings(
        ctx,
        actor="meter_reader",
        readings=[IncomingReading(meter_no=meter, read_at=datetime(2025, 2, 15, 10), total=total)],  # noqa: DTZ001
    )


def month_read(ctx: AppContext) -> dict[str, dict[str, Any]]:
    """Four meters planned: M0001 read right, M0002 below its install reading (ROLLBACK, an
    error), M0003 unchanged (ZERO, a warning), M0004 not read. The queue by code."""
    small_archive(ctx, accounts=4)
    plan_period(ctx, actor="billing_clerk", period=PERIOD)
    read(ctx, "M0001", "150.00")
    read(ctx, "M0002", "99.00")
    read(ctx, "M0003", "100.00")
    page = ok(as_staff(ctx, "billing_clerk").get("/api/v1/reading/exceptions", params={"route_book": "RB01"}))
    return {item["code"]: item for item in page["items"]}


class TestTasksAndQueue:
    def test_the_tasks_of_a_route_book_show_their_state_and_reading(self, ctx: AppContext) -> None:
        month_read(ctx)
        page = ok(
            as_staff(ctx, "meter_reader").get(
                "/api/v1/reading/tasks", params={"period": PERIOD, "route_book": "RB01"}
            )
        )
        tasks = {t["meter_no"]: t for t in page["items"]}
        assert page["total"] == 4 and sorted(tasks) == ["M0001", "M0002", "M0003", "M0004"]
        assert tasks["M0001"]["state"] == "read" and tasks["M0001"]["reading"]["total"] == "150.0000"
        assert (tasks["M0004"]["state"], tasks["M0004"]["reading"]) == ("pending", None)
        assert tasks["M0001"]["due_on"] == "2025-02-15" and tasks["M0001"]["account_no"] == "A0001"

    def test_an_unknown_route_book_is_not_found(self, ctx: AppContext) -> None:
        client = as_staff(ctx, "meter_reader")
        missing = client.get("/api/v1/reading/tasks", params={"period": PERIOD, "route_book": "RB99"})
        assert missing.status_code == 404 and "RB99" in missing.json()["detail"]
        assert client.get("/api/v1/reading/exceptions", params={"route_book": "RB99"}).status_code == 404

    def test_the_queue_holds_open_exceptions_and_filters_by_state(self, ctx: AppContext) -> None:
        queue = month_read(ctx)
        assert sorted(queue) == ["ROLLBACK", "ZERO"]
        assert (queue["ROLLBACK"]["severity"], queue["ZERO"]["severity"]) == ("error", "warning")
        client = as_staff(ctx, "inspector")
        resolved = ok(client.get("/api/v1/reading/exceptions", params={"state": "resolved"}))
        assert resolved["items"] == []

    def test_the_reading_kpis_are_the_services_json(self, ctx: AppContext) -> None:
        month_read(ctx)
        kpis = ok(as_staff(ctx, "cashier").get("/api/v1/kpis/reading", params={"period": PERIOD}))
        with ctx.sessions() as session:
            expected = reading_kpis(session, period=PERIOD, today=business_date(ctx.clock.now())).as_dict()
        assert kpis == expected and kpis["planned"] == 4


class TestWorkingTheQueue:
    def test_a_warning_is_confirmed_but_an_error_is_refused(self, ctx: AppContext) -> None:
        queue = month_read(ctx)
        clerk = as_staff(ctx, "meter_reader")
        done = ok(
            clerk.post(f"/api/v1/reading/exceptions/{queue['ZERO']['id']}/confirm", json={"reason": "空房"})
        )
        assert (done["state"], done["resolution"]) == ("resolved", "confirmed: 空房")
        refused = clerk.post(
            f"/api/v1/reading/exceptions/{queue['ROLLBACK']['id']}/confirm", json={"reason": "x"}
        )
        assert refused.status_code == 422 and refused.json()["detail"]

    def test_a_reread_sends_the_task_back_to_the_field(self, ctx: AppContext) -> None:
        queue = month_read(ctx)
        clerk = as_staff(ctx, "billing_clerk")
        done = ok(
            clerk.post(
                f"/api/v1/reading/exceptions/{queue['ROLLBACK']['id']}/reread", json={"reason": "复抄"}
            )
        )
        assert done["state"] == "reread_requested"
        tasks = ok(clerk.get("/api/v1/reading/tasks", params={"period": PERIOD, "route_book": "RB01"}))[
            "items"
        ]
        assert {t["meter_no"]: t["state"] for t in tasks}["M0002"] == "reread_requested"

    def test_an_edit_waits_for_a_second_person_and_the_proposer_is_refused(self, ctx: AppContext) -> None:
        queue = month_read(ctx)
        manager = staff_client(ctx, "manager")
        edit = ok(
            manager.post(
                f"/api/v1/reading/exceptions/{queue['ROLLBACK']['id']}/edits",
                json={"values": {"total": "199.00"}, "reason": "抄错"},
            ),
            201,
        )
        assert (edit["state"], edit["changes_energy"], edit["proposed_by"]) == ("pending", True, "manager")
        own = manager.post(f"/api/v1/reading/edits/{edit['edit_id']}/approve", json={"reason": "我改的"})
        assert own.status_code == 403 and "manager" in own.json()["detail"]
        clerk = staff_client(ctx, "billing_clerk")
        assert (
            clerk.post(f"/api/v1/reading/edits/{edit['edit_id']}/approve", json={"reason": "x"}).status_code
            == 403
        )
        approved = ok(
            staff_client(ctx, "reviewer").post(
                f"/api/v1/reading/edits/{edit['edit_id']}/approve", json={"reason": "照片核实"}
            )
        )
        assert (approved["state"], approved["decided_by"]) == ("approved", "reviewer")
        left = ok(manager.get("/api/v1/reading/exceptions", params={"route_book": "RB01"}))["items"]
        assert [e["code"] for e in left] == ["ZERO"]

    def test_a_rejected_edit_opens_the_exception_again(self, ctx: AppContext) -> None:
        queue = month_read(ctx)
        edit = ok(
            as_staff(ctx, "billing_clerk").post(
                f"/api/v1/reading/exceptions/{queue['ROLLBACK']['id']}/edits",
                json={"values": {"total": "199.00"}, "reason": "抄错"},
            ),
            201,
        )
        reviewer = as_staff(ctx, "reviewer")
        rejected = ok(
            reviewer.post(f"/api/v1/reading/edits/{edit['edit_id']}/reject", json={"reason": "照片不符"})
        )
        assert rejected["state"] == "rejected"
        states = ok(reviewer.get("/api/v1/reading/exceptions", params={"state": ["open", "edit_pending"]}))
        assert {e["code"]: e["state"] for e in states["items"]}["ROLLBACK"] == "open"
        again = reviewer.post(f"/api/v1/reading/edits/{edit['edit_id']}/approve", json={"reason": "x"})
        assert again.status_code == 422  # already decided

    def test_an_edit_of_a_register_that_is_not_a_decimal_is_refused(self, ctx: AppContext) -> None:
        queue = month_read(ctx)
        refused = as_staff(ctx, "billing_clerk").post(
            f"/api/v1/reading/exceptions/{queue['ROLLBACK']['id']}/edits",
            json={"values": {"total": 199.0}, "reason": "抄错"},
        )
        assert refused.status_code == 422
        assert any("total" in e["loc"] for e in refused.json()["errors"])
