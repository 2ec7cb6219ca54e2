"""``m2c collect`` — lawful disconnection and reconnection (停复电), docs/dunning-disconnection.md:

- ``disconnect-propose [--on DAY] [--cut-on DAY]``: propose a case for every eligible account;
- ``disconnect-approve CASE``: approve it (a supervisor who did not propose it);
- ``disconnect-notice CASE``: serve the written notice (停电通知书) through the outbox;
- ``disconnect-final-notice CASE``: the last notice before the cut;
- ``disconnect-execute CASE``: trip the meter (DL/T 645 1CH), or issue the field work order;
- ``disconnect-confirm CASE --done-by NAME``: the field crew did the work order (cut or reconnection);
- ``disconnect-cancel CASE --note TEXT``: cancel a case before the cut;
- ``reconnect-paid``: cancel or reconnect every case whose arrears are paid;
- ``disconnect-cycle``: the daily job (final notices due, then reconnect-paid);
- ``disconnections [--state S]… [--case ID]``: the queue, or one case with its steps;
- ``protect ACCOUNT --reason medical|social --note TEXT [--clear]``: set or clear a protection.

Every command takes ``--as USER`` and ``--json``; ``--at`` is the step's time (Beijing time unless a
zone is given; now by default). A refused step names every reason and writes nothing (exit 3).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer
from rich.table import Table

from meter2cash.collection.disconnection_rules import CaseState
from meter2cash.collection.disconnection_service import (
    STATE_LABELS,
    approve_case,
    cancel_case,
    case_detail,
    clear_protection,
    confirm_work_order,
    disconnection_queue,
    execute_cut,
    propose_disconnections,
    reconnect_paid,
    run_disconnection_cycle,
    send_final_notice,
    serve_notice,
    set_protection,
)
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _


def register(app: typer.Typer) -> None:
    app.command("disconnect-propose")(disconnect_propose)
    app.command("disconnect-approve")(disconnect_approve)
    app.command("disconnect-notice")(disconnect_notice)
    app.command("disconnect-final-notice")(disconnect_final_notice)
    app.command("disconnect-execute")(disconnect_execute)
    app.command("disconnect-confirm")(disconnect_confirm)
    app.command("disconnect-cancel")(disconnect_cancel)
    app.command("reconnect-paid")(reconnect_paid_command)
    app.command("disconnect-cycle")(disconnect_cycle)
    app.command("disconnections")(disconnections)
    app.command("protect")(protect)


CaseArg = typer.Argument(..., help="The case's id (m2c collect disconnections).")
AtOption = typer.Option(
    None,
    "--at",
    help="The step's time, e.g. 2026-03-08T09:00 (Beijing time unless a zone is given); now by default.",
)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputRefused(_("A day is written YYYY-MM-DD: {text}").format(text=text)) from None


def _at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputRefused(_("A time is written YYYY-MM-DDTHH:MM: {text}").format(text=text)) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BUSINESS_TZ)


def _state(code: str) -> str:
    return _(STATE_LABELS[CaseState(code)])


def _show_case(case: dict[str, Any]) -> None:
    console.print(
        _(
            "Case {id} {account_no}: {state}; cut planned {cut} ({method}), {arrears} yuan overdue "
            "since {due}"
        ).format(
            id=case["id"],
            account_no=case["account_no"],
            state=_state(case["state"]),
            cut=case["planned_cut"],
            method=case["method"],
            arrears=case["arrears"],
            due=case["oldest_due_date"],
        ),
        highlight=False,
    )
    for key, label in (
        ("work_order_no", _("Work order")),
        ("reconnect_order_no", _("Reconnection work order")),
    ):
        if case.get(key):
            console.print(f"  {label}: {case[key]}", highlight=False)
    if case.get("reply"):
        console.print(f"  {_('Meter reply')}: {case['reply']}", highlight=False)


def _print(case: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(case)
    else:
        _show_case(case)


def disconnect_propose(
    on: str | None = typer.Option(
        None, "--on", help="YYYY-MM-DD: the day of the proposal; today by default."
    ),
    cut_on: str | None = typer.Option(
        None,
        "--cut-on",
        help="YYYY-MM-DD: the day of the cut (09:00); notice_lead_days after --on by default.",
    ),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """停电建议 Propose a disconnection for every eligible account (over 30 days overdue, reminded,
    not protected)."""
    with cli_errors(as_json=as_json):
        run = propose_disconnections(context(), actor=as_user, on=_day(on), cut_on=_day(cut_on))
    if as_json:
        print_json(run.as_json())
        return
    console.print(
        _("{count} disconnections proposed on {day}; {skipped} accounts skipped").format(
            count=len(run.proposed), day=run.on.isoformat(), skipped=len(run.skipped)
        ),
        highlight=False,
    )
    for case in run.proposed:
        _show_case(case)
    for skipped in run.skipped:
        reasons = "; ".join(r["text"] for r in skipped["reasons"])
        console.print(f"  {skipped['account_no']}: {reasons}", highlight=False)


def disconnect_approve(
    case: int = CaseArg, at: str | None = AtOption, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """批准停电 Approve a case (a supervisor who did not propose it)."""
    with cli_errors(as_json=as_json):
        done = approve_case(context(), actor=as_user, case_id=case, at=_at(at))
    _print(done, as_json)


def disconnect_notice(
    case: int = CaseArg, at: str | None = AtOption, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """停电通知书 Serve the written notice of an approved case (3–7 days before the cut)."""
    with cli_errors(as_json=as_json):
        done = serve_notice(context(), actor=as_user, case_id=case, at=_at(at))
    _print(done, as_json)


def disconnect_final_notice(
    case: int = CaseArg, at: str | None = AtOption, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """再次通知 Send the last notice before the cut (30 minutes to 24 hours before it)."""
    with cli_errors(as_json=as_json):
        done = send_final_notice(context(), actor=as_user, case_id=case, at=_at(at))
    _print(done, as_json)


def disconnect_execute(
    case: int = CaseArg, at: str | None = AtOption, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """停电 Trip the meter by DL/T 645 1CH, or issue the field work order for a meter without remote
    control."""
    with cli_errors(as_json=as_json):
        done = execute_cut(context(), actor=as_user, case_id=case, at=_at(at))
    _print(done, as_json)


def disconnect_confirm(
    case: int = CaseArg,
    done_by: str = typer.Option(..., "--done-by", help="Who did the work order in the field."),
    at: str | None = AtOption,
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """工单回填 The field crew did the work order: record the cut or the reconnection."""
    with cli_errors(as_json=as_json):
        done = confirm_work_order(context(), actor=as_user, case_id=case, done_by=done_by, at=_at(at))
    _print(done, as_json)


def disconnect_cancel(
    case: int = CaseArg,
    note: str = typer.Option(..., "--note", help="Why the case is cancelled."),
    at: str | None = AtOption,
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """撤销停电 Cancel a case before the cut."""
    with cli_errors(as_json=as_json):
        done = cancel_case(context(), actor=as_user, case_id=case, note=note, at=_at(at))
    _print(done, as_json)


def reconnect_paid_command(
    at: str | None = AtOption, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """复电 Cancel or reconnect every case whose arrears are paid; list overdue reconnections."""
    with cli_errors(as_json=as_json):
        run = reconnect_paid(context(), actor=as_user, at=_at(at))
    if as_json:
        print_json(run.as_json())
        return
    console.print(
        _(
            "{cancelled} cases cancelled, {reconnected} reconnected, {orders} reconnection work orders, "
            "{failed} failed"
        ).format(
            cancelled=len(run.cancelled),
            reconnected=len(run.reconnected),
            orders=len(run.work_orders),
            failed=len(run.failed),
        ),
        highlight=False,
    )
    for failed in run.failed:
        console.print(f"  {failed['id']} {failed['command']}: {failed['error']}", highlight=False)
    for late in run.overdue:
        console.print(
            "  "
            + _("Case {id} {account_no}: reconnection overdue since {by}").format(
                id=late["id"], account_no=late["account_no"], by=late["reconnect_by"]
            ),
            highlight=False,
        )


def disconnect_cycle(
    at: str | None = AtOption, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """停复电日处理 The daily job: the final notices now due, then reconnect-paid."""
    with cli_errors(as_json=as_json):
        result = run_disconnection_cycle(context(), actor=as_user, at=_at(at))
    if as_json:
        print_json(result)
        return
    reconnection = result["reconnection"]
    console.print(
        _("{finals} final notices sent, {reconnected} reconnected, {cancelled} cancelled").format(
            finals=len(result["final_notices"]),
            reconnected=len(reconnection["reconnected"]),
            cancelled=len(reconnection["cancelled"]),
        ),
        highlight=False,
    )


def disconnections(
    state: list[str] | None = typer.Option(
        None, "--state", help="Only cases in this state (repeat for more)."
    ),
    case: int | None = typer.Option(None, "--case", help="Show this case with its steps."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """停复电队列 The open disconnection cases, or one case with its steps."""
    ctx = context()
    with cli_errors(as_json=as_json):
        if case is not None:
            detail = case_detail(ctx, actor=as_user, case_id=case)
            if as_json:
                print_json(detail)
                return
            _show_case(detail)
            for step in detail["steps"]:
                console.print(f"  {step['at']} {_state(step['state'])} · {step['by']}", highlight=False)
            return
        queue = disconnection_queue(ctx, actor=as_user, states=state or None)
    if as_json:
        print_json(queue)
        return
    table = Table(
        _("Case"), _("Account"), _("State"), _("Arrears"), _("Days overdue"), _("Planned cut"), _("Method")
    )
    for row in queue:
        table.add_row(
            str(row["id"]),
            row["account_no"],
            _state(row["state"]),
            row["arrears_now"],
            str(row["days_overdue"]),
            row["planned_cut"],
            row["method"],
        )
    console.print(table)


def protect(
    account: str = typer.Argument(..., help="The account number (户号)."),
    reason: str = typer.Option(..., "--reason", help="medical or social."),
    note: str = typer.Option(..., "--note", help="Why (the certificate, the case worker …)."),
    clear: bool = typer.Option(False, "--clear", help="End the protection instead."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """停电保护 Protect an account from disconnection for medical or social reasons (or end it)."""
    ctx = context()
    with cli_errors(as_json=as_json):
        if clear:
            view = clear_protection(ctx, actor=as_user, account_no=account, reason=reason, note=note)
        else:
            view = set_protection(ctx, actor=as_user, account_no=account, reason=reason, note=note)
    if as_json:
        print_json(view)
        return
    template = (
        _("{account_no}: {reason} protection ended") if clear else _("{account_no}: protected ({reason})")
    )
    console.print(template.format(account_no=account, reason=reason), highlight=False)
