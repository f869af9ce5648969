"""No test sentence is also an example the matchers learn from.

Both test sets are checked: the held-out questions (tests/nlu/unseen/ to unseen7/, dev_ar/,
dev3/, dev4/, written by people who never saw the examples) and the project's labelled set
(tests/nlu/<lang>.yaml, tests/nlu/pathways.yaml). A sentence in both would measure memory,
not understanding.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from bot.core.intents import normalize

ROOT = Path(__file__).resolve().parents[2]
NLU = ROOT / "tests" / "nlu"
# the first held-out set, the second written blind in the eighth session, the third and the
# fourth in the ninth, the fifth in the tenth, the sixth (with the status topic) in the
# eleventh, the seventh in the thirteenth; an Arabic development set of the eleventh;
# development sets in five languages of the twelfth (dev3) and in six of the thirteenth (dev4)
SETS = (
    "unseen",
    "unseen2",
    "unseen3",
    "unseen4",
    "unseen5",
    "unseen6",
    "unseen7",
    "dev_ar",
    "dev3",
    "dev4",
)
UNSEEN = [p for s in SETS for p in sorted((NLU / s).glob("??.yaml"))]
PROJECT = sorted(NLU.glob("??.yaml"))


@cache
def _examples(language: str) -> frozenset[str]:
    found: set[str] = set()
    for folder in ("intents", "pathway_intents"):
        path = ROOT / "data" / folder / f"{language}.yaml"
        if not path.exists():
            continue
        document = yaml.safe_load(path.read_text("utf-8"))
        for spec in document["intents"].values():
            found.update(normalize(str(e)) for e in spec["examples"])
        rejected = (document.get("out_of_scope") or {}).get("examples") or ()
        found.update(normalize(str(e)) for e in rejected)
    return frozenset(found)


def _shared(cases: list[dict[str, str]], default_language: str | None = None) -> list[str]:
    return [
        c["text"]
        for c in cases
        if normalize(c["text"]) in _examples(c.get("language") or str(default_language))
    ]


@pytest.mark.parametrize(
    "path", UNSEEN + PROJECT, ids=[f"{p.parent.name}/{p.stem}" for p in UNSEEN + PROJECT]
)
def test_no_test_question_is_a_training_example(path: Path) -> None:
    document = yaml.safe_load(path.read_text("utf-8"))
    shared = _shared(document["cases"], document["language"])
    assert shared == [], f"{len(shared)} test questions are also examples: {shared[:5]}"


def test_no_pathway_test_question_is_a_training_example() -> None:
    document = yaml.safe_load((NLU / "pathways.yaml").read_text("utf-8"))
    shared = _shared(document["cases"])
    assert shared == [], f"{len(shared)} pathway test questions are also examples: {shared[:5]}"


def test_the_check_sees_the_examples() -> None:
    """Guards the guard: an example copied into a test case is caught."""
    document = yaml.safe_load((ROOT / "data" / "intents" / "en.yaml").read_text("utf-8"))
    example = next(iter(document["intents"].values()))["examples"][0]
    assert _shared([{"text": f"  {example.upper()} "}], "en") == [f"  {example.upper()} "]


def test_there_is_a_held_out_set() -> None:
    assert len(UNSEEN) >= 4
    assert len(PROJECT) == 9
