"""The steps of a demo build, and how the build reports its progress through them."""

from __future__ import annotations

from typing import Protocol

GENERATE = "generate"
FILES = "files"
ROUTE_BOOKS, AREAS, ACCOUNTS = "route-books", "areas", "accounts"  # the archive import kinds
ENERGY_SPLITS = "energy-splits"  # 定量定比, imported after the accounts
REPLACEMENTS = "replacements"
STEPS = (GENERATE, FILES, ROUTE_BOOKS, AREAS, ACCOUNTS, ENERGY_SPLITS, REPLACEMENTS)


class Progress(Protocol):
    """Where the build reports how far it got (a CLI shows progress bars)."""

    def start(self, step: str, total: int | None) -> None: ...

    def update(self, step: str, done: int) -> None: ...


class Silent:
    def start(self, step: str, total: int | None) -> None:
        pass

    def update(self, step: str, done: int) -> None:
        pass
