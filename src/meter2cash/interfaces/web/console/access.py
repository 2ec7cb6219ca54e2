"""Who may open a console page that serves two kinds of work: e.g. the exception queue, where
clerks resolve exceptions and reviewers approve edits."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from meter2cash.interfaces.web.auth import Principal, principal
from meter2cash.platform.permissions import Action


def requires_any(*actions: Action) -> Callable[..., object]:
    """A dependency: the request's principal, refused unless allowed at least one of ``actions``
    (the refusal names the first); each write on the page still asks for its own action."""

    async def dependency(request: Request) -> Principal:
        who = await principal(request)
        if not any(who.may(action) for action in actions):
            who.check(actions[0])
        return who

    dependency.__name__ = "requires_any_" + "_".join(a.name.lower() for a in actions)
    return dependency
