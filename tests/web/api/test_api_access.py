"""Every operation of the API, read from the app's own routes, is closed to an anonymous caller
(401), to a role or a token scope that does not grant its action (403), and refuses bad input
(422) — each as problem details, with nothing written. A new endpoint joins these tables or the
coverage test fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from api_helpers import ApiRoute, api_routes
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from meter2cash.platform.permissions import Action, Role, roles_allowed
from web_client import staff_client, token_client, web_client

ROUTES = [r for r in api_routes() if r.path != "/api/v1/me"]  # /me: any authenticated user
PATH_VALUES = {"account_no": "A0001", "bill_id": "1", "exception_id": "1", "edit_id": "1", "code": "MX-RES-1"}
REASON = {"reason": "核实"}


@dataclass(frozen=True)
class Call:
    """A request to an operation: values for its path, query and JSON body."""

    path: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None


# One refused input per operation: the 422 it must give, before anything is looked up or written.
BAD_INPUT: dict[str, Call] = {
    "GET /api/v1/accounts": Call(params={"limit": 0}),
    "GET /api/v1/accounts/{account_no}": Call(path={"account_no": "A%00"}),
    "GET /api/v1/accounts/{account_no}/determinants": Call(params={"period": "2026-13"}),
    "GET /api/v1/reading/tasks": Call(params={"period": "2026-6", "route_book": "RB01"}),
    "GET /api/v1/reading/exceptions": Call(params={"state": "closed"}),
    "POST /api/v1/reading/exceptions/{exception_id}/confirm": Call(body={}),
    "POST /api/v1/reading/exceptions/{exception_id}/reread": Call(body={"reason": "   "}),
    "POST /api/v1/reading/exceptions/{exception_id}/edits": Call(body={"values": {}, "reason": "抄错"}),
    "POST /api/v1/reading/edits/{edit_id}/approve": Call(path={"edit_id": "0"}, body=REASON),
    "POST /api/v1/reading/edits/{edit_id}/reject": Call(path={"edit_id": "abc"}, body=REASON),
    "GET /api/v1/tariffs": Call(params={"on": "2026-02-30"}),
    "GET /api/v1/tariffs/{code}": Call(params={"on": "tomorrow"}),
    "POST /api/v1/quotes": Call(body=["not", "an", "object"]),
    "POST /api/v1/billing/runs": Call(body={"period": "2026-6"}),
    "POST /api/v1/billing/reviews": Call(body={"period": "2026-06", "route_book": ""}),
    "GET /api/v1/billing/review-queue": Call(params={"limit": 201}),
    "POST /api/v1/billing/issues": Call(body={"period": "2026-06"}),
    "GET /api/v1/billing/summary": Call(),
    "GET /api/v1/bills": Call(params={"state": "paid"}),
    "GET /api/v1/bills/{bill_id}": Call(path={"bill_id": "0"}),
    "POST /api/v1/bills/{bill_id}/approve": Call(body={"reason": 5}),
    "POST /api/v1/bills/{bill_id}/reject": Call(body={"reason": "示数疑似抄错", "back_to": "nowhere"}),
    "GET /api/v1/bills/{bill_id}/document.pdf": Call(path={"bill_id": str(2**40)}),
    "GET /api/v1/bills/{bill_id}/document.html": Call(path={"bill_id": "-1"}),
    "GET /api/v1/kpis/reading": Call(params={"period": "2026/06"}),
    "GET /api/v1/kpis/billing": Call(params={"period": "2026-00"}),
    "POST /api/v1/payments": Call(
        body={"account_no": "A0001", "amount": 10, "agent": "wechat", "agent_ref": "R1"}  # a JSON number
    ),
    "GET /api/v1/accounts/{account_no}/balance": Call(path={"account_no": "A%00"}),
}


def send(client: TestClient, route: ApiRoute, call: Call | None = None) -> Response:
    call = call or Call()
    url = route.path.format(**(PATH_VALUES | call.path))
    if route.method == "GET":
        return client.get(url, params=call.params)
    return client.request(
        route.method, url, params=call.params, json=call.body if call.body is not None else {}
    )


def assert_problem(answer: Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert body["status"] == status and body["title"]
    assert "Traceback" not in answer.text
    return body


class Clients:
    """The module's clients, made once each: logins check an argon2 hash, which is slow."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.anonymous = web_client(ctx)
        self.admin = token_client(ctx, "admin", set(Action))
        self._staff: dict[Role, TestClient] = {}
        self._tokens: dict[Action, TestClient] = {}

    def staff(self, role: Role) -> TestClient:
        if role not in self._staff:
            self._staff[role] = staff_client(self.ctx, role.value)
        return self._staff[role]

    def token_without(self, action: Action) -> TestClient:
        """An administrator's token scoped for every action but ``action``."""
        if action not in self._tokens:
            self._tokens[action] = token_client(self.ctx, "admin", set(Action) - {action})
        return self._tokens[action]


@pytest.fixture(scope="module")
def clients(shared_ctx: AppContext) -> Clients:
    return Clients(shared_ctx)


def audit_records(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(select(func.count(AuditRecord.seq))) or 0)


def a_role_without(action: Action) -> Role | None:
    lacking = sorted(set(Role) - roles_allowed(action))
    return lacking[0] if lacking else None


class TestTheTablesCoverEveryOperation:
    def test_every_operation_of_the_api_has_a_bad_input_case(self) -> None:
        assert sorted(r.key for r in ROUTES) == sorted(BAD_INPUT)

    def test_every_operation_but_me_needs_a_named_action(self) -> None:
        assert [r.key for r in ROUTES if r.action is None] == []


@pytest.mark.parametrize("route", [*api_routes()], ids=lambda r: r.key)
def test_an_anonymous_caller_gets_401_problem_details(clients: Clients, route: ApiRoute) -> None:
    body = assert_problem(send(clients.anonymous, route), 401)
    assert body["detail"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_a_token_scoped_for_other_actions_gets_403(clients: Clients, route: ApiRoute) -> None:
    assert route.action is not None
    client = clients.token_without(route.action)
    before = audit_records(clients.ctx)
    body = assert_problem(send(client, route), 403)
    assert route.action.value in body["detail"]
    assert audit_records(clients.ctx) == before


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.action and a_role_without(r.action)], ids=lambda r: r.key
)
def test_a_staff_session_whose_roles_lack_the_action_gets_403(clients: Clients, route: ApiRoute) -> None:
    assert route.action is not None
    role = a_role_without(route.action)
    assert role is not None
    assert_problem(send(clients.staff(role), route), 403)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.key)
def test_bad_input_gets_422_and_writes_nothing(clients: Clients, route: ApiRoute) -> None:
    before = audit_records(clients.ctx)
    assert_problem(send(clients.admin, route, BAD_INPUT[route.key]), 422)
    assert audit_records(clients.ctx) == before


def test_a_session_write_without_the_csrf_header_gets_403(shared_ctx: AppContext) -> None:
    client = staff_client(shared_ctx, "reviewer")
    del client.headers["X-CSRF-Token"]
    assert_problem(client.post("/api/v1/bills/1/approve", json=REASON), 403)
