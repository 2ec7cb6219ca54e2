"""``m2c demo``: build the synthetic demo bureau."""

from __future__ import annotations


def demo() -> None:
    """Build the demo bureau."""
    raise NotImplementedError
