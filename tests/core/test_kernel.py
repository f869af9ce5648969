"""The matcher's inner loop in C (bot/core/_kernel.c) against its numpy version.

`pip install -e .` compiles it where a C compiler is; without one the matcher uses numpy, so
these tests skip there, but fail under CI=true, where the compiled path is what runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.app import Resources
from bot.config import ConfigError, Settings
from bot.core import intents
from bot.core.intents import Matcher

ROOT = Path(__file__).resolve().parents[2]

if intents._kernel is None:
    reason = "bot/core/_kernel.c is not compiled (pip install -e . needs a C compiler)"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

kernel = intents._kernel


def _questions() -> list[str]:
    """Every question of the project's test sets and the held-out set, in nine languages."""
    files = sorted((ROOT / "tests" / "nlu").glob("??.yaml"))
    files += sorted((ROOT / "tests" / "nlu" / "unseen").glob("??.yaml"))
    files.append(ROOT / "tests" / "nlu" / "pathways.yaml")
    texts = [c["text"] for f in files for c in yaml.safe_load(f.read_text("utf-8"))["cases"]]
    return [*texts, "", "blorp zxqv", "?!", "a" * 5000, "永居证 renouveler 1500 ¥"]


def _close(matcher: Matcher, text: str, compiled: bool) -> tuple[object, bool]:
    repaired, allowed = matcher._analyse(text)
    if not repaired:  # nothing left to match ("?!"): the matcher stops before this
        return None, False
    matcher.compiled = compiled
    try:
        return matcher._similarities(matcher._features(repaired), allowed)
    finally:
        matcher.compiled = True


@pytest.mark.parametrize("which", ["matcher", "pathways"])
def test_c_and_numpy_find_the_same_examples_to_the_last_bit(
    resources: Resources, which: str
) -> None:
    matcher: Matcher = getattr(resources, which)
    assert matcher.compiled
    compared = met = 0
    for text in _questions():
        fast, fast_lexical = _close(matcher, text, True)
        slow, slow_lexical = _close(matcher, text, False)
        assert fast_lexical == slow_lexical, text
        if slow is None:
            assert fast is None, text
            continue
        assert isinstance(fast, tuple) and isinstance(slow, tuple)
        assert fast[0].dtype == np.int64 and fast[1].dtype == np.float64
        assert np.array_equal(fast[0], slow[0]), text
        assert np.array_equal(fast[1], slow[1]), text  # exact, not approximately
        compared += 1
        met += len(fast[0])
    assert compared > 3000 and met > 20 * compared  # the loop did meet examples


@pytest.mark.parametrize("which", ["matcher", "pathways"])
def test_c_and_numpy_rank_the_same_neighbours(resources: Resources, which: str) -> None:
    """Per intent the same sums of the best similarities and the same best example, per
    language the same best similarity, to the last bit; the ridge scores as numpy's float32
    product gives them, within its rounding (C sums them in double)."""
    matcher: Matcher = getattr(resources, which)
    compared = 0
    for text in _questions():
        close, _ = _close(matcher, text, True)
        if close is None:
            continue
        assert isinstance(close, tuple)
        examples, similarity = close
        if not len(examples):
            continue
        parts = kernel.aggregate(
            examples,
            similarity,
            matcher._doc_intent,
            intents._NEIGHBOUR_WEIGHTS,
            len(matcher._intent_names),
            matcher._alpha.reshape(-1),
            matcher._language_starts,
        )
        sums, best, ridge, top = matcher._neighbours(examples, similarity)
        assert np.array_equal(np.frombuffer(parts[0]), sums), text
        assert np.array_equal(np.frombuffer(parts[1], np.int64), best), text
        assert np.array_equal(np.frombuffer(parts[3]), top), text
        # float32 sums of terms up to 32,767 steps cancel: their rounding is relative to the
        # size of the terms summed, not to the sum (which may be near 0)
        terms = 0.0
        if len(matcher._alpha):  # the pathway matcher has no ridge classifier
            terms = np.abs(similarity) @ np.abs(matcher._alpha[examples].astype(np.float64))
        tolerance = 1e-5 * terms + 1e-3
        assert np.all(np.abs(np.frombuffer(parts[2], np.float32) - ridge) <= tolerance), text
        compared += 1
    assert compared > 3000


def test_every_verdict_is_the_same_either_way(resources: Resources) -> None:
    """The same intent, language and flags for every test question; scores within 1e-5."""
    matcher = resources.matcher
    for text in _questions():
        matcher.compiled = False
        try:
            slow = matcher._match(text)
        finally:
            matcher.compiled = True
        fast = matcher._match(text)
        verdict = ("intent", "language", "out_of_scope", "immigration", "other", "keyworded")
        assert [getattr(fast, f) for f in verdict] == [getattr(slow, f) for f in verdict], text
        fast_scores = {s.intent: s.score for s in fast.ranked}
        slow_scores = {s.intent: s.score for s in slow.ranked}
        assert fast_scores.keys() == slow_scores.keys(), text
        assert all(abs(fast_scores[i] - slow_scores[i]) < 1e-5 for i in fast_scores), text
        assert abs(fast.out_score - slow.out_score) < 1e-5, text


_LEVELS = np.arange(256, dtype=np.float64)  # code c weighs c


def _arrays(docs: list[int], runs: list[int]) -> list[np.ndarray]:
    """One feature with one entry (language 0 of one, three examples): its postings."""
    return [
        np.array(docs, np.uint16),
        np.ones(len(docs), np.uint8),
        _LEVELS,
        np.array(runs, np.uint32),
        np.array([0, 1], np.uint32),  # df_bounds
        np.array([0], np.uint8),  # df_languages
        np.array([0], np.int64),  # numbers
        np.array([1.0]),  # repeated
        np.array([1.0]),  # factors
        np.array([0, 3], np.int64),  # language_starts
    ]


def test_the_sums_weights_repeats_and_language_factors() -> None:
    # language 0: examples 0-1, language 1: examples 2-3 (numbered 0-1 within it);
    # feature 0 in examples 0 (language 0) and 2 (language 1); feature 1 in 2 and 3
    docs = np.array([0, 0, 0, 1], np.uint16)
    weights = np.array([10, 20, 30, 1], np.uint8)
    runs = np.array([0, 1, 2, 4], np.uint32)  # entries: (0, lang 0), (0, lang 1), (1, lang 1)
    df_bounds = np.array([0, 2, 3], np.uint32)
    df_languages = np.array([0, 1, 1], np.uint8)
    numbers = np.array([0, 1], np.int64)
    repeated = np.array([1.0, 2.0])
    starts = np.array([0, 2, 4], np.int64)
    index = (docs, weights, _LEVELS, runs, df_bounds, df_languages, numbers, repeated)
    examples, similarities = kernel.close(*index, np.array([0.01, 0.001]), starts, 0.05)
    # example 0: 10 * 0.01; example 2: (20 + 60) * 0.001 = 0.08; example 3: 0.002 < floor
    assert np.frombuffer(examples, np.int64).tolist() == [0, 2]
    assert np.frombuffer(similarities).tolist() == [0.1, (20.0 + 30.0 * 2.0) * 0.001]
    # a language ruled out (factor 0) has no close example
    examples, _ = kernel.close(*index, np.array([0.0, 0.001]), starts, 0.05)
    assert np.frombuffer(examples, np.int64).tolist() == [2]


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32, np.int32])
def test_examples_numbered_in_16_or_32_bits(dtype: type) -> None:
    """Over 65,536 examples in a language the index numbers them in int32
    (`_PostingsBuilder.build`)."""
    arrays = _arrays([0, 2], [0, 2])
    arrays[0] = np.array([0, 2], dtype)
    examples, similarities = kernel.close(*arrays, 0.5)
    assert np.frombuffer(examples, np.int64).tolist() == [0, 2]
    assert np.frombuffer(similarities).tolist() == [1.0, 1.0]
    arrays[0] = np.array([0, -1], np.int32)
    with pytest.raises(ValueError, match="outside the examples"):
        kernel.close(*arrays, 0.5)


def test_a_corrupt_index_is_an_error_not_a_crash() -> None:
    arrays = _arrays([0, 3], [0, 2])  # example 3 of the language's 3
    with pytest.raises(ValueError, match="outside the examples"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 9])  # a run past the postings
    with pytest.raises(ValueError, match="outside the examples"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 2])
    arrays[4] = np.array([0, 2], np.uint32)  # entries past the entries
    with pytest.raises(ValueError, match="outside the examples"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 2])
    arrays[5] = np.array([1], np.uint8)  # language 1 of 1
    with pytest.raises(ValueError, match="outside the examples"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 2])
    arrays[6] = np.array([1], np.int64)  # feature 1 of 1
    with pytest.raises(ValueError, match="outside the examples"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 2])
    arrays[1] = np.ones(2, np.uint16)
    with pytest.raises(TypeError, match="weights"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 2])
    arrays[5] = np.array([0], np.uint16)
    with pytest.raises(TypeError, match="df_languages"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 2])
    arrays[2] = _LEVELS[:255]  # a level short
    with pytest.raises(ValueError, match="lengths"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 2])
    arrays[3] = np.array([0, 1, 2], np.uint32)  # a run more than entries
    with pytest.raises(ValueError, match="lengths"):
        kernel.close(*arrays, 0.05)
    arrays = _arrays([0, 1], [0, 2])
    arrays[7] = np.ones(2)
    with pytest.raises(ValueError, match="lengths"):
        kernel.close(*arrays, 0.05)


def test_aggregate_refuses_what_is_not_an_index() -> None:
    doc_intent = np.array([0, 1, 1], np.uint8)
    weights = np.array([1.0, 0.5])
    starts = np.array([0, 3], np.int64)
    alpha = np.zeros(0, np.int8)
    similarity = np.array([0.5, 0.4])
    with pytest.raises(ValueError, match="ascend"):
        kernel.aggregate(
            np.array([2, 1], np.int64), similarity, doc_intent, weights, 2, alpha, starts
        )
    with pytest.raises(ValueError, match="intent is out of range"):
        kernel.aggregate(
            np.array([0, 1], np.int64), similarity, doc_intent, weights, 1, alpha, starts
        )
    with pytest.raises(ValueError, match="lengths"):
        kernel.aggregate(
            np.array([0, 1], np.int64),
            similarity,
            doc_intent,
            weights,
            2,
            np.ones(5, np.int8),
            starts,
        )
    parts = kernel.aggregate(
        np.array([0, 1, 2], np.int64),
        np.array([0.2, 0.3, 0.9]),
        doc_intent,
        weights,
        2,
        alpha,
        starts,
    )
    # intent 1: best 0.9 (example 2), then 0.3 at half weight
    assert np.frombuffer(parts[0]).tolist() == [0.2, 0.9 + 0.3 * 0.5]
    assert np.frombuffer(parts[1], np.int64).tolist() == [0, 2]
    assert np.frombuffer(parts[3]).tolist() == [0.9]


def test_prbot_kernel_off_uses_numpy_and_a_typo_is_refused() -> None:
    assert Settings.from_env({}, Path("-")).kernel
    assert not Settings.from_env({"PRBOT_KERNEL": "off"}, Path("-")).kernel
    with pytest.raises(ConfigError, match="PRBOT_KERNEL must be 'on' or 'off', got 'of'"):
        Settings.from_env({"PRBOT_KERNEL": "of"}, Path("-"))
