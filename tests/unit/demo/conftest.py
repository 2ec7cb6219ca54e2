"""A demo bureau generated once per test session (generation is pure and deterministic)."""

from __future__ import annotations

import pytest

from meter2cash.demo.generate import DemoBureau, generate
from meter2cash.demo.spec import DemoSpec


@pytest.fixture(scope="session")
def demo() -> DemoBureau:
    return generate(DemoSpec(accounts=2_000, seed=7))
