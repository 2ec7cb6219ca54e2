"""Bills in the console: the period's summary and review queue with findings, a reviewer's approve
and reject (back to reading opens a reading exception), the calculator refused approving their own
bill (四眼), issuing a route book's approved bills, one bill line by line with its document, and
its audit trail."""

from __future__ import annotations

import pytest
from console_setup import PERIOD, audit_count, bill_states, bureau, text_of

from meter2cash.billing.document_fonts import FONT_CANDIDATES
from meter2cash.platform.context import AppContext
from web_client import staff_client

HTMX = {"HX-Request": "true"}


def test_the_bills_page_shows_the_summary_the_queue_with_findings_and_what_is_ready_to_issue(
    ctx: AppContext,
) -> None:
    ids = bureau(ctx)
    page = staff_client(ctx, "reviewer").get("/bills")
    shown = text_of(page.text)
    assert page.status_code == 200
    assert "居民生活" in shown and "汇总" in shown  # the summary by class
    assert f'id="bill-{ids["A0003"]}"' in page.text and "估抄电量" in shown  # flagged: estimated reading
    assert "1 张账单待审核" in shown
    assert "发行 2 张已审核账单" in shown  # A0001 and A0002 were approved automatically


def test_a_reviewer_approves_in_place_and_deciding_the_bill_again_is_refused(ctx: AppContext) -> None:
    ids = bureau(ctx)
    reviewer = staff_client(ctx, "reviewer")
    approved = reviewer.post(
        f"/bills/{ids['A0003']}/approve", data={"reason": "估抄量与上月相符"}, headers=HTMX
    )
    assert approved.status_code == 200 and approved.text.lstrip().startswith(f'<tr id="bill-{ids["A0003"]}"')
    assert f"账单 {ids['A0003']} 已审核通过" in approved.text
    assert bill_states(ctx)["A0003"] == "approved"
    again = reviewer.post(
        f"/bills/{ids['A0003']}/reject", data={"reason": "示数疑似抄错", "back_to": "reading"}
    )
    assert again.status_code == 422 and f"账单 {ids['A0003']} 的状态是 approved" in again.text
    assert bill_states(ctx)["A0003"] == "approved"


def test_a_bill_rejected_back_to_reading_is_withdrawn_and_opens_a_reading_exception(ctx: AppContext) -> None:
    ids = bureau(ctx)
    reviewer = staff_client(ctx, "reviewer")
    answer = reviewer.post(
        f"/bills/{ids['A0003']}/reject",
        data={"reason": "示数疑似抄错", "back_to": "reading"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = reviewer.get(answer.headers["location"])
    assert f"账单 {ids['A0003']} 已退回抄表" in text_of(page.text)
    assert "A0003" not in bill_states(ctx)
    queue = staff_client(ctx, "billing_clerk").get("/exceptions")
    assert "账单审核退回" in queue.text and "示数疑似抄错" in queue.text


def test_the_calculator_is_refused_approving_their_own_bill_and_nothing_is_written(ctx: AppContext) -> None:
    ids = bureau(ctx, computed_by="manager")
    manager = staff_client(ctx, "manager")
    records = audit_count(ctx)
    page = manager.post(f"/bills/{ids['A0003']}/approve", data={"reason": "mine"})
    assert page.status_code == 403 and "四眼原则：manager 计算了账单" in page.text
    row = manager.post(f"/bills/{ids['A0003']}/approve", data={"reason": "mine"}, headers=HTMX)
    assert row.status_code == 200 and 'class="refusal"' in row.text and "四眼原则" in row.text
    no_reason = manager.post(f"/bills/{ids['A0003']}/approve", data={"reason": ""})
    assert no_reason.status_code == 422 and "审核意见必须填写原因" in no_reason.text
    assert bill_states(ctx)["A0003"] == "flagged" and audit_count(ctx) == records


def test_a_route_books_approved_bills_are_issued_and_a_book_with_none_is_refused(ctx: AppContext) -> None:
    ids = bureau(ctx)
    staff_client(ctx, "reviewer").post(f"/bills/{ids['A0003']}/approve", data={"reason": "核实"})
    clerk = staff_client(ctx, "billing_clerk")
    issued = clerk.post("/bills/issue", data={"period": PERIOD, "route_book": "RB01"}, follow_redirects=False)
    assert issued.status_code == 303
    page = text_of(clerk.get(issued.headers["location"]).text)
    assert "已发行抄表段 RB01 2026-06 的 3 张账单：2026-000001 … 2026-000003" in page
    assert set(bill_states(ctx).values()) == {"issued"}
    records = audit_count(ctx)
    again = clerk.post("/bills/issue", data={"period": "2026-05", "route_book": "RB01"})
    assert again.status_code == 422 and "没有可发行的已审核账单" in again.text
    bad = clerk.post("/bills/issue", data={"period": "2026-5", "route_book": "RB01"})
    assert bad.status_code == 422
    assert audit_count(ctx) == records


def test_one_bill_shows_every_line_with_its_rule_its_document_and_its_audit_trail(ctx: AppContext) -> None:
    ids = bureau(ctx)
    reviewer = staff_client(ctx, "reviewer")
    reviewer.post(f"/bills/{ids['A0003']}/approve", data={"reason": "估抄量与上月相符"})
    page = reviewer.get(f"/bills/{ids['A0003']}")
    shown = text_of(page.text)
    assert page.status_code == 200 and "MX-RES-1@" in shown and "计费规则" in shown
    assert f'src="/bills/{ids["A0003"]}/document.html"' in page.text
    assert f"/audit?object_type=bill&amp;object_id={ids['A0003']}" in page.text
    document = reviewer.get(f"/bills/{ids['A0003']}/document.html")
    assert document.status_code == 200 and "电费通知单" in document.text
    trail = text_of(reviewer.get(f"/audit?object_type=bill&object_id={ids['A0003']}").text)
    assert "bill.approve" in trail and "估抄量与上月相符" in trail and "reviewer" in trail
    assert reviewer.get("/bills/99999").status_code == 404


@pytest.mark.skipif(not any(p.is_file() for p in FONT_CANDIDATES), reason="no Noto Sans CJK font file")
def test_a_bills_pdf_is_rendered_with_its_chinese_font(ctx: AppContext) -> None:
    ids = bureau(ctx)
    answer = staff_client(ctx, "cashier").get(f"/bills/{ids['A0001']}/document.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'inline; filename="A0001_2026-06.pdf"'
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(answer.content)
    try:
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    assert "电费通知单" in text and "A0001" in text
