"""The staff console (营销业务工作台): server-rendered pages (Jinja2 + HTMX), Chinese first.

One module per screen, each a router: the dashboard, Customer 360, reading tasks, the exception
queue, the tariff catalog, the quote tool, bills (summary, review queue, issue), one bill and its
document, the audit trail, and the counter (坐收柜台) with its receipts and reversals. Pages ask
``requires(Action)`` as the CLI's services do, and every write calls the service the matching
``m2c`` command calls (docs/web-console.md)."""

from __future__ import annotations

from fastapi import APIRouter

from meter2cash.interfaces.web.console import (
    audit_trail,
    bill_detail,
    bill_documents,
    bills,
    card_vend,
    counter,
    counter_reversals,
    customers,
    dashboard,
    disconnections,
    dunning,
    login,
    portal_enrol,
    quote_tool,
    reading_exceptions,
    reading_tasks,
    receipts,
    reconciliation,
    tariffs,
)

console_router = APIRouter(include_in_schema=False)
console_router.include_router(login.router)
console_router.include_router(dashboard.router)
console_router.include_router(customers.router)
console_router.include_router(reading_tasks.router)
console_router.include_router(reading_exceptions.router)
console_router.include_router(tariffs.router)
console_router.include_router(quote_tool.router)
console_router.include_router(bills.router)  # /bills/review and /bills/issue before /bills/{bill_id}
console_router.include_router(bill_detail.router)
console_router.include_router(bill_documents.router)
console_router.include_router(audit_trail.router)
console_router.include_router(portal_enrol.router)
console_router.include_router(counter.router)
console_router.include_router(counter_reversals.router)
console_router.include_router(receipts.router)
console_router.include_router(card_vend.router)
console_router.include_router(reconciliation.router)
console_router.include_router(dunning.router)
console_router.include_router(disconnections.router)
