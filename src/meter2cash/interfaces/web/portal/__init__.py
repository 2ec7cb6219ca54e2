"""The customer portal (网上营业厅) under /portal: separate pages and session key, shared code."""

from __future__ import annotations

from fastapi import APIRouter

portal_router = APIRouter(include_in_schema=False)
