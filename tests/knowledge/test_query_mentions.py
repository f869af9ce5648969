"""The lexicon's word lists looked for in one loop each find what one `_contains` per word
found: the same first word, for every list and the project's thousands of test questions."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.app import Resources
from bot.knowledge.query import _contains, _first_mentioned, fold, offices_named

ROOT = Path(__file__).resolve().parents[2]
EXTRA = [
    "open on saturday?",
    "samstags geöffnet?",
    "los sábados",
    "в субботу",
    "下周一开门吗",
    "国庆节放假吗",
    "Labour Day",
    "tomorrow at 9",
    "übermorgen",
    "石景山几点开门",
    "shijingshan office",
    "documents for my wife",
    "married 3 years",
    "",
]


def questions() -> list[str]:
    texts = list(EXTRA)
    for path in sorted((ROOT / "tests" / "nlu").glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [str(case["text"]) for case in document.get("cases") or ()]
    return texts


def first_by_contains(text: str, words: tuple[str, ...], plural: bool = False) -> int:
    return next((i for i, w in enumerate(words) if _contains(text, w, plural)), -1)


def test_every_word_list_finds_the_same_first_word(resources: Resources) -> None:
    lexicon = resources.lexicon
    lists: list[tuple[tuple[str, ...], bool]] = [
        (lexicon.today, False),
        (lexicon.tomorrow, False),
        (lexicon.day_after_tomorrow, False),
        (lexicon.next_week, False),
        (lexicon.weekend, False),
        (tuple(word for word, _ in lexicon.weekdays), True),
        *((h.words, False) for h in lexicon.holidays),
        *((words, False) for _, words in lexicon.measures),
        *((words, False) for _, words in lexicon.categories),
    ]
    texts = [fold(q) for q in questions()]
    assert len(texts) > 2000
    found = 0
    for words, plural in lists:
        for text in texts:
            expected = first_by_contains(text, words, plural)
            assert _first_mentioned(text, words, plural) == expected, (text, words[:3])
            found += expected >= 0
    assert found > 500  # the lists do find words in these questions


def test_offices_named_as_before(resources: Resources) -> None:
    offices = resources.knowledge.offices
    named = 0
    for question in questions():
        text = fold(question)
        before = [o for o in offices if any(_contains(text, fold(a)) for a in o.aliases)]
        assert offices_named(question, offices) == before, question
        named += bool(before)
    assert named > 10


def test_a_list_that_changes_is_read_anew() -> None:
    words = ["samstag", "sonntag"]
    assert _first_mentioned("am sonntag", words) == 1
    words[1] = "montag"
    assert _first_mentioned("am sonntag", words) == -1
    assert _first_mentioned("am montag", words) == 1
    kept = ("Sonntag",)
    assert _first_mentioned("am sonntag", kept) == -1  # not folded: "Sonntag" is not there
    assert _first_mentioned("am sonntag", kept, fold_words=True) == 0
