"""Lawful disconnection and reconnection (停复电) on SQLite and PostgreSQL, against the DL/T 645
control peer over real TCP: the lawful path trips the meter and a payment closes it; a cut without
its steps is refused by the service and by the database; four eyes; protected and unreminded
accounts are not proposed; a payment before the cut cancels the case; a meter without remote
control is cut and reconnected by field work orders; every step is audited."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from disconnection_bureau import (
    ADDRESS,
    APPROVED_AT,
    CUT_AT,
    FINAL_AT,
    NOTICE_AT,
    PROPOSE_DAY,
    audit_actions,
    beijing,
    disconnection_bureau,
    pay,
    set_clock,
)
from dlt645_control_peer import CLOSED, TRIPPED, ControlPeer, control_peer
from meter2cash.collection.disconnection_model import DisconnectionCaseRow, DisconnectionStepRow
from meter2cash.collection.disconnection_service import (
    CaseRefused,
    CutFailed,
    approve_case,
    case_detail,
    confirm_work_order,
    disconnection_queue,
    execute_cut,
    propose_disconnections,
    reconnect_paid,
    send_final_notice,
    serve_notice,
    set_protection,
)
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.i18n import use_lang
from meter2cash.platform.outbox_model import OutboxMessage
from meter2cash.platform.users import PermissionDenied
from meter2cash.reading.dlt645.control import meter_password
from meter2cash.reading.dlt645.frame import address_bytes
from meter2cash.reading.dlt645.link import LinkSettings
from meter2cash.registry.model import Account
from prepaid_bureau import meter_gateway


@pytest.fixture(scope="module")
def peer() -> Iterator[ControlPeer]:
    server = control_peer(
        address_wire=address_bytes(ADDRESS), password=meter_password(level=2, code="123456").hex()
    )
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _english(peer: ControlPeer) -> Iterator[None]:
    peer.relay, peer.received = CLOSED, []
    with use_lang("en"):
        yield


@pytest.fixture
def bureau(ctx: AppContext, peer: ControlPeer) -> AppContext:
    return disconnection_bureau(ctx, gateway_port=peer.server.port)


def proposed(ctx: AppContext) -> dict[str, int]:
    run = propose_disconnections(ctx, actor="billing_clerk", on=PROPOSE_DAY)
    return {case["account_no"]: case["id"] for case in run.proposed}


def through_final_notice(ctx: AppContext, case_id: int) -> None:
    set_clock(ctx, APPROVED_AT)
    approve_case(ctx, actor="manager", case_id=case_id, at=APPROVED_AT)
    set_clock(ctx, NOTICE_AT)
    serve_notice(ctx, actor="billing_clerk", case_id=case_id, at=NOTICE_AT)
    set_clock(ctx, FINAL_AT)
    send_final_notice(ctx, actor="billing_clerk", case_id=case_id, at=FINAL_AT)


def steps(ctx: AppContext, case_id: int) -> list[str]:
    with unit_of_work(ctx.sessions) as session:
        return list(
            session.scalars(
                select(DisconnectionStepRow.state)
                .where(DisconnectionStepRow.case_id == case_id)
                .order_by(DisconnectionStepRow.id)
            )
        )


def codes(refused: pytest.ExceptionInfo[CaseRefused]) -> set[str]:
    return {r.code for r in refused.value.reasons}


def test_the_lawful_path_trips_the_meter_and_after_payment_closes_it_every_step_audited(
    bureau: AppContext, peer: ControlPeer
) -> None:
    case_id = proposed(bureau)["A0001"]
    through_final_notice(bureau, case_id)
    set_clock(bureau, CUT_AT)
    cut = execute_cut(bureau, actor="meter_reader", case_id=case_id, at=CUT_AT)
    assert cut["state"] == "executed" and cut["reply"] == "TRIP 9C"
    assert peer.relay == TRIPPED
    paid_at = beijing(8, 14)
    pay(bureau, "A0001", at=paid_at)
    run = reconnect_paid(bureau, actor="meter_reader", at=paid_at + timedelta(minutes=5))
    assert [c["id"] for c in run.reconnected] == [case_id] and run.failed == [] and run.overdue == []
    assert run.reconnected[0]["reconnect_by"] == "2026-03-09T14:00:00+08:00"  # 24 h from the payment
    assert peer.relay == CLOSED
    states = ["proposed", "approved", "notice_sent", "final_notice_sent", "executed"]
    assert steps(bureau, case_id) == [*states, "reconnection_due", "reconnected"]
    assert audit_actions(bureau, case_id) == [
        f"disconnect.{s}" for s in [*states, "reconnection_due", "reconnected"]
    ]
    with unit_of_work(bureau.sessions) as session:
        letters = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "disconnection_notice")
        ).all()
        assert [m.channel for m in letters] == ["letter"]
        assert "停电通知书" in letters[0].subject and "120.00" in letters[0].body
        assert session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.purpose == "disconnection_final")
        )


def test_a_cut_without_approval_and_notices_is_refused_and_nothing_is_written(
    bureau: AppContext, peer: ControlPeer
) -> None:
    case_id = proposed(bureau)["A0001"]
    set_clock(bureau, CUT_AT)
    with pytest.raises(CaseRefused) as refused:
        execute_cut(bureau, actor="manager", case_id=case_id, at=CUT_AT)
    assert {"wrong_order", "missing_steps"} <= codes(refused)
    assert peer.relay == CLOSED and peer.received == []
    assert steps(bureau, case_id) == ["proposed"]
    set_clock(bureau, APPROVED_AT)
    approve_case(bureau, actor="manager", case_id=case_id, at=APPROVED_AT)
    with pytest.raises(CaseRefused) as early:  # the notice skipped: wrong order, and not yet the time
        execute_cut(bureau, actor="manager", case_id=case_id, at=APPROVED_AT)
    assert "before_planned_cut" in codes(early)
    assert steps(bureau, case_id) == ["proposed", "approved"] and peer.received == []


def test_the_database_refuses_an_executed_step_without_the_steps_before_it(bureau: AppContext) -> None:
    case_id = proposed(bureau)["A0001"]
    insert = text(
        "INSERT INTO disconnection_step (case_id, state, at, actor) VALUES (:case, 'executed', :at, 'x')"
    )
    with pytest.raises((IntegrityError, DBAPIError)) as refused, unit_of_work(bureau.sessions) as session:
        session.execute(insert, {"case": case_id, "at": CUT_AT})
    assert "disconnection_cut_without_steps" in str(refused.value)
    with pytest.raises((IntegrityError, DBAPIError)), unit_of_work(bureau.sessions) as session:
        session.execute(update(DisconnectionCaseRow).values(state="executed"))
    assert steps(bureau, case_id) == ["proposed"]


def test_the_proposer_may_not_approve_and_a_clerk_may_not_approve_at_all(bureau: AppContext) -> None:
    case_id = propose_disconnections(bureau, actor="manager", on=PROPOSE_DAY).proposed[0]["id"]
    set_clock(bureau, APPROVED_AT)
    with pytest.raises(CaseRefused) as refused:
        approve_case(bureau, actor="manager", case_id=case_id, at=APPROVED_AT)
    assert codes(refused) == {"self_approval"}
    with pytest.raises(PermissionDenied):
        approve_case(bureau, actor="billing_clerk", case_id=case_id, at=APPROVED_AT)
    assert approve_case(bureau, actor="admin", case_id=case_id, at=APPROVED_AT)["state"] == "approved"


def test_protected_important_and_unreminded_accounts_are_not_proposed(bureau: AppContext) -> None:
    set_protection(bureau, actor="billing_clerk", account_no="A0002", reason="medical", note="home oxygen")
    with unit_of_work(bureau.sessions) as session:
        session.execute(update(Account).where(Account.account_no == "A0003").values(important=True))
    run = propose_disconnections(bureau, actor="billing_clerk", on=PROPOSE_DAY)
    assert [c["account_no"] for c in run.proposed] == ["A0001"]
    skipped = {s["account_no"]: [r["code"] for r in s["reasons"]] for s in run.skipped}
    assert skipped == {"A0002": ["medical"], "A0003": ["important"], "A0004": ["no_reminder"]}
    again = propose_disconnections(bureau, actor="billing_clerk", on=PROPOSE_DAY)
    assert (
        again.proposed == []
        and {"A0001": ["open_case"]}.items()
        <= {s["account_no"]: [r["code"] for r in s["reasons"]] for s in again.skipped}.items()
    )


def test_a_payment_before_the_cut_cancels_the_case_and_the_meter_is_never_tripped(
    bureau: AppContext, peer: ControlPeer
) -> None:
    case_id = proposed(bureau)["A0001"]
    through_final_notice(bureau, case_id)
    pay(bureau, "A0001", at=beijing(8, 8, 30))
    set_clock(bureau, CUT_AT)
    with pytest.raises(CaseRefused) as refused:
        execute_cut(bureau, actor="manager", case_id=case_id, at=CUT_AT)
    assert "below_minimum" in codes(refused)
    run = reconnect_paid(bureau, actor="manager", at=CUT_AT)
    assert [c["id"] for c in run.cancelled] == [case_id]
    assert steps(bureau, case_id)[-1] == "cancelled" and peer.received == []


def test_a_meter_without_remote_control_is_cut_and_reconnected_by_work_orders(
    bureau: AppContext, peer: ControlPeer
) -> None:
    case_id = proposed(bureau)["A0002"]
    through_final_notice(bureau, case_id)
    set_clock(bureau, CUT_AT)
    order = execute_cut(bureau, actor="meter_reader", case_id=case_id, at=CUT_AT)
    assert order["method"] == "work_order" and order["state"] == "final_notice_sent"
    assert order["work_order_no"] == f"TD20260308-{case_id:06d}"
    done = confirm_work_order(
        bureau, actor="meter_reader", case_id=case_id, at=beijing(8, 10), done_by="张师傅"
    )
    assert done["state"] == "executed"
    pay(bureau, "A0002", at=beijing(9, 9))
    run = reconnect_paid(bureau, actor="meter_reader", at=beijing(9, 9, 5))
    assert [c["reconnect_order_no"] for c in run.work_orders] == [f"FD20260309-{case_id:06d}"]
    back = confirm_work_order(
        bureau, actor="meter_reader", case_id=case_id, at=beijing(9, 12), done_by="张师傅"
    )
    assert back["state"] == "reconnected" and peer.received == []
    assert "disconnect.work_order" in audit_actions(bureau, case_id)


def test_a_meter_that_does_not_answer_is_not_recorded_as_cut(bureau: AppContext) -> None:
    case_id = proposed(bureau)["A0001"]
    through_final_notice(bureau, case_id)
    meter_gateway(bureau, meter_no="M0001", address=ADDRESS, host="127.0.0.1", port=9)  # nobody there
    set_clock(bureau, CUT_AT)
    with pytest.raises(CutFailed) as failed:
        execute_cut(
            bureau,
            actor="manager",
            case_id=case_id,
            at=CUT_AT,
            link=LinkSettings(connect_timeout=0.5, reply_timeout=0.5),
        )
    assert failed.value.command == "TRIP" and failed.value.error
    assert steps(bureau, case_id)[-1] == "final_notice_sent"
    assert audit_actions(bureau, case_id)[-1] == "disconnect.control_failed"


def test_the_queue_and_the_case_say_what_comes_next(bureau: AppContext) -> None:
    case_id = proposed(bureau)["A0001"]
    queue = disconnection_queue(bureau, actor="billing_clerk")
    first = queue[0]
    assert (first["id"], first["state"], first["days_overdue"], first["arrears_now"]) == (
        case_id,
        "proposed",
        50,
        "120.00",
    )
    detail = case_detail(bureau, actor="billing_clerk", case_id=case_id)
    assert [r["code"] for r in detail["checks"]["approved"]] == ["self_approval", "not_supervisor"]
    assert detail["checks"]["cancelled"] == []


def test_the_cut_is_sent_even_when_called_from_inside_an_event_loop(
    bureau: AppContext, peer: ControlPeer
) -> None:
    case_id = proposed(bureau)["A0001"]
    through_final_notice(bureau, case_id)
    set_clock(bureau, CUT_AT)

    async def cut() -> dict[str, object]:
        return execute_cut(bureau, actor="manager", case_id=case_id, at=CUT_AT)

    assert asyncio.run(cut())["reply"] == "TRIP 9C"
    assert peer.relay == TRIPPED
