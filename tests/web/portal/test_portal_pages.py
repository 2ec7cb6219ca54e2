"""The portal's pages on SQLite and PostgreSQL: a customer logs in with account number and
password and sees their own balance and bills only (another account's bill is "not found"); a
customer session is not a staff session and vice versa; every form needs the CSRF token; pages
without a session go to the portal login; what users typed is shown escaped."""

from __future__ import annotations

import pytest
from portal_setup import bill_numbers, customer_client, enrolled, issued_bureau
from sqlalchemy import update

from archive_factory import small_archive
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import Customer
from meter2cash.registry.portal_access import issue_activation_code
from web_client import csrf_of, staff_client, web_client


def test_a_customer_sees_their_balance_and_only_their_own_bills(ctx: AppContext) -> None:
    issued_bureau(ctx)
    numbers = bill_numbers(ctx)
    client = customer_client(ctx, "A0001", enrolled(ctx, "A0001"))
    page = client.get("/portal/")
    assert page.status_code == 200
    assert "A0001" in page.text and numbers["A0001"] in page.text
    assert numbers["A0002"] not in page.text and numbers["A0003"] not in page.text
    assert "已发行应收电费" in page.text and "未扣除缴费" in page.text
    assert 'class="chart" data-option=' in page.text
    amount = page.text.split('<div class="kpi">', 1)[1].split("元", 1)[0].strip()
    assert amount.count(".") == 1 and len(amount.split(".")[1]) == 2  # exact 元, two decimals


def test_another_accounts_bill_pdf_is_not_found_and_ones_own_is_a_pdf(ctx: AppContext) -> None:
    issued_bureau(ctx)
    numbers = bill_numbers(ctx)
    client = customer_client(ctx, "A0001", enrolled(ctx, "A0001"))
    assert client.get(f"/portal/bills/{numbers['A0002']}.pdf").status_code == 404
    assert client.get("/portal/bills/2026-999999.pdf").status_code == 404
    own = client.get(f"/portal/bills/{numbers['A0001']}.pdf")
    assert own.status_code == 200 and own.headers["content-type"] == "application/pdf"
    assert own.content.startswith(b"%PDF") and "no-store" in own.headers["cache-control"]


def test_a_wrong_password_is_refused_and_five_lock_the_customer_out(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    password = enrolled(ctx, "A0001")
    client = web_client(ctx)
    unknown = client.post(
        "/portal/login",
        data={
            "account_no": "A9999",
            "password": "whatever-1",
            "csrf_token": csrf_of(client, "/portal/login"),
        },
    )
    assert unknown.status_code == 401 and "户号或密码错误" in unknown.text
    for _attempt in range(5):
        wrong = client.post(
            "/portal/login",
            data={
                "account_no": "A0001",
                "password": "not-it-123",
                "csrf_token": csrf_of(client, "/portal/login"),
            },
        )
        assert wrong.status_code == 401 and "户号或密码错误" in wrong.text
    right = client.post(
        "/portal/login",
        data={"account_no": "A0001", "password": password, "csrf_token": csrf_of(client, "/portal/login")},
    )
    assert right.status_code == 401 and "锁定" in right.text


def test_a_staff_session_is_not_a_customer_session_and_a_customer_session_is_not_staff(
    ctx: AppContext,
) -> None:
    small_archive(ctx, accounts=1)
    staff = staff_client(ctx, "admin")
    answer = staff.get("/portal/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/login"
    customer = customer_client(ctx, "A0001", enrolled(ctx, "A0001"))
    answer = customer.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert customer.get("/api/v1/me").status_code == 401
    assert customer.post("/customers/A0001/portal-code", follow_redirects=False).status_code == 303
    # logging in to the portal ends a staff session in the same browser
    token = csrf_of(staff, "/portal/login")
    staff.post("/portal/login", data={"account_no": "A0001", "password": "secret-A0001", "csrf_token": token})
    assert staff.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/portal/", "/portal/reminders", "/portal/bills/2026-000001.pdf"])
def test_pages_without_a_session_redirect_to_the_portal_login(ctx: AppContext, path: str) -> None:
    answer = web_client(ctx).get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/login"


def test_every_portal_form_needs_the_csrf_token(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    password = enrolled(ctx, "A0001")
    anonymous = web_client(ctx)
    anonymous.get("/portal/login")
    assert (
        anonymous.post("/portal/login", data={"account_no": "A0001", "password": password}).status_code == 403
    )
    code = issue_activation_code(ctx, actor="cashier", account_no="A0001").code
    activation = {
        "account_no": "A0001",
        "code": code,
        "password": "new-password",
        "password_again": "new-password",
    }
    assert anonymous.post("/portal/activate", data=activation).status_code == 403
    customer = customer_client(ctx, "A0001", password)
    del customer.headers["X-CSRF-Token"]
    assert customer.post("/portal/reminders", data={"channel": "none"}).status_code == 403
    assert customer.post("/portal/logout").status_code == 403
    assert customer.get("/portal/").status_code == 200  # still logged in
    staff = staff_client(ctx, "cashier")
    del staff.headers["X-CSRF-Token"]
    assert staff.post("/customers/A0001/portal-code").status_code == 403


def test_logging_out_ends_the_customer_session(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    customer = customer_client(ctx, "A0001", enrolled(ctx, "A0001"))
    answer = customer.post("/portal/logout", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/login"
    assert customer.get("/portal/", follow_redirects=False).status_code == 303


def test_the_customers_name_and_typed_text_are_shown_escaped(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    with unit_of_work(ctx.sessions) as session:
        session.execute(update(Customer).values(name="<script>alert(1)</script>"))
    customer = customer_client(ctx, "A0001", enrolled(ctx, "A0001"))
    page = customer.get("/portal/").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    refused = customer.post("/portal/reminders", data={"channel": "email", "contact": "<b>x</b>@"})
    assert refused.status_code == 422
    assert "<b>x</b>" not in refused.text and "&lt;b&gt;x&lt;/b&gt;@" in refused.text
    login = web_client(ctx)
    answer = login.post(
        "/portal/login",
        data={
            "account_no": '"><i>A',
            "password": "whatever-1",
            "csrf_token": csrf_of(login, "/portal/login"),
        },
    )
    assert answer.status_code == 401 and '"><i>A' not in answer.text
