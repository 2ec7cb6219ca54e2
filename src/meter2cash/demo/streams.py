"""Random streams of the demo: one independent `numpy.random.Generator` per part of the bureau,
all derived from the seed (``default_rng([seed, part])``), so changing one part (say, the names)
leaves every other part of the same seed unchanged. Nothing else makes random numbers."""

from __future__ import annotations

import numpy as np

STREAMS = {
    "population": 1,
    "names": 2,
    "consumption": 3,
    "tou": 4,
    "faults": 5,
    "payments": 6,
    "readings": 7,
    "contracts": 8,
}


def stream(seed: int, name: str) -> np.random.Generator:
    """The random stream of one part of the bureau."""
    return np.random.default_rng([seed, STREAMS[name]])
