"""The customer portal (网上营业厅) under /portal: separate pages and session key, shared code."""

from __future__ import annotations

from fastapi import APIRouter

from meter2cash.interfaces.web.portal import gateway_pages, home, login, pay, reminders

portal_router = APIRouter(include_in_schema=False)
portal_router.include_router(login.router)
portal_router.include_router(home.router)
portal_router.include_router(reminders.router)
portal_router.include_router(pay.router)
portal_router.include_router(gateway_pages.router)
