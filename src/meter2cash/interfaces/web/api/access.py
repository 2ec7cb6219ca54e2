"""Which action each API route needs, read from the route itself.

Every route takes its principal from ``Depends(requires(Action.X))`` (``web.auth``), the same
`Action` the CLI's services check. `required_action` finds that dependency on a route, so the
OpenAPI document, the documentation and the tests all read the one declaration: a route cannot
say one thing and check another.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from meter2cash.platform.permissions import Action

_PREFIX = "requires_"


def required_action(route: APIRoute) -> Action | None:
    """The action of the route's ``requires`` dependency, or None when it has none."""
    for dependency in route.dependant.dependencies:
        name = getattr(dependency.call, "__name__", "")
        if name.startswith(_PREFIX):
            return Action[name.removeprefix(_PREFIX).upper()]
    return None


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """The API routes declared in ``routes`` and in the routers included there (as declared,
    without the prefixes they are mounted under)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)  # FastAPI keeps an included router whole
        if isinstance(nested, APIRouter):
            yield from api_routes(nested.routes)


def document_required_actions(router: APIRouter) -> None:
    """Write each route's action into its OpenAPI description and ``x-required-action``; call it
    before the router is included in the app."""
    for route in api_routes(router.routes):
        action = required_action(route)
        if action is None:
            continue
        note = f"Needs `{action.value}` (a role that grants it; a token scoped for it)."
        route.description = f"{route.description}\n\n{note}".strip()
        route.openapi_extra = {**(route.openapi_extra or {}), "x-required-action": action.value}
