"""The held-out questions (tests/nlu/unseen/) were written by someone who never saw the
examples the matcher learns from; this keeps it so: no sentence may also be an example."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.intents import normalize

ROOT = Path(__file__).resolve().parents[2]
UNSEEN = sorted((ROOT / "tests" / "nlu" / "unseen").glob("??.yaml"))


def _examples(language: str) -> set[str]:
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
    return found


@pytest.mark.parametrize("path", UNSEEN, ids=[p.stem for p in UNSEEN])
def test_no_held_out_question_is_a_training_example(path: Path) -> None:
    document = yaml.safe_load(path.read_text("utf-8"))
    examples = _examples(document["language"])
    shared = [c["text"] for c in document["cases"] if normalize(c["text"]) in examples]
    assert shared == [], f"{len(shared)} held-out questions are also examples: {shared[:5]}"


def test_there_is_a_held_out_set() -> None:
    assert len(UNSEEN) >= 4
