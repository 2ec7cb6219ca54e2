"""Reading tasks by route book and the exception queue in the console: a clerk proposes an edit,
the proposer is refused approving it (四眼), a second person approves it, and every bad input is
refused with nothing written."""

from __future__ import annotations

from console_setup import audit_count, bureau, edit_ids, edits, rollback_exception, text_of

from meter2cash.platform.context import AppContext
from web_client import staff_client

HTMX = {"HX-Request": "true"}


def test_reading_tasks_show_each_route_books_progress_and_its_tasks(ctx: AppContext) -> None:
    bureau(ctx)
    client = staff_client(ctx, "meter_reader")
    books = text_of(client.get("/reading").text)
    assert "2026-07" in books and "RB01" in books
    tasks = client.get("/reading?period=2026-07&route_book=RB01")
    shown = text_of(tasks.text)
    assert tasks.status_code == 200
    assert "M0001" in shown and "M0003" in shown and "未抄" in shown  # A0002 and A0003 not read yet
    assert client.get("/reading?period=2026-13").status_code == 422
    assert client.get("/reading?period=2026-07&route_book=NOPE").status_code == 404


def test_an_edit_proposed_by_one_user_is_refused_to_them_and_approved_by_another(ctx: AppContext) -> None:
    bureau(ctx)
    exception_id = rollback_exception(ctx)
    manager, reviewer = staff_client(ctx, "manager"), staff_client(ctx, "reviewer")
    proposed = manager.post(
        f"/exceptions/{exception_id}/edit",
        data={"total": "199.00", "reason": "抄错 digits misread"},
        headers=HTMX,
    )
    assert proposed.status_code == 200 and proposed.text.lstrip().startswith(
        f'<tr id="exception-{exception_id}"'
    )
    assert "等待第二人审批" in proposed.text and "总: 99.0000 → 199.00" in text_of(proposed.text)
    edit_id = edit_ids(ctx)[0]
    records = audit_count(ctx)
    own = manager.post(
        f"/exceptions/{exception_id}/edits/{edit_id}/approve", data={"reason": "mine"}, headers=HTMX
    )
    assert own.status_code == 200 and 'class="refusal"' in own.text
    assert "四眼原则：manager 提出了此修正" in own.text
    assert edits(ctx) == [("pending", "manager", None)] and audit_count(ctx) == records
    page = manager.post(f"/exceptions/{exception_id}/edits/{edit_id}/approve", data={"reason": "mine"})
    assert page.status_code == 403 and "四眼原则" in page.text
    approved = reviewer.post(
        f"/exceptions/{exception_id}/edits/{edit_id}/approve", data={"reason": "照片核实"}, headers=HTMX
    )
    assert approved.status_code == 200 and "已解决" in approved.text
    assert edits(ctx) == [("approved", "manager", "reviewer")]
    events = text_of(reviewer.get("/customers/A0001").text)
    assert "reading_edit.propose" in events and "reading_edit.approve" in events  # Customer 360's events


def test_the_queue_without_javascript_redirects_back_and_says_what_became_of_the_exception(
    ctx: AppContext,
) -> None:
    bureau(ctx)
    exception_id = rollback_exception(ctx)
    client = staff_client(ctx, "billing_clerk")
    answer = client.post(
        f"/exceptions/{exception_id}/reread", data={"reason": "复抄"}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/exceptions?done={exception_id}"
    page = client.get(answer.headers["location"])
    assert f"异常 {exception_id} 现在：待复抄" in text_of(page.text)


def test_bad_input_in_the_queue_is_refused_clearly_and_nothing_is_written(ctx: AppContext) -> None:
    bureau(ctx)
    exception_id = rollback_exception(ctx)
    client = staff_client(ctx, "billing_clerk")
    records = audit_count(ctx)
    bad_value = client.post(f"/exceptions/{exception_id}/edit", data={"total": "19x9", "reason": "抄错"})
    assert bad_value.status_code == 422 and "19x9" in bad_value.text and "不是十进制数" in bad_value.text
    no_value = client.post(f"/exceptions/{exception_id}/edit", data={"reason": "抄错"})
    assert no_value.status_code == 422 and "至少填写一个" in no_value.text
    no_reason = client.post(f"/exceptions/{exception_id}/reread", data={"reason": "  "}, headers=HTMX)
    assert no_reason.status_code == 200 and "请填写原因" in no_reason.text
    an_error = client.post(f"/exceptions/{exception_id}/confirm", data={"reason": "looks fine"})
    assert an_error.status_code == 422 and "错误类异常不能直接确认" in an_error.text
    unknown = client.post("/exceptions/99999/confirm", data={"reason": "x"})
    assert unknown.status_code == 404
    assert edits(ctx) == [] and audit_count(ctx) == records
