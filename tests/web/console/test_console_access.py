"""Who reaches the console's pages: nobody without a session (they are sent to the login), only
the roles whose actions a page needs (the others get 403, and nothing is written), and no form
without the session's CSRF token."""

from __future__ import annotations

from console_setup import audit_count, bill_states, bureau, edits, rollback_exception

from meter2cash.platform.context import AppContext
from web_client import staff_client, web_client

PAGES = [
    "/",
    "/customers",
    "/customers/A0001",
    "/reading",
    "/exceptions",
    "/tariffs",
    "/tariffs/MX-RES-1",
    "/quote",
    "/bills",
    "/bills/1",
    "/bills/1/document.html",
    "/bills/1/document.pdf",
    "/audit?object_type=bill&object_id=1",
]


def test_every_console_page_without_a_session_redirects_to_the_login(ctx: AppContext) -> None:
    client = web_client(ctx)
    for path in PAGES:
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/login"), path
    htmx = client.post("/exceptions/1/confirm", data={"reason": "x"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login"


def test_a_role_that_may_not_do_a_pages_work_is_refused_with_403_and_nothing_is_written(
    ctx: AppContext,
) -> None:
    ids = bureau(ctx)
    exception_id = rollback_exception(ctx)
    cashier, clerk, reviewer = (staff_client(ctx, user) for user in ("cashier", "billing_clerk", "reviewer"))
    records = audit_count(ctx)  # logging in is recorded too
    assert cashier.get("/exceptions").status_code == 403  # neither resolves exceptions nor approves edits
    assert cashier.get("/audit?object_type=bill&object_id=1").status_code == 403
    for path, form in (
        ("/bills/issue", {"period": "2026-06", "route_book": "RB01"}),
        ("/bills/review", {"period": "2026-06"}),
        (f"/bills/{ids['A0003']}/reject", {"reason": "x", "back_to": "reading"}),
        (f"/exceptions/{exception_id}/confirm", {"reason": "x"}),
        (f"/exceptions/{exception_id}/reread", {"reason": "x"}),
    ):
        assert cashier.post(path, data=form).status_code == 403, path
    refused = clerk.post(f"/bills/{ids['A0003']}/approve", data={"reason": "looks fine"})
    assert refused.status_code == 403 and "审核员" in refused.text  # the roles that may
    proposal = {"total": "199", "reason": "抄错"}
    assert reviewer.post(f"/exceptions/{exception_id}/edit", data=proposal).status_code == 403
    assert bill_states(ctx)["A0003"] == "flagged" and edits(ctx) == []
    assert audit_count(ctx) == records


def test_a_reviewer_reaches_the_exception_queue_to_approve_edits_but_not_to_resolve(ctx: AppContext) -> None:
    bureau(ctx)
    page = staff_client(ctx, "reviewer").get("/exceptions")
    assert page.status_code == 200
    assert "示数下降" in page.text and "/confirm" not in page.text  # the queue, without a clerk's forms


def test_a_form_without_the_csrf_token_is_refused_and_nothing_is_written(ctx: AppContext) -> None:
    bureau(ctx)
    exception_id = rollback_exception(ctx)
    client = staff_client(ctx, "manager")
    del client.headers["X-CSRF-Token"]
    records = audit_count(ctx)
    answer = client.post(f"/exceptions/{exception_id}/edit", data={"total": "199", "reason": "抄错"})
    assert answer.status_code == 403
    assert edits(ctx) == [] and audit_count(ctx) == records
