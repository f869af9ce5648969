"""The example phrasings the matcher learns from (data/intents/, data/pathway_intents/).

The app reads each folder once through here, validated, so that a malformed file is reported
with its file, intent and field, and builds the core's Matcher from the result
(`matcher_tables`); the core imports nothing from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, NamedTuple

from pydantic import Field

from bot.core.intents import written_together
from bot.knowledge.fields import Record, Slug, Text
from bot.knowledge.files import DataFile, KnowledgeError

Phrases = tuple[Text, ...]


class IntentExamples(Record):
    """One intent in one language: example questions and the words that point to it."""

    examples: Annotated[Phrases, Field(min_length=1)]
    keywords: Phrases | None = None
    strong_keywords: Phrases | None = None


class Nationalities(Record):
    """Another country's adjective or name beside some of the subject's names."""

    names: Annotated[Phrases, Field(min_length=1)]  # the names the countries are joined to
    before: Phrases | None = None  # joined before each name ("japanese", "канадское")
    after: Phrases | None = None  # joined after each name ("australia", "kanada")


class OutOfScope(Record):
    """Questions the bot must not take for any intent, and words of the matters they name."""

    examples: Phrases | None = None
    keywords: Phrases | None = None
    immigration: Phrases | None = None  # words naming visas and permits
    # phrases naming another country's permanent residence ("american green card", 美国绿卡)
    foreign: Phrases | None = None
    # another country as a question names it beside the subject, each joined to every name
    # of the subject into more `foreign` phrases: after it where words are written apart
    # ("in canada": "pr card in canada"), before it in Han, kana and Hangul ("加拿大": 加拿大绿卡)
    countries: Phrases | None = None
    # the same as adjectives or bare names, joined only to the `names` listed, since other
    # names of the subject name the card's own holders: "a Japanese PR card holder", "a
    # Japanese permanent resident of China" (`_around`)
    nationalities: Nationalities | None = None
    # bank cards named with a visa word ("visa card", "carte visa", 비자카드): paying with one
    # is a fees question, not a visa's
    bank_cards: Phrases | None = None


class ExampleFile(Record):
    """One language's file: `intents: {name: {examples, keywords, strong_keywords}}`."""

    language: Slug
    intents: Annotated[dict[Slug, IntentExamples], Field(min_length=1)]
    out_of_scope: OutOfScope | None = None
    readings: dict[Text, Text] | None = None  # pinyin syllable -> the characters read so
    subject: Phrases | None = None  # words naming permanent residence: never out of scope
    greetings: Phrases | None = None  # what opens a message ("hello"): names no topic
    # the card in use, or its criteria and papers in other matters' words, as whole phrases
    # ("with my card", "с картой", "income tax threshold"): never out of scope
    card_use: Phrases | None = None


def check_examples(directory: Path) -> dict[str, ExampleFile]:
    """Validate every `<language>.yaml` of a directory of examples, by language."""
    files: dict[str, ExampleFile] = {}
    for path in sorted(directory.glob("*.yaml")):
        file = DataFile(path, fast=True)
        document = file.validate(ExampleFile, {"intents": ("intent", "")})
        if document.language != path.stem:
            file.fail(f"field 'language' is {document.language!r}, but the file is {path.name}")
        files[document.language] = document
    if not files:
        raise KnowledgeError(f"{directory.parent.name}/{directory.name}: no example files")
    return files


class MatcherTables(NamedTuple):
    """The arguments of `bot.core.intents.Matcher`, in its order, by language."""

    examples: dict[str, dict[str, list[str]]]  # [language][intent]
    keywords: dict[str, dict[str, list[str]]]  # [language][intent]
    out_of_scope: dict[str, list[str]]
    readings: dict[str, str]  # pinyin syllable -> the characters read so
    strong_keywords: dict[str, dict[str, list[str]]]  # [language][intent]
    out_of_scope_keywords: dict[str, list[str]]
    subject: dict[str, list[str]]
    immigration: dict[str, list[str]]  # words naming visas and permits
    foreign: dict[str, list[str]]  # another country's permanent residence
    bank_cards: dict[str, list[str]]  # card brands named like a visa ("visa card")
    greetings: dict[str, list[str]]  # what opens a message ("hello", "guten tag")
    card_use: dict[str, list[str]]  # the card in use ("with my card", "mit der Karte")


_NO_OTHER_MATTERS = OutOfScope()  # a file without `out_of_scope:`


# a name of the subject that names the card, not the status: beside a country it may say where
# the card is ("I lost my PR card in the US"); in Han, kana and Hangul the country runs into
# the name (加拿大绿卡) and says whose it is
_CARD = re.compile(r"\b(card|carte|tarjeta|karte|ausweis)\b|карт|بطاق|كرت|كارت")


def _beside(subject: Iterable[str], countries: Iterable[str]) -> list[str]:
    """Every name of the subject with every country beside it: "pr card in canada",
    "加拿大绿卡" (`OutOfScope.countries`)."""
    phrases: list[str] = []
    for country in countries:
        for name in subject:
            if _CARD.search(name):  # "lost my pr card in the us": where the card was
                continue
            if written_together(country):  # run together: "德国 永居证" may be where one is
                phrases.append(f"{country}{name}")
            else:
                phrases.append(f"{name} {country}")
    return phrases


def _around(nationalities: Nationalities | None) -> list[str]:
    """Every name of `nationalities` with each country before or after it: "japanese
    permanent residency", "daueraufenthalt kanada" (`OutOfScope.nationalities`)."""
    if nationalities is None:
        return []
    names = nationalities.names
    return [f"{country} {name}" for country in nationalities.before or () for name in names] + [
        f"{name} {country}" for country in nationalities.after or () for name in names
    ]


def matcher_tables(files: dict[str, ExampleFile]) -> MatcherTables:
    """The validated files as the arguments of `bot.core.intents.Matcher`."""
    examples: dict[str, dict[str, list[str]]] = {}
    keywords: dict[str, dict[str, list[str]]] = {}
    strong: dict[str, dict[str, list[str]]] = {}
    rejected: dict[str, list[str]] = {}
    rejected_words: dict[str, list[str]] = {}
    subject: dict[str, list[str]] = {}
    permits: dict[str, list[str]] = {}
    foreign: dict[str, list[str]] = {}
    cards: dict[str, list[str]] = {}
    greetings: dict[str, list[str]] = {}
    card_use: dict[str, list[str]] = {}
    readings: dict[str, str] = {}
    for language, document in files.items():
        other = document.out_of_scope or _NO_OTHER_MATTERS
        rejected[language] = list(other.examples or ())
        rejected_words[language] = list(other.keywords or ())
        permits[language] = list(other.immigration or ())
        foreign[language] = [
            *(other.foreign or ()),
            *_beside(document.subject or (), other.countries or ()),
            *_around(other.nationalities),
        ]
        cards[language] = list(other.bank_cards or ())
        readings.update(document.readings or {})
        subject[language] = list(document.subject or ())
        greetings[language] = list(document.greetings or ())
        card_use[language] = list(document.card_use or ())
        for intent, spec in document.intents.items():
            examples.setdefault(language, {})[intent] = list(spec.examples)
            keywords.setdefault(language, {})[intent] = list(spec.keywords or ())
            strong.setdefault(language, {})[intent] = list(spec.strong_keywords or ())
    return MatcherTables(
        examples,
        keywords,
        rejected,
        readings,
        strong,
        rejected_words,
        subject,
        permits,
        foreign,
        cards,
        greetings,
        card_use,
    )
