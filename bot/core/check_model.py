"""The eligibility check's model: questions, answer options and the rules that map answers to
pathways. Loaded from data/eligibility_check.yaml; walked by the steps in `eligibility`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Option:
    """One answer button."""

    id: str
    label: str  # English, translated through the catalogs


@dataclass(frozen=True, slots=True)
class Question:
    """One question, asked only when `ask_if` holds for the answers so far."""

    id: str
    text: str
    options: tuple[Option, ...]
    ask_if: Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class CheckRule:
    """Answers that point to a pathway; `near` answers make it the closest one."""

    pathway: str
    when: Mapping[str, frozenset[str]]
    near: Mapping[str, frozenset[str]]
    missing: str | None


def _holds(condition: Mapping[str, frozenset[str]], answers: Mapping[str, str]) -> bool:
    return all(answers.get(key) in allowed for key, allowed in condition.items())


@dataclass(frozen=True, slots=True)
class EligibilityCheck:
    """The questions and rules of the check."""

    questions: tuple[Question, ...]
    rules: tuple[CheckRule, ...]

    def next_question(self, answers: Mapping[str, str]) -> Question | None:
        """The first question not answered yet that applies."""
        for question in self.questions:
            if question.id not in answers and _holds(question.ask_if, answers):
                return question
        return None

    def question(self, question_id: str) -> Question | None:
        """A question by id."""
        return next((q for q in self.questions if q.id == question_id), None)

    def evaluate(self, answers: Mapping[str, str]) -> tuple[list[str], list[CheckRule]]:
        """Pathways that fit, and, when none does, the near rules (closest first)."""
        fits = [r.pathway for r in self.rules if _holds(r.when, answers)]
        if fits:
            return list(dict.fromkeys(fits)), []
        near = [r for r in self.rules if r.near and _holds(r.near, answers)]
        return [], near
