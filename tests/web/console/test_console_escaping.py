"""A customer called ``<script>alert(1)</script>`` is shown as text, escaped, on every console page
and document where the name appears — never run."""

from __future__ import annotations

from console_setup import ESCAPED, XSS, bureau

from meter2cash.platform.context import AppContext
from web_client import staff_client


def test_a_customer_name_with_a_script_is_escaped_everywhere_it_appears(ctx: AppContext) -> None:
    ids = bureau(ctx, name=XSS)
    client = staff_client(ctx, "manager")
    pages = [
        "/customers?q=script",
        "/customers/A0001",
        "/reading?period=2026-07&route_book=RB01",
        "/bills?period=2026-06&route_book=RB01",
        f"/bills/{ids['A0001']}",
        f"/bills/{ids['A0001']}/document.html",
        "/customers?q=script&lang=en",
    ]
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert XSS not in answer.text, path
        assert ESCAPED in answer.text, path
    search = client.get("/customers", params={"q": XSS}).text
    assert XSS not in search and ESCAPED in search  # the search term shown back
