"""Measure the intent matcher: accuracy per language and topic, and out-of-scope handling.

    prbot evaluate [--tests tests/nlu] [--misses] [--folds 5]

A case labelled `none` (out of scope) is right when the matcher gives no confident intent;
it is *rejected* when the matcher declares it out of scope (the bot then says so and names
where to ask). An in-scope case declared out of scope is a false rejection. Besides the test
set, the examples themselves are cross-validated: each of k folds is matched by a matcher
built from the other folds' examples (keywords kept), so the figure shows how the matcher
does on phrasings it has not learned.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.core.dialogue import pathways_of, placed_intent, said_outside
from bot.core.intents import Matcher, normalize
from bot.knowledge.examples import MatcherTables

NONE = "none"


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled question."""

    language: str
    text: str
    intent: str


@dataclass(slots=True)
class Report:
    """Counts of right answers, per language and per intent, and the confusions."""

    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    by_intent_total: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_intent_right: Counter[tuple[str, str]] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[Case, str]] = field(default_factory=list)
    rejected: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (language, in scope)

    def rejection(self, language: str) -> float:
        """Share of the out-of-scope cases declared out of scope."""
        total = self.by_intent_total[(language, NONE)]
        return self.rejected[(language, False)] / total if total else 0.0

    def false_rejection(self, language: str) -> float:
        """Share of the in-scope cases wrongly declared out of scope."""
        total = self.total[language] - self.by_intent_total[(language, NONE)]
        return self.rejected[(language, True)] / total if total else 0.0

    def accuracy(self, language: str) -> float:
        """Share of right answers in one language."""
        return self.right[language] / self.total[language] if self.total[language] else 0.0

    @property
    def overall(self) -> float:
        """Share of right answers over all languages."""
        total = sum(self.total.values())
        return sum(self.right.values()) / total if total else 0.0


def load_cases(path: Path) -> list[Case]:
    """Read a file, or the `<language>.yaml` files of a folder, of `cases: [{text, intent}]`.

    The language is the file's `language`, or each case's own `language`.
    """
    files = [path] if path.is_file() else sorted(path.glob("??.yaml"))
    cases = []
    for file in files:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        default = document.get("language")
        cases += [
            Case(str(c.get("language", default)), str(c["text"]), str(c["intent"]))
            for c in document["cases"]
        ]
    return cases


def evaluate(
    matcher: Matcher,
    cases: list[Case],
    pathways: Matcher | None = None,
    *,
    as_pathways: bool = False,
) -> Report:
    """Run every case through the matcher.

    With `pathways`, a question the matcher cannot place but that describes a pathway counts
    as `eligibility`, as in the bot (`bot.core.dialogue.placed_intent`). With `as_pathways`,
    `matcher` is the pathway matcher and decides as the bot does (`dialogue.pathways_of`):
    one clear pathway, or two close ones offered as a choice (right when the expected one is
    among them), or none (the overview: right for a general question, labelled `none`).
    """
    report = Report()
    for case in cases:
        match = matcher.match(case.text)
        if as_pathways:
            found = pathways_of(match)  # `matcher` is the pathway matcher
            placed = case.intent if case.intent in found else (found[0] if found else None)
        else:
            placed = placed_intent(match, case.text, pathways)
        got = placed or NONE
        if said_outside(match, placed):
            report.rejected[(case.language, case.intent != NONE)] += 1
        report.total[case.language] += 1
        report.by_intent_total[(case.language, case.intent)] += 1
        if got == case.intent:
            report.right[case.language] += 1
            report.by_intent_right[(case.language, case.intent)] += 1
        else:
            report.confusion[(case.intent, got)] += 1
            report.misses.append((case, got))
    return report


def _groups(tables: MatcherTables) -> Iterator[tuple[str, str, list[str]]]:
    """(language, intent, examples) in a fixed order, the out-of-scope examples as `none`."""
    examples, rejected = tables.examples, tables.out_of_scope
    for language in sorted(examples):
        groups = {**examples[language], NONE: rejected.get(language, [])}
        for intent in sorted(groups):
            yield language, intent, list(groups[intent])


def _deal(tables: MatcherTables, folds: int, seed: int) -> list[tuple[int, Case]]:
    """The examples shuffled per intent with a fixed seed and dealt into `folds` folds:
    (fold, case) pairs.

    Each language and intent is shuffled by its own seed, so that adding Arabic examples
    does not deal the German ones into other folds (one generator for all did: the German
    out-of-scope figure moved 2 points with the Arabic examples alone).
    """
    dealt: list[tuple[int, Case]] = []
    for language, intent, phrases in _groups(tables):
        random.Random(f"{seed}/{language}/{intent}").shuffle(phrases)
        dealt += [(i % folds, Case(language, p, intent)) for i, p in enumerate(phrases)]
    return dealt


def cross_validate(
    tables: MatcherTables,
    folds: int = 5,
    seed: int = 7,
    build: Callable[..., Matcher] = Matcher,
    pathways: Matcher | None = None,
    *,
    as_pathways: bool = False,
    fixed: MatcherTables | None = None,
) -> Report:
    """k-fold cross-validation over the examples (out-of-scope examples included as `none`).

    Every intent's examples (and the out-of-scope ones) of every language are shuffled with a
    fixed seed and dealt into `folds` folds; each fold is matched by a matcher built from the
    rest. Keywords, readings and strong keywords stay in every matcher.

    With `fixed` (the tables of an earlier set of examples), only its examples are dealt,
    exactly as they were dealt when they were the whole set, and every example of `tables`
    that is not among them is always trained on: new examples are measured on the same
    questions as before them.
    """
    dealt = _deal(fixed or tables, folds, seed)
    if fixed is not None:  # the newer examples, in no fold: always trained on
        known = {(case.language, normalize(case.text)) for _fold, case in dealt}
        dealt += [
            (-1, Case(language, phrase, intent))
            for language, intent, phrases in _groups(tables)
            for phrase in phrases
            if (language, normalize(phrase)) not in known
        ]
    report = Report()
    for fold in range(folds):
        train: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        train_rejected: dict[str, list[str]] = defaultdict(list)
        held: list[Case] = []
        for k, case in dealt:
            if k == fold:
                held.append(case)
            elif case.intent == NONE:
                train_rejected[case.language].append(case.text)
            else:
                train[case.language][case.intent].append(case.text)
        matcher = build(*tables._replace(examples=train, out_of_scope=train_rejected))
        part = evaluate(matcher, held, pathways, as_pathways=as_pathways)
        for name in ("total", "right", "by_intent_total", "by_intent_right", "confusion"):
            getattr(report, name).update(getattr(part, name))
        report.rejected.update(part.rejected)
        report.misses += part.misses
    return report


def format_report(report: Report, show_misses: bool = False, folds: Report | None = None) -> str:
    """A plain-text table for the terminal and the docs.

    Per language: cases and accuracy of the test set, its out-of-scope rejection and in-scope
    false rejection, and with `folds` the cross-validated accuracy and rejection.
    """
    languages = sorted(report.total)
    intents = sorted({intent for _, intent in report.by_intent_total})
    head = "language  cases  accuracy  oos-rejected  false-rejected"
    if folds is not None:
        head += "  k-fold  k-fold-oos"
    lines = [head]

    def row(name: str, part: Report, language: str | None) -> str:
        if language is None:
            total = sum(part.total.values())
            accuracy = part.overall
            none = sum(n for (_, i), n in part.by_intent_total.items() if i == NONE)
            rejected = sum(n for (_, inside), n in part.rejected.items() if not inside)
            wrongly = sum(n for (_, inside), n in part.rejected.items() if inside)
            rejection = rejected / none if none else 0.0
            false = wrongly / (total - none) if total - none else 0.0
        else:
            total, accuracy = part.total[language], part.accuracy(language)
            rejection, false = part.rejection(language), part.false_rejection(language)
        line = f"{name:<8}  {total:>5}  {accuracy:>7.1%}  {rejection:>12.1%}  {false:>14.1%}"
        if folds is not None:
            if language is None:
                line += f"  {folds.overall:>6.1%}  {_all_rejection(folds):>10.1%}"
            else:
                line += f"  {folds.accuracy(language):>6.1%}  {folds.rejection(language):>10.1%}"
        return line

    for language in languages:
        lines.append(row(language, report, language))
    lines.append(row("all", report, None))
    lines += ["", "intent" + " " * 12 + "  ".join(f"{lang:>5}" for lang in languages)]
    for intent in intents:
        cells = []
        for language in languages:
            total = report.by_intent_total[(language, intent)]
            right = report.by_intent_right[(language, intent)]
            cells.append(f"{right / total:>5.0%}" if total else "    -")
        lines.append(f"{intent:<16}  " + "  ".join(cells))
    lines += ["", "most frequent confusions (expected -> got):"]
    for (expected, got), count in report.confusion.most_common(15):
        lines.append(f"  {expected:>16} -> {got:<16} {count}")
    if show_misses:
        lines += ["", "misses:"]
        by_language: dict[str, list[str]] = defaultdict(list)
        for case, got in report.misses:
            by_language[case.language].append(f"  [{case.intent} -> {got}] {case.text}")
        for language in languages:
            lines += by_language[language]
    return "\n".join(lines)


def _all_rejection(report: Report) -> float:
    none = sum(n for (_, i), n in report.by_intent_total.items() if i == NONE)
    rejected = sum(n for (_, inside), n in report.rejected.items() if not inside)
    return rejected / none if none else 0.0
