"""Types of bot/core/_kernel.c, the matcher's inner loop in C."""

import numpy as np

def close(
    docs: np.ndarray,
    weights: np.ndarray,
    levels: np.ndarray,
    runs: np.ndarray,
    df_bounds: np.ndarray,
    df_languages: np.ndarray,
    numbers: np.ndarray,
    repeated: np.ndarray,
    factors: np.ndarray,
    language_starts: np.ndarray,
    floor: float,
    /,
) -> tuple[bytes, bytes]: ...
def aggregate(
    close: np.ndarray,
    similarity: np.ndarray,
    doc_intent: np.ndarray,
    neighbour_weights: np.ndarray,
    intents: int,
    alpha: np.ndarray,
    language_starts: np.ndarray,
    /,
) -> tuple[bytes, bytes, bytes, bytes]: ...
