"""What a service call needs from the platform: the session factory, the clock, the settings.

The composition root (`meter2cash.interfaces.bootstrap`) builds one `AppContext`; tests build
their own with a `FixedClock` and a test database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from meter2cash.platform.clock import Clock
from meter2cash.platform.db import session_factory, unit_of_work
from meter2cash.platform.permissions import Action
from meter2cash.platform.settings import Settings
from meter2cash.platform.users import Actor, require, resolve_actor


@dataclass(frozen=True)
class AppContext:
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    settings: Settings

    @classmethod
    def create(cls, *, engine: Engine, clock: Clock, settings: Settings) -> AppContext:
        return cls(engine=engine, sessions=session_factory(engine), clock=clock, settings=settings)


@contextmanager
def use_case(ctx: AppContext, *, actor: str | None, action: Action) -> Iterator[tuple[Session, Actor]]:
    """Open one unit of work as a named, authorised user.

    Refuses unknown users and actions the user's roles do not grant before anything is done.
    Everything written inside — the change and its audit record — commits together or not at all.
    """
    with unit_of_work(ctx.sessions) as session:
        who = resolve_actor(session, username=actor)
        require(who, action)
        yield session, who
