"""``m2c bill review | queue | approve | reject | issue | kpis``: bill review (量费审核), issue (发行)
and the billing KPIs. Each command parses, calls one service, renders; ``--json`` prints the
service's ``as_json`` (docs/review-and-issue.md)."""

from __future__ import annotations

from collections import defaultdict

import typer
from rich.table import Table

from meter2cash.billing.bill_kpis import bill_kpis
from meter2cash.billing.issue import issue_bills
from meter2cash.billing.review import QueuedBill, decide_bill, review_bills, review_queue
from meter2cash.billing.review_wording import title
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.codes import ZH_NAMES

Period = typer.Option(..., "--period", help="Billing period YYYY-MM.")
Reason = typer.Option(..., "--reason", help="Why (required; kept in the audit trail).")


def bill_review(
    period: str = Period,
    route_book: str | None = typer.Option(
        None, "--route-book", help="One route book (抄表段); all when omitted."
    ),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """量费审核 Run the review rules on the period's draft bills: clean ones are approved, the rest
    flagged for a reviewer."""
    with cli_errors(as_json=as_json):
        report = review_bills(context(), actor=as_user, period=period, route_book=route_book)
    if as_json:
        print_json(report.as_json())
        return
    console.print(
        _(
            "Review of {period} ({scope}): {reviewed} draft bills, {approved} approved automatically, "
            "{flagged} flagged for a reviewer"
        ).format(
            period=report.period,
            scope=report.scope,
            reviewed=report.reviewed,
            approved=report.approved,
            flagged=report.flagged,
        ),
        highlight=False,
    )
    for code, count in report.flagged_by_code.items():
        console.print(f"  {code} {title(code)}: {count}", highlight=False)


def bill_queue(
    period: str | None = typer.Option(None, "--period", help="Only this billing period YYYY-MM."),
    route_book: str | None = typer.Option(None, "--route-book", help="Only this route book (抄表段)."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """审核队列 The flagged bills waiting for a reviewer, by route book, with the reasons."""
    with cli_errors(as_json=as_json):
        items = review_queue(context(), actor=as_user, period=period, route_book=route_book)
    if as_json:
        print_json([item.as_json() for item in items])
        return
    by_book: dict[str, list[QueuedBill]] = defaultdict(list)
    for item in items:
        by_book[item.route_book].append(item)
    for book, bills in by_book.items():
        table = Table(
            _("Bill"),
            _("Account"),
            _("Period"),
            _("Class"),
            "kWh",
            _("Amount (yuan)"),
            _("Reasons"),
            title=_("Review queue of route book {book}: {count} bills").format(book=book, count=len(bills)),
        )
        for item in bills:
            table.add_row(
                str(item.bill_id),
                item.account_no,
                item.period,
                ZH_NAMES.get(item.category, item.category),
                item.kwh,
                item.total,
                "\n".join(f"{f['code']} {f['reason']}" for f in item.findings),
            )
        console.print(table)
    console.print(_("{count} bills wait for review").format(count=len(items)), highlight=False)


def bill_approve(
    bill_id: int = typer.Argument(..., help="The bill's id (see m2c bill queue)."),
    reason: str = Reason,
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """审核通过 Approve a flagged bill (not by the person who ran its calculation)."""
    with cli_errors(as_json=as_json):
        decision = decide_bill(context(), actor=as_user, bill_id=bill_id, approve=True, reason=reason)
    if as_json:
        print_json(decision.as_json())
        return
    console.print(_("Bill {bill} approved").format(bill=decision.bill_id), highlight=False)


def bill_reject(
    bill_id: int = typer.Argument(..., help="The bill's id (see m2c bill queue)."),
    reason: str = Reason,
    back_to: str = typer.Option(
        "billing",
        "--back-to",
        help="reading: open a reading exception for the meter; billing: wait for bill run --reprice.",
    ),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """审核退回 Reject a flagged bill back to reading or billing, with a reason."""
    with cli_errors(as_json=as_json):
        decision = decide_bill(
            context(), actor=as_user, bill_id=bill_id, approve=False, reason=reason, back_to=back_to
        )
    if as_json:
        print_json(decision.as_json())
        return
    if decision.reading_exception_id is not None:
        console.print(
            _("Bill {bill} rejected back to reading: reading exception {exception} opened").format(
                bill=decision.bill_id, exception=decision.reading_exception_id
            ),
            highlight=False,
        )
    else:
        console.print(
            _("Bill {bill} rejected back to billing: price it again with m2c bill run --reprice").format(
                bill=decision.bill_id
            ),
            highlight=False,
        )


def bill_issue(
    period: str = Period,
    route_book: str = typer.Option(..., "--route-book", help="The route book (抄表段) to issue."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """电费发行 Issue the route book's approved bills: numbers, due dates, receivables; then immutable."""
    with cli_errors(as_json=as_json):
        report = issue_bills(context(), actor=as_user, period=period, route_book=route_book)
    if as_json:
        print_json(report.as_json())
        return
    if report.issued:
        console.print(
            _(
                "Issued {count} bills of route book {book} for {period}: {first} … {last}, total {total} yuan"
            ).format(
                count=report.issued,
                book=report.route_book,
                period=report.period,
                first=report.first_no,
                last=report.last_no,
                total=report.total,
            ),
            highlight=False,
        )
    else:
        console.print(
            _(
                "Nothing new to issue: {count} bills of route book {book} for {period} were issued before"
            ).format(count=report.already_issued, book=report.route_book, period=report.period),
            highlight=False,
        )
    for state, count in report.not_issued.items():
        console.print(_("  not issued: {count} {state}").format(count=count, state=state), highlight=False)


def bill_kpis_command(
    period: str = Period,
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """核算指标 Review rejection rate, flagged share by code, on-time issue rate, corrections."""
    with cli_errors(as_json=as_json):
        kpis = bill_kpis(context(), actor=as_user, period=period)
    data = kpis.as_json()
    if as_json:
        print_json(data)
        return
    review = data["review"]
    issue = data["issue"]
    assert isinstance(review, dict) and isinstance(issue, dict)
    table = Table(_("KPI"), _("Value"), title=_("Billing KPIs of {period}").format(period=period))
    table.add_row(_("Bills"), str(kpis.bills))
    table.add_row(_("Bills by state"), ", ".join(f"{s} {n}" for s, n in kpis.by_state.items()))
    table.add_row(_("Approved automatically"), str(kpis.auto_approved))
    table.add_row(_("Flagged share"), _pct(review["flagged_share_pct"]))
    for code, share in review["flagged_share_by_code_pct"].items():
        table.add_row(f"  {code} {title(code)}", _pct(share))
    table.add_row(
        _("Review rejection rate"), f"{_pct(review['rejection_rate_pct'])} ({kpis.rejected}/{kpis.decisions})"
    )
    table.add_row(
        _("On-time issue rate"),
        f"{_pct(issue['on_time_issue_rate_pct'])} ({kpis.issued_on_time}/{kpis.bills}, "
        + _("within {days} days of the reading day").format(days=kpis.on_time_days_after_reading)
        + ")",
    )
    corrections = kpis.corrections
    table.add_row(
        _("Billing error rate"),
        f"{_pct(corrections['billing_error_rate_pct'])} ({corrections['corrected_bills']}/{kpis.issued})",
    )
    for reason, row in corrections["by_reason"].items():
        table.add_row(
            f"  {_('Corrections')} {reason}",
            _("{count} corrections, {amount} yuan").format(count=row["corrections"], amount=row["amount"]),
        )
    console.print(table)


def _pct(value: object) -> str:
    return "-" if value is None else f"{value}%"
