"""The disconnection queue (停复电队列) with the test client: the queue shows the proposed cases by
state with account, arrears, days overdue, planned cut and method; a supervisor who did not
propose a case approves it; a billing clerk sees no approve button and is refused; a refused step
shows the rules' reasons in Chinese and writes nothing."""

from __future__ import annotations

from sqlalchemy import select

from disconnection_bureau import APPROVED_AT, PROPOSE_DAY, disconnection_bureau, set_clock
from meter2cash.collection.disconnection_model import DisconnectionStepRow
from meter2cash.collection.disconnection_service import propose_disconnections
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from web_client import staff_client


def prepared(ctx: AppContext) -> int:
    disconnection_bureau(ctx)
    run = propose_disconnections(ctx, actor="billing_clerk", on=PROPOSE_DAY)
    set_clock(ctx, APPROVED_AT)
    return int(run.proposed[0]["id"])


def steps(ctx: AppContext, case_id: int) -> list[str]:
    with unit_of_work(ctx.sessions) as session:
        return list(
            session.scalars(
                select(DisconnectionStepRow.state)
                .where(DisconnectionStepRow.case_id == case_id)
                .order_by(DisconnectionStepRow.id)
            )
        )


def test_the_queue_shows_the_proposed_cases_and_a_supervisor_approves_one(ctx: AppContext) -> None:
    case_id = prepared(ctx)
    client = staff_client(ctx, "manager")
    queue = client.get("/disconnections")
    assert queue.status_code == 200
    assert "停复电" in queue.text and "待审批" in queue.text
    assert "A0001" in queue.text and "120.00" in queue.text and "2026-03-08 09:00" in queue.text
    assert "现场工单" in queue.text  # no meter has a gateway here: field work orders
    assert f'action="/disconnections/{case_id}/approve"' in queue.text
    approved = client.post(f"/disconnections/{case_id}/approve", follow_redirects=False)
    assert approved.status_code == 303, approved.text
    page = client.get(approved.headers["location"])
    assert "已批准" in page.text and "送达停电通知书" in page.text
    assert steps(ctx, case_id) == ["proposed", "approved"]


def test_a_clerk_sees_no_approve_button_and_is_refused(ctx: AppContext) -> None:
    case_id = prepared(ctx)
    client = staff_client(ctx, "billing_clerk")
    queue = client.get("/disconnections")
    assert queue.status_code == 200 and "A0001" in queue.text
    assert "/approve" not in queue.text
    refused = client.post(f"/disconnections/{case_id}/approve", follow_redirects=False)
    assert refused.status_code == 403
    assert steps(ctx, case_id) == ["proposed"]


def test_a_refused_step_shows_the_reasons_in_chinese_and_writes_nothing(ctx: AppContext) -> None:
    case_id = prepared(ctx)
    client = staff_client(ctx, "manager")
    refused = client.post(f"/disconnections/{case_id}/execute", follow_redirects=False)
    assert refused.status_code == 422
    assert "停电缺少以下步骤" in refused.text and "未写入任何数据" in refused.text
    assert steps(ctx, case_id) == ["proposed"]
