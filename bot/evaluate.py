"""Measure the intent matcher on the labelled test set: accuracy per language and topic.

    prbot evaluate [--tests tests/nlu] [--confusion]

A case labelled `none` is right when the matcher is not confident (the bot then offers its
guesses and the menu instead of answering the wrong question).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.core.intents import Matcher

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


def evaluate(matcher: Matcher, cases: list[Case]) -> Report:
    """Run every case through the matcher."""
    report = Report()
    for case in cases:
        got = matcher.match(case.text).intent or NONE
        report.total[case.language] += 1
        report.by_intent_total[(case.language, case.intent)] += 1
        if got == case.intent:
            report.right[case.language] += 1
            report.by_intent_right[(case.language, case.intent)] += 1
        else:
            report.confusion[(case.intent, got)] += 1
            report.misses.append((case, got))
    return report


def format_report(report: Report, show_misses: bool = False) -> str:
    """A plain-text table for the terminal and the docs."""
    languages = sorted(report.total)
    intents = sorted({intent for _, intent in report.by_intent_total})
    lines = ["language  cases  accuracy"]
    for language in languages:
        lines.append(
            f"{language:<8}  {report.total[language]:>5}  {report.accuracy(language):>7.1%}"
        )
    lines.append(f"{'all':<8}  {sum(report.total.values()):>5}  {report.overall:>7.1%}")
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
