"""Loads data/eligibility_check.yaml into the core's EligibilityCheck, validating it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.core.eligibility import CheckRule, EligibilityCheck, Option, Question
from bot.knowledge.loader import KnowledgeError


def _condition(raw: Any, where: str, known: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{where}: must be a mapping of question id to answer ids")
    condition = {}
    for key, values in raw.items():
        if key not in known:
            raise KnowledgeError(f"{where}: unknown question {key!r}")
        answers = frozenset(str(v) for v in values)
        if not answers <= known[key]:
            raise KnowledgeError(f"{where}: unknown answers {sorted(answers - known[key])}")
        condition[str(key)] = answers
    return condition


def load_check(path: Path, pathway_ids: set[str]) -> EligibilityCheck:
    """Read and validate the check; every rule must name a pathway of data/pathways.yaml."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise KnowledgeError(f"{path.name}: {err}") from err
    known: dict[str, set[str]] = {}
    questions = []
    for raw in document["questions"]:
        options = tuple(Option(str(o["id"]), str(o["label"])) for o in raw["options"])
        known[str(raw["id"])] = {o.id for o in options}
        questions.append((raw, options))
    built = tuple(
        Question(
            str(raw["id"]),
            str(raw["text"]),
            options,
            _condition(raw.get("ask_if"), f"{path.name}: question {raw['id']!r}", known),
        )
        for raw, options in questions
    )
    rules = []
    for raw in document["rules"]:
        where = f"{path.name}: rule for {raw.get('pathway')!r}"
        if raw.get("pathway") not in pathway_ids:
            raise KnowledgeError(f"{where}: no such pathway in pathways.yaml")
        rules.append(
            CheckRule(
                str(raw["pathway"]),
                _condition(raw.get("when"), where, known),
                _condition(raw.get("near"), where, known),
                str(raw["missing"]) if raw.get("missing") else None,
            )
        )
    return EligibilityCheck(built, tuple(rules))
