"""Collection KPIs (收费指标) on SQLite and PostgreSQL, from one story told through the real services:
bills issued, some paid on time, one late, one in part, one written off, old arrears aged, a late
fee waived, a payment reversed — and the exact figures of three periods.

The story (today 2026-03-01; residential, 1‰ a day):

- 2026-01 bills issued 01-26, due 02-10: A0001 100.00, A0002 200.00, A0003 300.00, A0004 400.00;
  A0005's old bills: 2024-12 80.00 (due 2025-01-10), 2025-06 500.00 (due 2025-07-10),
  2025-10 70.00 (due 2025-11-10), 2025-12 60.00 (due 2026-01-05); all posted.
- 02-05 A0001 pays 100.00 at the counter; 02-08 A0003 pays 120.00 through WeChat (代收).
- Late fees accrued through 02-28: A0002 3.60, A0003 3.24, A0004 7.20, A0005 3.24 + 7.70 + 116.50
  + 33.12 = 174.60.
- 2026-02 bills issued 02-23, due 03-10: A0001 150.00, A0003 90.00.
- 03-01: A0002 pays 203.80 (a further 0.20 fee; 3.80 fee + 200.00), A0001 pays 150.00, A0003 pays
  10.00 (a further 0.18 fee; 3.42 fee + 6.58) and a supervisor reverses it; A0005's 2024-12 late
  fee 33.12 is waived; A0004's 400.00 is written off; A0002's 2026-03 bill of 55.00 is issued and
  not yet posted.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from archive_factory import small_archive
from kpi_bureau import issue_bill as issue
from meter2cash.collection import gl
from meter2cash.collection.adjustments import Kind, decide_adjustment, request_adjustment
from meter2cash.collection.collection_kpis import collection_kpis
from meter2cash.collection.month_end import accrue_month_end, post_issued_bills
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.collection.reversals import decide_reversal, request_reversal
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.users import UnknownUser

JAN_DUE = date(2026, 2, 10)
FEB_DUE = date(2026, 3, 10)


def pay(
    ctx: AppContext, account_no: str, amount: str, *, paid_on: date, key: str, agent: str | None = None
) -> str:
    request = PaymentRequest(
        account_no=account_no,
        amount=Decimal(amount),
        channel=gl.Channel.AGENT if agent else gl.Channel.COUNTER,
        method=gl.Method.ONLINE if agent else gl.Method.CASH,
        source=agent or "counter",
        paid_on=paid_on,
        idempotency_key=key,
    )
    return str(take_payment(ctx, actor="cashier", request=request).payment_id)


def approve(ctx: AppContext, kind: Kind, bill_no: str, amount: str, *, asker: str, approver: str) -> None:
    asked = request_adjustment(
        ctx, actor=asker, kind=kind, bill_no=bill_no, amount=Decimal(amount), reason="测试"
    )
    decide_adjustment(ctx, actor=approver, kind=kind, request_id=asked.id, approve=True, note="同意")


@pytest.fixture
def story(ctx: AppContext) -> AppContext:
    small_archive(ctx, accounts=5)
    for account_no, amount in (
        ("A0001", "100.00"),
        ("A0002", "200.00"),
        ("A0003", "300.00"),
        ("A0004", "400.00"),
    ):
        issue(ctx, account_no=account_no, period="2026-01", amount=amount, due_on=JAN_DUE)
    for period, amount, due_on in (
        ("2024-12", "80.00", date(2025, 1, 10)),
        ("2025-06", "500.00", date(2025, 7, 10)),
        ("2025-10", "70.00", date(2025, 11, 10)),
        ("2025-12", "60.00", date(2026, 1, 5)),
    ):
        issue(ctx, account_no="A0005", period=period, amount=amount, due_on=due_on)
    post_issued_bills(ctx, actor="billing_clerk")
    pay(ctx, "A0001", "100.00", paid_on=date(2026, 2, 5), key="jan-1")
    pay(ctx, "A0003", "120.00", paid_on=date(2026, 2, 8), key="jan-3", agent="wechat")
    accrued = accrue_month_end(ctx, actor="billing_clerk", through=date(2026, 2, 28))
    assert accrued.total == Decimal("174.60")
    for account_no, amount in (("A0001", "150.00"), ("A0003", "90.00")):
        issue(ctx, account_no=account_no, period="2026-02", amount=amount, due_on=FEB_DUE)
    post_issued_bills(ctx, actor="billing_clerk")
    today = date(2026, 3, 1)
    pay(ctx, "A0002", "203.80", paid_on=today, key="late-2")
    pay(ctx, "A0001", "150.00", paid_on=today, key="feb-1")
    wrong = pay(ctx, "A0003", "10.00", paid_on=today, key="oops-3")
    reversal = request_reversal(ctx, actor="cashier", payment=wrong, reason="收错")
    decide_reversal(ctx, actor="manager", reversal_id=reversal.id, approve=True, note="核实")
    approve(ctx, Kind.WAIVER, "T2024-12-A0005", "33.12", asker="cashier", approver="manager")
    approve(ctx, Kind.WRITE_OFF, "T2026-01-A0004", "400.00", asker="billing_clerk", approver="admin")
    issue(
        ctx, account_no="A0002", period="2026-03", amount="55.00", due_on=date(2026, 3, 20), issued_on=today
    )
    return ctx


def buckets(*pairs: tuple[str, int]) -> list[dict[str, object]]:
    bounds = {
        "0-30": (0, 30),
        "31-90": (31, 90),
        "91-180": (91, 180),
        "181-365": (181, 365),
        "over_365": (366, None),
    }
    return [
        {"key": key, "min_days": bounds[key][0], "max_days": bounds[key][1], "amount": amount, "items": items}
        for key, (amount, items) in zip(bounds, pairs, strict=True)
    ]


def test_a_closed_month_shows_every_figure_exactly_in_the_public_json_shape(story: AppContext) -> None:
    kpis = collection_kpis(story, actor="manager", period="2026-02", top=3)
    assert kpis.as_json() == {
        "period": "2026-02",
        "today": "2026-03-01",
        "unposted_bills": {"bills": 1, "amount": "55.00", "of_period": 0},
        "recovery": {
            "bills": 2,
            "issued": "240.00",
            "collected": "150.00",
            "written_off": "0.00",
            "outstanding": "90.00",
            "recovery_rate_pct": "62.50",
            "window": {
                "ends_on": "2026-03-31",
                "closed": False,
                "collected": "150.00",
                "recovery_rate_pct": "62.50",
            },
        },
        "year_to_date": {
            "first_period": "2026-01",
            "last_period": "2026-02",
            "bills": 6,
            "issued": "1240.00",
            "collected": "570.00",
            "written_off": "400.00",
            "outstanding": "270.00",
            "recovery_rate_pct": "45.97",
        },
        "aging": {
            "as_of": "2026-02-28",
            "principal": "1730.00",
            "bills": 9,
            "current": {"amount": "240.00", "bills": 2},
            "overdue": "1490.00",
            "buckets": buckets(("780.00", 3), ("60.00", 1), ("70.00", 1), ("500.00", 1), ("80.00", 1)),
            "late_fees": "174.60",
        },
        "month": {
            "from": "2026-02-01",
            "to": "2026-02-28",
            "principal_collected": "220.00",
            "late_fees_charged": "174.60",
            "late_fees_collected": "0.00",
            "late_fees_waived": "0.00",
            "written_off": "0.00",
        },
        "payments": {
            "payments": 2,
            "amount": "220.00",
            "reversed_payments": 0,
            "reversed_amount": "0.00",
            "by_channel": {
                "counter": {
                    "payments": 1,
                    "amount": "100.00",
                    "reversed_payments": 0,
                    "reversed_amount": "0.00",
                },
                "bank_withholding": {
                    "payments": 0,
                    "amount": "0.00",
                    "reversed_payments": 0,
                    "reversed_amount": "0.00",
                },
                "agent": {
                    "payments": 1,
                    "amount": "120.00",
                    "reversed_payments": 0,
                    "reversed_amount": "0.00",
                },
                "portal": {
                    "payments": 0,
                    "amount": "0.00",
                    "reversed_payments": 0,
                    "reversed_amount": "0.00",
                },
            },
        },
        "top_debtors": {
            "top": 3,
            "accounts": [
                {
                    "account_no": "A0005",
                    "customer_name": "客户5",
                    "category": "residential",
                    "principal": "710.00",
                    "late_fees": "160.56",
                    "oldest_due_on": "2025-01-10",
                    "days_overdue": 414,
                },
                {
                    "account_no": "A0004",
                    "customer_name": "客户4",
                    "category": "residential",
                    "principal": "400.00",
                    "late_fees": "7.20",
                    "oldest_due_on": "2026-02-10",
                    "days_overdue": 18,
                },
                {
                    "account_no": "A0002",
                    "customer_name": "客户2",
                    "category": "residential",
                    "principal": "200.00",
                    "late_fees": "3.60",
                    "oldest_due_on": "2026-02-10",
                    "days_overdue": 18,
                },
            ],
        },
    }


def test_the_json_example_in_the_docs_is_what_the_service_gives(story: AppContext) -> None:
    docs = (Path(__file__).parents[3] / "docs" / "collection-kpis.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)\n```", docs, re.DOTALL)
    assert example is not None
    kpis = collection_kpis(story, actor="manager", period="2026-02", top=3)
    assert json.loads(example.group(1)) == kpis.as_json()


def test_the_recovery_rate_counts_payments_not_write_offs_and_its_window_ends_a_month_after(
    story: AppContext,
) -> None:
    data = collection_kpis(story, actor="cashier", period="2026-01").as_json()
    assert data["recovery"] == {
        "bills": 4,
        "issued": "1000.00",
        "collected": "420.00",  # 100 + 200 + 120; the reversed 6.58 nets out; the 400 written off is not
        "written_off": "400.00",
        "outstanding": "180.00",
        "recovery_rate_pct": "42.00",
        "window": {
            "ends_on": "2026-02-28",
            "closed": True,
            "collected": "220.00",
            "recovery_rate_pct": "22.00",
        },
    }
    assert data["year_to_date"]["recovery_rate_pct"] == "42.00"  # type: ignore[index]


def test_aging_as_of_a_past_month_end_ignores_what_happened_after_it(story: AppContext) -> None:
    data = collection_kpis(story, actor="cashier", period="2026-01").as_json()
    assert data["aging"] == {
        "as_of": "2026-01-31",
        "principal": "1710.00",
        "bills": 8,
        "current": {"amount": "1000.00", "bills": 4},
        "overdue": "710.00",
        "buckets": buckets(("60.00", 1), ("70.00", 1), ("0.00", 0), ("500.00", 1), ("80.00", 1)),
        "late_fees": "0.00",
    }
    assert data["month"] == {
        "from": "2026-01-01",
        "to": "2026-01-31",
        "principal_collected": "0.00",
        "late_fees_charged": "0.00",
        "late_fees_collected": "0.00",
        "late_fees_waived": "0.00",
        "written_off": "0.00",
    }
    assert [row["account_no"] for row in data["top_debtors"]["accounts"]] == ["A0005"]  # type: ignore[index]


def test_the_current_month_is_aged_as_of_today_with_reversals_waivers_and_write_offs_netted(
    story: AppContext,
) -> None:
    data = collection_kpis(story, actor="manager", period="2026-03").as_json()
    assert data["unposted_bills"] == {"bills": 1, "amount": "55.00", "of_period": 1}
    recovery = data["recovery"]
    assert isinstance(recovery, dict)
    assert (recovery["issued"], recovery["recovery_rate_pct"]) == ("0.00", None)
    assert recovery["window"] == {
        "ends_on": "2026-04-30",
        "closed": False,
        "collected": "0.00",
        "recovery_rate_pct": None,
    }
    assert data["year_to_date"]["recovery_rate_pct"] == "45.97"  # type: ignore[index]
    assert data["aging"] == {
        "as_of": "2026-03-01",
        "principal": "980.00",
        "bills": 6,
        "current": {"amount": "90.00", "bills": 1},
        "overdue": "890.00",
        "buckets": buckets(("180.00", 1), ("60.00", 1), ("70.00", 1), ("500.00", 1), ("80.00", 1)),
        "late_fees": "138.06",  # 174.60 + 0.20 + 0.18 − 3.80 paid − 33.12 waived
    }
    assert data["month"] == {
        "from": "2026-03-01",
        "to": "2026-03-01",
        "principal_collected": "350.00",
        "late_fees_charged": "0.38",
        "late_fees_collected": "3.80",
        "late_fees_waived": "33.12",
        "written_off": "400.00",
    }
    payments = data["payments"]
    assert isinstance(payments, dict)
    assert payments["by_channel"]["counter"] == {
        "payments": 2,
        "amount": "353.80",
        "reversed_payments": 1,
        "reversed_amount": "10.00",
    }
    assert data["top_debtors"] == {
        "top": 10,
        "accounts": [
            {
                "account_no": "A0005",
                "customer_name": "客户5",
                "category": "residential",
                "principal": "710.00",
                "late_fees": "127.44",
                "oldest_due_on": "2025-01-10",
                "days_overdue": 415,
            },
            {
                "account_no": "A0003",
                "customer_name": "客户3",
                "category": "residential",
                "principal": "180.00",
                "late_fees": "3.42",
                "oldest_due_on": "2026-02-10",
                "days_overdue": 19,
            },
        ],
    }


def test_top_debtors_are_cut_to_the_number_asked(story: AppContext) -> None:
    one = collection_kpis(story, actor="manager", period="2026-02", top=1)
    assert [row.account_no for row in one.top_debtors] == ["A0005"]
    assert collection_kpis(story, actor="manager", period="2026-02", top=0).top_debtors == []


def test_an_empty_ledger_gives_zeros_and_no_rate(ctx: AppContext) -> None:
    kpis = collection_kpis(ctx, actor="cashier", period="2026-02")
    assert kpis.recovery_rate_pct is None and kpis.year_to_date_rate_pct is None
    assert kpis.aging.total == Decimal("0.00") and kpis.top_debtors == []


@pytest.mark.parametrize(
    ("period", "top", "reason"),
    [
        ("2026-04", 10, "2026-04"),
        ("2026-13", 10, "YYYY-MM"),
        ("March", 10, "YYYY-MM"),
        ("2026-02", -1, "--top"),
    ],
)
def test_a_future_or_malformed_period_or_a_negative_top_is_refused(
    ctx: AppContext, period: str, top: int, reason: str
) -> None:
    with pytest.raises(InputRefused, match=reason):
        collection_kpis(ctx, actor="manager", period=period, top=top)


def test_an_unknown_user_may_not_read_the_ledger(ctx: AppContext) -> None:
    with pytest.raises(UnknownUser):
        collection_kpis(ctx, actor="nobody", period="2026-02")
