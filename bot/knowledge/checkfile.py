"""Loads data/eligibility_check.yaml into the core's EligibilityCheck, validating it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from bot.core import payloads
from bot.core.eligibility import CheckRule, EligibilityCheck, Option, Question
from bot.core.payloads import PayloadError
from bot.knowledge.fields import Distinct, OptionalText, Record, Slug, Text, fail
from bot.knowledge.files import DataFile, KnowledgeError

#: Question id -> the answer ids that satisfy it.
Condition = dict[Slug, Annotated[tuple[Text, ...], Distinct, Field(min_length=1)]]


class OptionRecord(Record):
    """One answer button: its id and its English label."""

    id: Text
    label: Text


class QuestionRecord(Record):
    """One question, asked only when `ask_if` holds."""

    id: Slug
    text: Text
    options: Annotated[tuple[OptionRecord, ...], Field(min_length=1)]
    ask_if: Condition | None = None

    @model_validator(mode="after")
    def _payloads_fit(self) -> QuestionRecord:
        """Each answer's button payload (`el:<question>:<option>`) fits and reads back."""
        for index, option in enumerate(self.options):
            try:
                payloads.check_answer(self.id, option.id)
            except PayloadError as err:
                fail(str(err), f"options[{index}]")
        return self


class RuleRecord(Record):
    """Answers that point to a pathway, and those that make it the closest one."""

    pathway: Slug
    when: Condition | None = None
    near: Condition | None = None
    missing: OptionalText = None


class CheckFile(Record):
    """The whole file: the questions, then the rules."""

    questions: Annotated[tuple[QuestionRecord, ...], Field(min_length=1)]
    rules: Annotated[tuple[RuleRecord, ...], Field(min_length=1)]


def _condition(
    raw: Condition | None, where: str, known: Mapping[str, set[str]]
) -> dict[str, frozenset[str]]:
    condition = {}
    for key, values in (raw or {}).items():
        if key not in known:
            raise KnowledgeError(f"{where}: unknown question {key!r}")
        answers = frozenset(values)
        if not answers <= known[key]:
            raise KnowledgeError(f"{where}: unknown answers {sorted(answers - known[key])}")
        condition[key] = answers
    return condition


def load_check(path: Path, pathway_ids: set[str]) -> EligibilityCheck:
    """Read and validate the check; every rule must name a pathway of data/pathways.yaml."""
    file = DataFile(path)
    document = file.validate(
        CheckFile, {"questions": ("question", "id"), "rules": ("rule", "pathway")}
    )
    known = {q.id: {o.id for o in q.options} for q in document.questions}
    questions = tuple(
        Question(
            q.id,
            q.text,
            tuple(Option(o.id, o.label) for o in q.options),
            _condition(q.ask_if, f"{file.label}: question {q.id!r}", known),
        )
        for q in document.questions
    )
    rules = []
    for raw in document.rules:
        where = f"{file.label}: rule for {raw.pathway!r}"
        if raw.pathway not in pathway_ids:
            raise KnowledgeError(f"{where}: no such pathway in pathways.yaml")
        rules.append(
            CheckRule(
                raw.pathway,
                _condition(raw.when, where, known),
                _condition(raw.near, where, known),
                raw.missing,
            )
        )
    return EligibilityCheck(questions, tuple(rules))
