"""Portal tests hash codes and passwords with cheap argon2 parameters: a test makes dozens of them,
and the parameters are read back from each hash, so verification behaves exactly as in production
(where ``PasswordHasher()``'s defaults apply)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

import meter2cash.platform.users
import meter2cash.registry.portal_access

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meter2cash.registry.portal_access, "_hasher", CHEAP)
    monkeypatch.setattr(meter2cash.platform.users, "_hasher", CHEAP)
    meter2cash.registry.portal_access._dummy_hash.cache_clear()
