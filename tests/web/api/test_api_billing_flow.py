"""The billing cycle through the API on SQLite and PostgreSQL: a manager runs the bills, a
reviewer runs the review rules, the manager is refused deciding a bill they calculated (four
eyes, 403), a second person rejects one flagged bill and approves another, a clerk issues the
route book, and the issued bill's 电费通知单 comes back as a PDF. The JSON is the CLI's."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from api_helpers import BOOK, PERIOD, as_staff, bureau
from fastapi.testclient import TestClient

from meter2cash.billing.bill_kpis import bill_kpis
from meter2cash.billing.bill_queries import period_summary
from meter2cash.platform.context import AppContext
from meter2cash.platform.permissions import Action
from web_client import staff_client, token_client


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def queued(client: TestClient) -> dict[str, dict[str, Any]]:
    page = ok(client.get("/api/v1/billing/review-queue", params={"period": PERIOD, "route_book": BOOK}))
    return {item["account_no"]: item for item in page["items"]}


def run_and_review(ctx: AppContext, *, estimated: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Bills run by the manager, reviewed by the reviewer; the queue by account number."""
    bureau(ctx, estimated=estimated)
    run = ok(as_staff(ctx, "manager").post("/api/v1/billing/runs", json={"period": PERIOD}))
    assert (run["priced"], run["unpriced"], run["scope"]) == (3, [], "*")
    review = ok(
        token_client(ctx, "reviewer", {Action.BILL_REVIEW}).post(
            "/api/v1/billing/reviews", json={"period": PERIOD}
        )
    )
    assert (review["auto_approved"], review["flagged"]) == (3 - len(estimated), len(estimated))
    return queued(as_staff(ctx, "reviewer"))


class TestReviewAndIssue:
    def test_the_calculator_is_refused_and_a_second_person_decides(self, ctx: AppContext) -> None:
        queue = run_and_review(ctx, estimated=("A0002", "A0003"))
        assert sorted(queue) == ["A0002", "A0003"]
        assert queue["A0002"]["computed_by"] == "manager"
        assert [f["code"] for f in queue["A0002"]["findings"]] == ["ESTIMATED"]
        manager = staff_client(ctx, "manager")
        refused = manager.post(
            f"/api/v1/bills/{queue['A0003']['bill_id']}/approve", json={"reason": "自己核的"}
        )
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "manager" in refused.json()["detail"]
        reviewer = staff_client(ctx, "reviewer")
        rejected = ok(
            reviewer.post(
                f"/api/v1/bills/{queue['A0002']['bill_id']}/reject",
                json={"reason": "估抄电量偏高", "back_to": "billing"},
            )
        )
        assert rejected == {
            "bill_id": queue["A0002"]["bill_id"],
            "state": "rejected",
            "back_to": "billing",
            "reading_exception_id": None,
        }
        approved = ok(
            reviewer.post(f"/api/v1/bills/{queue['A0003']['bill_id']}/approve", json={"reason": "与上月相符"})
        )
        assert approved["state"] == "approved"
        assert queued(reviewer) == {}

        issued = ok(
            staff_client(ctx, "billing_clerk").post(
                "/api/v1/billing/issues", json={"period": PERIOD, "route_book": BOOK}
            )
        )
        assert (issued["issued"], issued["not_issued"], issued["first_bill_no"]) == (
            2,
            {"rejected": 1},
            "2026-000001",
        )
        assert [b["account_no"] for b in issued["bills"]] == ["A0001", "A0003"]
        assert Decimal(issued["total"]) == sum(Decimal(b["amount"]) for b in issued["bills"])
        again = ok(reviewer.post("/api/v1/billing/issues", json={"period": PERIOD, "route_book": BOOK}))
        assert (again["issued"], again["already_issued"], again["bills"]) == (0, 2, [])

        bill = ok(reviewer.get(f"/api/v1/bills/{queue['A0003']['bill_id']}"))
        assert (bill["bill"]["state"], bill["bill"]["bill_no"], bill["bill"]["reviewed_by"]) == (
            "issued",
            "2026-000002",
            "reviewer",
        )
        assert [f["code"] for f in bill["findings"]] == ["ESTIMATED"]
        assert sum(Decimal(line["amount"]) for line in bill["lines"]) == Decimal(bill["bill"]["total"])

        pdf = reviewer.get(f"/api/v1/bills/{queue['A0003']['bill_id']}/document.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert "2026-000002.pdf" in pdf.headers["content-disposition"]

    def test_a_book_with_nothing_approved_is_refused_and_an_unknown_book_is_not_found(
        self, ctx: AppContext
    ) -> None:
        run_and_review(ctx, estimated=("A0001", "A0002", "A0003"))
        clerk = as_staff(ctx, "billing_clerk")
        refused = clerk.post("/api/v1/billing/issues", json={"period": PERIOD, "route_book": BOOK})
        assert refused.status_code == 422 and "flagged 3" in refused.json()["detail"]
        unknown = clerk.post("/api/v1/billing/issues", json={"period": PERIOD, "route_book": "RB99"})
        assert unknown.status_code == 404

    def test_a_flagged_bill_rejected_back_to_reading_opens_a_reading_exception(self, ctx: AppContext) -> None:
        queue = run_and_review(ctx, estimated=("A0002",))
        reviewer = as_staff(ctx, "reviewer")
        decision = ok(
            reviewer.post(
                f"/api/v1/bills/{queue['A0002']['bill_id']}/reject",
                json={"reason": "示数疑似抄错", "back_to": "reading"},
            )
        )
        exceptions = ok(reviewer.get("/api/v1/reading/exceptions", params={"route_book": BOOK}))["items"]
        assert [(e["id"], e["code"]) for e in exceptions] == [
            (decision["reading_exception_id"], "BILL_REJECTED")
        ]
        again = reviewer.post(f"/api/v1/bills/{queue['A0002']['bill_id']}/approve", json={"reason": "再审"})
        assert again.status_code == 404  # the bill was withdrawn with its determinant


class TestTokensAndReads:
    def test_a_token_scoped_to_bill_read_reads_the_queue_but_cannot_approve(self, ctx: AppContext) -> None:
        queue = run_and_review(ctx, estimated=("A0003",))
        reader = token_client(ctx, "reviewer", {Action.BILL_READ})
        assert queued(reader).keys() == {"A0003"}
        refused = reader.post(f"/api/v1/bills/{queue['A0003']['bill_id']}/approve", json={"reason": "通过"})
        assert refused.status_code == 403 and "bill.review" in refused.json()["detail"]
        assert queued(reader).keys() == {"A0003"}

    def test_the_summary_and_the_kpis_are_the_services_json(self, ctx: AppContext) -> None:
        run_and_review(ctx, estimated=("A0003",))
        client = as_staff(ctx, "cashier")
        summary = ok(client.get("/api/v1/billing/summary", params={"period": PERIOD}))
        assert summary == period_summary(ctx, actor="cashier", period=PERIOD).as_json()
        assert summary["by_state"] == {"approved": 2, "flagged": 1}
        kpis = ok(client.get("/api/v1/kpis/billing", params={"period": PERIOD}))
        assert kpis == bill_kpis(ctx, actor="cashier", period=PERIOD).as_json()
        assert kpis["review"]["flagged_by_code"] == {"ESTIMATED": 1}

    def test_bills_are_listed_by_state_and_route_book_page_by_page(self, ctx: AppContext) -> None:
        run_and_review(ctx, estimated=("A0003",))
        client = as_staff(ctx, "inspector")
        first = ok(client.get("/api/v1/bills", params={"period": PERIOD, "route_book": BOOK, "limit": 2}))
        assert (first["total"], [b["account_no"] for b in first["items"]]) == (3, ["A0001", "A0002"])
        rest = ok(client.get("/api/v1/bills", params={"period": PERIOD, "limit": 2, "offset": 2}))
        assert [b["account_no"] for b in rest["items"]] == ["A0003"]
        flagged = ok(client.get("/api/v1/bills", params={"state": "flagged"}))
        assert [(b["account_no"], b["state"]) for b in flagged["items"]] == [("A0003", "flagged")]
        assert all(isinstance(b["total"], str) and isinstance(b["kwh"], str) for b in first["items"])

    def test_the_html_document_of_a_draft_bill_says_it_is_not_issued(self, ctx: AppContext) -> None:
        run_and_review(ctx, estimated=())
        client = as_staff(ctx, "meter_reader")
        bill_id = ok(client.get("/api/v1/bills", params={"period": PERIOD}))["items"][0]["id"]
        page = client.get(f"/api/v1/bills/{bill_id}/document.html")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "待发行" in page.text and "客户1" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert client.get("/api/v1/bills/999999/document.html").status_code == 404

    def test_without_a_cjk_font_the_pdf_is_refused_with_503_naming_no_path(self, ctx: AppContext) -> None:
        run_and_review(ctx, estimated=())
        settings = ctx.settings.model_copy(update={"cjk_font": Path("/nowhere/font.ttc")})
        fontless = replace(ctx, settings=settings)
        client = as_staff(fontless, "cashier")
        bill_id = ok(client.get("/api/v1/bills", params={"period": PERIOD}))["items"][0]["id"]
        answer = client.get(f"/api/v1/bills/{bill_id}/document.pdf")
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "/nowhere" not in answer.text and "M2C_CJK_FONT" in answer.json()["detail"]
