"""Fixtures of the API tests: a database shared by a module's checks that write nothing (one per
backend)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from meter2cash.platform.context import AppContext
from sqlite_copies import START, postgres_copy, sqlite_context

PG_URL = os.environ.get("M2C_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="module", params=BACKENDS)
def shared_ctx(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppContext]:
    """One database for a whole module whose tests write nothing (refusals, reads)."""
    folder = tmp_path_factory.mktemp("shared")
    if request.param == "sqlite":
        context = sqlite_context(request.getfixturevalue("sqlite_template"), folder, start=START)
        yield context
        context.engine.dispose()
        return
    with postgres_copy(request.getfixturevalue("pg_template"), folder, prefix="m2c_api") as context:
        yield context
