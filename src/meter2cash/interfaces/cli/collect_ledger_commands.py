"""``m2c collect`` — the ledger and payments (docs/payments.md, docs/ledger.md):

- ``post``: post issued bills to the ledger;
- ``pay --account A --amount X [--channel counter --method cash] (--key K | --ref R)``: take a payment;
- ``account A``: what the account owes today, bill by bill with today's late fee, its statement;
- ``accrue --through DAY`` and ``close --period P``: month-end late fees and closing the month;
- ``reverse-request``, ``reverse-approve``, ``reverse-reject``, ``reversals``: 冲正 with approval;
- ``waive-request|waive-approve|waive-reject`` (违约金减免), ``write-off-request|…`` (坏账核销);
- ``trial-balance``: every ledger account's balance (they add up to zero).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import typer
from rich.table import Table

from meter2cash.collection import gl
from meter2cash.collection.account_views import account_view
from meter2cash.collection.adjustments import Kind, decide_adjustment, request_adjustment
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.month_end import accrue_month_end, close_month, post_issued_bills
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.collection.reversals import decide_reversal, pending_reversals, request_reversal
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import use_case
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, NotExact, exact
from meter2cash.platform.permissions import Action


def _amount(text: str) -> Decimal:
    try:
        return exact(text)
    except (BadAmount, NotExact):
        raise InputRefused(
            _("The amount must be a number of yuan, e.g. 120.50: {text}").format(text=text)
        ) from None


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputRefused(_("A day is written YYYY-MM-DD: {text}").format(text=text)) from None


def register(app: typer.Typer) -> None:
    app.command("post")(collect_post)
    app.command("pay")(collect_pay)
    app.command("account")(collect_account)
    app.command("accrue")(collect_accrue)
    app.command("close")(collect_close)
    app.command("reverse-request")(reverse_request)
    app.command("reverse-approve")(reverse_approve)
    app.command("reverse-reject")(reverse_reject)
    app.command("reversals")(reversals)
    for kind, name in ((Kind.WAIVER, "waive"), (Kind.WRITE_OFF, "write-off")):
        app.command(f"{name}-request")(_request_command(kind))
        app.command(f"{name}-approve")(_decide_command(kind, approve=True))
        app.command(f"{name}-reject")(_decide_command(kind, approve=False))
    app.command("trial-balance")(collect_trial_balance)
    from meter2cash.interfaces.cli.collect_kpi_command import collect_kpis

    app.command("kpis")(collect_kpis)


def collect_post(as_user: str | None = AsUser, as_json: bool = JsonFlag) -> None:
    """应收记账 Post every issued bill not yet in the ledger, then apply prepayment."""
    with cli_errors(as_json=as_json):
        report = post_issued_bills(context(), actor=as_user)
    if as_json:
        print_json(report.as_json())
        return
    console.print(
        _("Posted {bills} bills, {total} yuan; prepayment applied {applied} yuan").format(
            bills=report.bills, total=report.total, applied=report.prepayment_applied
        ),
        highlight=False,
    )


def collect_pay(
    account: str = typer.Option(..., "--account", help="户号 Account number."),
    amount: str = typer.Option(..., "--amount", help="元, exact, > 0."),
    channel: gl.Channel = typer.Option(gl.Channel.COUNTER, "--channel"),
    method: gl.Method = typer.Option(gl.Method.CASH, "--method"),
    source: str = typer.Option(
        "counter", "--source", help="Bank, agent or gateway code; counter at the counter."
    ),
    key: str | None = typer.Option(
        None, "--key", help="Idempotency key: a retry with it posts nothing twice."
    ),
    ref: str | None = typer.Option(None, "--ref", help="The channel's reference (bank or agent serial)."),
    paid_on: str | None = typer.Option(None, "--paid-on", help="YYYY-MM-DD; today by default."),
    payer: str | None = typer.Option(None, "--payer"),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """收费 Take a payment: late fees accrue to the payment day, the oldest debt is settled first."""
    ctx = context()
    with cli_errors(as_json=as_json):
        request = PaymentRequest(
            account_no=account,
            amount=_amount(amount),
            channel=channel,
            method=method,
            source=source,
            paid_on=_day(paid_on) or business_date(ctx.clock.now()),
            idempotency_key=key or (None if ref else f"cli-{uuid.uuid4()}"),
            channel_ref=ref,
            payer=payer,
        )
        result = take_payment(ctx, actor=as_user, request=request)
    if as_json:
        print_json(result.as_json())
        return
    if result.replayed:
        console.print(_("Already posted as payment {id}: nothing posted twice.").format(id=result.payment_id))
    else:
        console.print(
            _("Payment {id}: {amount} yuan from {account}, receipt {receipt}").format(
                id=result.payment_id,
                amount=result.amount,
                account=result.account_no,
                receipt=result.receipt_no or "-",
            ),
            highlight=False,
        )
        for part in result.applied:
            console.print(f"  {part['bill_no']} {part['kind']} {part['amount']}", highlight=False)
        if result.prepayment:
            console.print(_("  to prepayment {amount}").format(amount=result.prepayment), highlight=False)
    console.print(_("Owed now: {owed} yuan").format(owed=result.balance_after.get("owed")), highlight=False)


def collect_account(
    account: str = typer.Argument(..., help="户号 Account number."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """欠费查询 What the account owes today (with today's late fee), its statement and payments."""
    with cli_errors(as_json=as_json):
        view = account_view(context(), actor=as_user, account_no=account)
    if as_json:
        print_json(view.as_json())
        return
    console.print(f"{view.account_no} {view.customer_name} ({view.category}, {view.status})", highlight=False)
    table = Table(_("Bill"), _("Period"), _("Due"), _("Principal"), _("Late fee"), _("Total"))
    for row in view.bills:
        table.add_row(
            row["bill_no"], row["period"], row["due_on"], row["principal"], row["late_fee"], row["total"]
        )
    console.print(table)
    balance = view.balance
    console.print(
        _("Owed {owed} yuan (principal {principal}, late fees {fees}, prepayment {prepaid})").format(
            owed=balance.owed, principal=balance.principal, fees=balance.late_fees, prepaid=balance.prepayment
        ),
        highlight=False,
    )


def collect_accrue(
    through: str = typer.Option(..., "--through", help="YYYY-MM-DD, normally a month's last day."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """违约金计提 Accrue every overdue bill's late fee through a day."""
    with cli_errors(as_json=as_json):
        day = _day(through)
        assert day is not None
        report = accrue_month_end(context(), actor=as_user, through=day)
    if as_json:
        print_json(report.as_json())
        return
    console.print(
        _("Late fees accrued through {day}: {bills} bills, {total} yuan").format(
            day=report.through, bills=report.bills, total=report.total
        ),
        highlight=False,
    )


def collect_close(
    period: str = typer.Option(..., "--period", help="YYYY-MM"),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """收费月结 Accrue late fees through the month's end and close the collection month."""
    with cli_errors(as_json=as_json):
        report = close_month(context(), actor=as_user, period=period)
    if as_json:
        print_json({"period": period, "closed": True, **report.as_json()})
        return
    console.print(
        _("Closed {period}; late fees accrued {total} yuan").format(period=period, total=report.total)
    )


def reverse_request(
    payment: str = typer.Option(..., "--payment", help="Payment id or receipt number."),
    reason: str = typer.Option(..., "--reason"),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """冲正申请 Ask to reverse a payment received today (a supervisor approves)."""
    with cli_errors(as_json=as_json):
        view = request_reversal(context(), actor=as_user, payment=payment, reason=reason)
    _show(view.as_json(), as_json)


def reverse_approve(
    reversal_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """冲正审批 Approve a reversal: the payment's ledger transaction is posted back."""
    with cli_errors(as_json=as_json):
        view = decide_reversal(context(), actor=as_user, reversal_id=reversal_id, approve=True, note=reason)
    _show(view.as_json(), as_json)


def reverse_reject(
    reversal_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """冲正驳回 Refuse a reversal request."""
    with cli_errors(as_json=as_json):
        view = decide_reversal(context(), actor=as_user, reversal_id=reversal_id, approve=False, note=reason)
    _show(view.as_json(), as_json)


def reversals(as_user: str | None = AsUser, as_json: bool = JsonFlag) -> None:
    """待审冲正 Reversal requests waiting for a supervisor."""
    with cli_errors(as_json=as_json):
        rows = pending_reversals(context(), actor=as_user)
    if as_json:
        print_json([row.as_json() for row in rows])
        return
    for row in rows:
        console.print(f"{row.id} payment {row.payment_id} {row.requested_by}: {row.reason}", highlight=False)


def _request_command(kind: Kind):  # type: ignore[no-untyped-def]
    def command(
        bill: str = typer.Option(..., "--bill", help="Bill number YYYY-NNNNNN."),
        amount: str = typer.Option(..., "--amount"),
        reason: str = typer.Option(..., "--reason"),
        as_user: str | None = AsUser,
        as_json: bool = JsonFlag,
    ) -> None:
        with cli_errors(as_json=as_json):
            view = request_adjustment(
                context(), actor=as_user, kind=kind, bill_no=bill, amount=_amount(amount), reason=reason
            )
        _show(view.as_json(), as_json)

    command.__doc__ = (
        "违约金减免申请 Ask to waive a bill's late fee."
        if kind is Kind.WAIVER
        else "坏账核销申请 Ask to write off a bill's principal as bad debt."
    )
    return command


def _decide_command(kind: Kind, *, approve: bool):  # type: ignore[no-untyped-def]
    def command(
        request_id: int = typer.Argument(...),
        reason: str = typer.Option(..., "--reason"),
        as_user: str | None = AsUser,
        as_json: bool = JsonFlag,
    ) -> None:
        with cli_errors(as_json=as_json):
            view = decide_adjustment(
                context(), actor=as_user, kind=kind, request_id=request_id, approve=approve, note=reason
            )
        _show(view.as_json(), as_json)

    command.__doc__ = (
        "审批通过 Approve" if approve else "驳回 Refuse"
    ) + f" a {kind.value} request (supervisor)."
    return command


def collect_trial_balance(as_user: str | None = AsUser, as_json: bool = JsonFlag) -> None:
    """试算平衡 Every ledger account's balance; they add up to zero."""
    ctx = context()
    with (
        cli_errors(as_json=as_json),
        use_case(ctx, actor=as_user, action=Action.LEDGER_READ) as (session, _who),
    ):
        balances = trial_balance(session)
    total = sum(balances.values(), Decimal("0.00"))
    if as_json:
        print_json(
            {"accounts": {code: str(amount) for code, amount in balances.items()}, "total": str(total)}
        )
        return
    table = Table(_("Ledger account"), _("Balance"))
    for code, amount in balances.items():
        table.add_row(code, str(amount))
    table.add_row(_("Total"), str(total))
    console.print(table)


def _show(data: dict[str, object], as_json: bool) -> None:
    if as_json:
        print_json(data)
    else:
        console.print(", ".join(f"{key}={value}" for key, value in data.items()), highlight=False)
