"""Types of bot/core/_kernel.c, the matcher's inner loop in C."""

import numpy as np

def close(
    docs: np.ndarray,
    weights: np.ndarray,
    bounds: np.ndarray,
    numbers: np.ndarray,
    repeated: np.ndarray,
    factors: np.ndarray,
    language_starts: np.ndarray,
    floor: float,
    /,
) -> tuple[bytes, bytes]: ...
