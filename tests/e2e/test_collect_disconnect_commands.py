"""``m2c collect disconnect-* | reconnect-paid | disconnections | protect`` through the real
executable, with ``--json``: a clerk proposes the chronic non-payers (a medically protected account
is skipped), a cut before its steps is refused with exit code 3 and every reason, a supervisor
approves, the notices go out, the meter (the DL/T 645 control peer) is tripped, and after payment
``reconnect-paid`` closes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from cli_runner import run_m2c
from disconnection_bureau import ADDRESS, beijing, disconnection_bureau, pay
from dlt645_control_peer import CLOSED, TRIPPED, ControlPeer, control_peer
from meter2cash.platform.context import AppContext
from meter2cash.reading.dlt645.control import meter_password
from meter2cash.reading.dlt645.frame import address_bytes


@pytest.fixture(scope="module")
def peer() -> Iterator[ControlPeer]:
    server = control_peer(
        address_wire=address_bytes(ADDRESS), password=meter_password(level=2, code="123456").hex()
    )
    yield server
    server.stop()


def run_json(ctx: AppContext, *args: str, user: str, code: int = 0) -> Any:
    done = run_m2c(ctx, "collect", *args, "--json", user=user)
    assert done.returncode == code, done.stderr + done.stdout
    return json.loads(done.stdout)


def test_a_chronic_non_payer_is_proposed_approved_noticed_cut_and_reconnected_after_payment(
    ctx: AppContext, peer: ControlPeer
) -> None:
    peer.relay, peer.received = CLOSED, []
    disconnection_bureau(ctx, gateway_port=peer.server.port)
    protected = run_json(
        ctx, "protect", "A0002", "--reason", "medical", "--note", "家用制氧机", user="billing_clerk"
    )
    assert (protected["account_no"], protected["reason"], protected["cleared_at"]) == (
        "A0002",
        "medical",
        None,
    )

    run = run_json(ctx, "disconnect-propose", "--on", "2026-03-01", user="billing_clerk")
    assert [(c["account_no"], c["method"], c["planned_cut"]) for c in run["proposed"]] == [
        ("A0001", "remote", "2026-03-08T09:00:00+08:00"),
        ("A0003", "work_order", "2026-03-08T09:00:00+08:00"),
    ]
    assert {s["account_no"]: [r["code"] for r in s["reasons"]] for s in run["skipped"]} == {
        "A0002": ["medical"],
        "A0004": ["no_reminder"],
    }
    case = str(run["proposed"][0]["id"])

    early = run_json(ctx, "disconnect-execute", case, "--at", "2026-03-08T09:00", user="manager", code=3)
    assert early["error"] == "input_refused"
    assert {p["value"] for p in early["problems"]} >= {"wrong_order", "missing_steps"}
    assert peer.received == []
    denied = run_m2c(ctx, "collect", "disconnect-approve", case, "--json", user="billing_clerk")
    assert denied.returncode == 4

    approved = run_json(ctx, "disconnect-approve", case, "--at", "2026-03-01T10:00", user="manager")
    assert approved["state"] == "approved"
    noticed = run_json(ctx, "disconnect-notice", case, "--at", "2026-03-01T11:00", user="billing_clerk")
    assert [m["channel"] for m in noticed["messages"]] == ["letter"]
    final = run_json(ctx, "disconnect-final-notice", case, "--at", "2026-03-08T08:00", user="billing_clerk")
    assert final["state"] == "final_notice_sent"
    cut = run_json(ctx, "disconnect-execute", case, "--at", "2026-03-08T09:00", user="meter_reader")
    assert (cut["state"], cut["reply"]) == ("executed", "TRIP 9C")
    assert peer.relay == TRIPPED

    queue = run_json(ctx, "disconnections", "--state", "executed", user="cashier")
    assert [(c["id"], c["account_no"]) for c in queue] == [(int(case), "A0001")]

    pay(ctx, "A0001", at=beijing(8, 14))
    back = run_json(ctx, "reconnect-paid", "--at", "2026-03-08T14:05", user="meter_reader")
    assert [(c["id"], c["state"], c["reply"]) for c in back["reconnected"]] == [
        (int(case), "reconnected", "DIRECT_CLOSE 9C")
    ]
    assert peer.relay == CLOSED
    detail = run_json(ctx, "disconnections", "--case", case, user="cashier")
    assert [s["state"] for s in detail["steps"]][-2:] == ["reconnection_due", "reconnected"]
