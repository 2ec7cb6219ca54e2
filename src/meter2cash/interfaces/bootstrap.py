"""The composition root: the one place that reads settings, makes the engine and the real clock."""

from __future__ import annotations

from functools import cache

from meter2cash.platform.clock import SystemClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine
from meter2cash.platform.settings import Settings, load_settings


def build_context(settings: Settings | None = None) -> AppContext:
    settings = settings or load_settings()
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    return AppContext.create(engine=engine, clock=SystemClock(), settings=settings)


@cache
def default_context() -> AppContext:
    return build_context()
