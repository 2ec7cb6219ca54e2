"""The staff console (营销业务工作台): server-rendered pages (Jinja2 + HTMX), Chinese first."""

from __future__ import annotations

from fastapi import APIRouter

from meter2cash.interfaces.web.console import dashboard, login

console_router = APIRouter(include_in_schema=False)
console_router.include_router(login.router)
console_router.include_router(dashboard.router)
