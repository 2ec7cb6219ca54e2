"""Query and form fields the console pages share, checked before any service is called: a bad
value is answered 422 with the field named, and nothing is read or written."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN)]
RouteBookQuery = Annotated[str | None, Query(max_length=32)]
PeriodForm = Annotated[str, Form(pattern=PERIOD_PATTERN)]
RouteBookForm = Annotated[str, Form(min_length=1, max_length=32)]
ReasonForm = Annotated[str, Form(max_length=500)]
