"""Schemathesis drives every operation of the OpenAPI document with generated requests, as an
administrator with a token for every action, against a priced and reviewed bureau on SQLite: no
request may make the server fail (5xx), and every answer must match the documented schema."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from api_helpers import PERIOD, bureau
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.review import review_bills
from meter2cash.interfaces.web.app import create_app
from meter2cash.platform.api_tokens import issue_token
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine, unit_of_work
from meter2cash.platform.permissions import Action
from meter2cash.platform.settings import Settings
from sqlite_copies import START, sqlite_context

APP = create_app(
    AppContext.create(
        engine=make_engine("sqlite://"),
        clock=FixedClock(START),
        settings=Settings(data_dir=Path(tempfile.gettempdir()), secret_key="schemathesis"),
    )
)  # the schema is read now; each test runs on the bureau below (``fuzzed`` binds it)


@pytest.fixture(scope="module")
def fuzzed(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AppContext, str]]:
    """A bureau whose bills of the period are priced and reviewed, and an admin token for all."""
    ctx = sqlite_context(sqlite_template, tmp_path_factory.mktemp("fuzz"))
    bureau(ctx, estimated=("A0002", "A0003"))
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    with unit_of_work(ctx.sessions) as session:
        now = ctx.clock.now()
        _row, token = issue_token(
            session,
            actor="admin",
            at=now,
            username="admin",
            name="fuzz",
            scopes=set(Action),
            expires_at=now + timedelta(days=1),
        )
    placeholder = APP.state.ctx
    APP.state.ctx = ctx
    yield ctx, token
    APP.state.ctx = placeholder
    ctx.engine.dispose()


# Left out, with the reason: a request that fits the schema may still be refused by the service,
# e.g. approving a bill that is not flagged (422 by design, docs/api.md).
NOT_CHECKED = [positive_data_acceptance]
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_makes_the_server_fail(
    case: schemathesis.Case, fuzzed: tuple[AppContext, str]
) -> None:
    _ctx, token = fuzzed
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=NOT_CHECKED)
