"""Schemas and parameter types every API area shares: problem details, a page of results, and
the constrained strings (periods, codes, free text, decimals) that keep bad input at the door.

Money and energy travel as decimal strings, never JSON numbers: a binary float would round.
Free text refuses the NUL character, which PostgreSQL cannot store.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, StringConstraints

from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _

PERIOD_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"  # the years parse_period accepts
CODE_PATTERN = r"^[^\x00-\x1f\x7f]+$"  # printable: codes, numbers and names as the archive has them
TEXT_PATTERN = r"^[^\x00]*\S[^\x00]*$"  # some visible text, and no NUL
DECIMAL_PATTERN = r"^[0-9]{1,14}(\.[0-9]{1,4})?$"
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000
MAX_ID = 2**31 - 1

Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=CODE_PATTERN)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=TEXT_PATTERN)]
DecimalText = Annotated[str, StringConstraints(pattern=DECIMAL_PATTERN)]

PeriodQuery = Annotated[str, Query(pattern=PERIOD_PATTERN, description="Period YYYY-MM, e.g. 2026-10.")]
OptionalPeriodQuery = Annotated[
    str | None, Query(pattern=PERIOD_PATTERN, description="Period YYYY-MM; all periods when omitted.")
]
ROUTE_BOOK = Query(min_length=1, max_length=40, pattern=CODE_PATTERN, description="Route book (抄表段) code.")
RouteBookQuery = Annotated[str | None, ROUTE_BOOK]
RequiredRouteBookQuery = Annotated[str, ROUTE_BOOK]
DAY_QUERY = Query(
    pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    json_schema_extra={"format": "date"},
    description="A day, YYYY-MM-DD.",
)
DayQuery = Annotated[str | None, DAY_QUERY]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]


def id_path(what: str) -> Any:
    """A positive database id in the path (bounded: a larger number is no id, not a crash)."""
    return Path(ge=1, le=MAX_ID, description=what)


class ProblemOut(BaseModel):
    """An RFC 9457 problem (``application/problem+json``); ``problems`` names each refused field
    of an input, ``errors`` each malformed parameter."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    problems: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = None


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response of problem details (``application/problem+json`` only)."""
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ProblemOut.model_json_schema()}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_response("The body could not be read (not JSON, or not UTF-8)."),
    401: problem_response("No session or API token, or an expired or revoked token."),
    403: problem_response("The roles or the token's scopes do not allow it, four eyes, or no CSRF token."),
    404: problem_response("Not found."),
    422: problem_response("Malformed parameters, or input the service refused; nothing was written."),
}


class ReasonIn(BaseModel):
    """Why: required, and kept in the audit trail."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, at most ``limit``, of ``total`` in all."""

    items: list[T]
    total: int
    limit: int
    offset: int


def day_of(text: str | None) -> date | None:
    """The day a ``DayQuery`` names; refused (422) when there is no such day, e.g. 2026-02-30."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputRefused(_("No such day: {day} (YYYY-MM-DD)").format(day=text)) from None


def page_of(items: list[Any], *, total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def sliced(items: list[Any], *, limit: int, offset: int) -> dict[str, Any]:
    """A page cut from a list a service returned whole."""
    return page_of(items[offset : offset + limit], total=len(items), limit=limit, offset=offset)
