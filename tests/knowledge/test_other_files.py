"""The eligibility check, the day words and the example phrasings: broken files are reported.

Like test_loader, each case copies data/ to tmp_path, breaks one thing and checks that the
KnowledgeError names the file, the record and the field (not a bare KeyError).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import load_resources
from bot.knowledge.checkfile import load_check
from bot.knowledge.examples import check_examples
from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.query import Lexicon
from tests.conftest import make_settings

DATA = Path(__file__).resolve().parents[2] / "data"
CHECK = "eligibility_check.yaml"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ to break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = yaml.safe_load(path.read_text("utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")


def _message(action: Callable[[], object], *fragments: str) -> str:
    with pytest.raises(KnowledgeError) as caught:
        action()
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def _pathway_ids() -> set[str]:
    return {p.id for p in load_knowledge(DATA).pathways}


# -- the real files ------------------------------------------------------------------------


def test_real_files_are_valid() -> None:
    check = load_check(DATA / CHECK, _pathway_ids())
    assert [q.id for q in check.questions] == ["family", "work", "years", "investment", "origin"]
    assert check.rules[0].when == {"family": frozenset({"spouse"})}
    lexicon = Lexicon.load(DATA / "lexicon.yaml")
    assert "tomorrow" in lexicon.tomorrow
    assert ("weekend", 5) in lexicon.weekdays
    for directory in ("intents", "pathway_intents"):
        files = check_examples(DATA / directory)
        assert set(files) == {"ar", "de", "en", "es", "fr", "ja", "ko", "ru", "zh"}


@pytest.mark.parametrize(
    ("question", "weekday"),
    [
        ("habt ihr samstags offen", 5),
        ("sind die sonntags da", 6),
        ("abren los sábados?", 5),
        ("atienden los domingos", 6),
        ("ouvert les samedis ?", 5),
        ("open saturdays?", 5),
        ("offen am Wochenende?", 5),
    ],
)
def test_habitual_weekday_forms_name_the_day(question: str, weekday: int) -> None:
    lexicon = Lexicon.load(DATA / "lexicon.yaml")
    thursday = dt.date(2026, 11, 26)
    day = lexicon.day(question, thursday)
    assert day is not None and day.weekday() == weekday and day > thursday


# -- the eligibility check -----------------------------------------------------------------


def test_check_option_without_label(data_copy: Path) -> None:
    _edit(data_copy / CHECK, lambda d: d["questions"][1]["options"][0].pop("label"))
    _message(
        lambda: load_check(data_copy / CHECK, _pathway_ids()),
        "data/eligibility_check.yaml",
        "question 'work'",
        "missing field 'options[0].label'",
    )


def test_check_question_without_id(data_copy: Path) -> None:
    _edit(data_copy / CHECK, lambda d: d["questions"][0].pop("id"))
    _message(
        lambda: load_check(data_copy / CHECK, _pathway_ids()),
        "data/eligibility_check.yaml",
        "question #1",
        "missing field 'id'",
    )


def test_check_rule_with_unknown_field(data_copy: Path) -> None:
    _edit(data_copy / CHECK, lambda d: d["rules"][4].update(whenn={"work": ["senior"]}))
    _message(
        lambda: load_check(data_copy / CHECK, _pathway_ids()),
        "rule 'senior_employment'",
        "field 'whenn' is not a known field",
    )


def test_check_condition_is_not_a_list(data_copy: Path) -> None:
    _edit(data_copy / CHECK, lambda d: d["rules"][0].update(when={"family": "spouse"}))
    _message(
        lambda: load_check(data_copy / CHECK, _pathway_ids()),
        "rule 'spouse'",
        "field 'when.family' must be a list, got str",
    )


def test_check_without_rules(data_copy: Path) -> None:
    _edit(data_copy / CHECK, lambda d: d.pop("rules"))
    _message(lambda: load_check(data_copy / CHECK, _pathway_ids()), "missing field 'rules'")


def test_check_unquoted_yes_is_explained(data_copy: Path) -> None:
    _edit(data_copy / CHECK, lambda d: d["rules"][-1]["when"].update(origin=[True]))
    _message(
        lambda: load_check(data_copy / CHECK, _pathway_ids()),
        "rule 'chinese_origin_services_zone'",
        "field 'when.origin[0]' must be a string, got bool True",
    )


def test_check_unknown_answer_and_pathway(data_copy: Path) -> None:
    _edit(data_copy / CHECK, lambda d: d["rules"][0].update(when={"family": ["wife"]}))
    _message(
        lambda: load_check(data_copy / CHECK, _pathway_ids()),
        "rule for 'spouse'",
        "unknown answers ['wife']",
    )
    _message(
        lambda: load_check(data_copy / CHECK, _pathway_ids() - {"spouse"}),
        "rule for 'spouse'",
        "no such pathway",
    )


# -- the day words -------------------------------------------------------------------------


def test_lexicon_weekday_out_of_range(data_copy: Path) -> None:
    _edit(data_copy / "lexicon.yaml", lambda d: d["weekdays"]["en"].update({7: ["weekday"]}))
    _message(
        lambda: Lexicon.load(data_copy / "lexicon.yaml"),
        "data/lexicon.yaml",
        "language 'en'",
        "from 0 (Monday) to 6 (Sunday), got 7",
    )


def test_lexicon_without_tomorrow(data_copy: Path) -> None:
    _edit(data_copy / "lexicon.yaml", lambda d: d.pop("tomorrow"))
    _message(lambda: Lexicon.load(data_copy / "lexicon.yaml"), "data/lexicon.yaml", "'tomorrow'")


def test_lexicon_rule_words_name_a_rule(data_copy: Path) -> None:
    _edit(
        data_copy / "lexicon.yaml",
        lambda d: d["rule_words"].update({"new_pasport": {"en": ["passport"]}}),
    )
    settings = make_settings(Path("unused.sqlite3"), data_dir=data_copy)
    _message(lambda: load_resources(settings), "lexicon.yaml", "rule_words", "'new_pasport'")


# -- the example phrasings -----------------------------------------------------------------


@pytest.mark.parametrize("directory", ["intents", "pathway_intents"])
def test_intent_without_examples(data_copy: Path, directory: str) -> None:
    path = data_copy / directory / "fr.yaml"
    intent = next(iter(yaml.safe_load(path.read_text("utf-8"))["intents"]))
    _edit(path, lambda d: d["intents"][intent].pop("examples"))
    _message(
        lambda: check_examples(data_copy / directory),
        f"{directory}/fr.yaml",
        f"intent '{intent}'",
        "missing field 'examples'",
    )
    # The app reads the examples through the same check, so it stops with the same message.
    settings = make_settings(Path("unused.sqlite3"), data_dir=data_copy)
    _message(lambda: load_resources(settings), f"intent '{intent}'", "'examples'")


def test_intent_example_that_is_not_text(data_copy: Path) -> None:
    _edit(
        data_copy / "intents" / "en.yaml", lambda d: d["intents"]["fees"]["examples"].append(None)
    )
    _message(
        lambda: check_examples(data_copy / "intents"),
        "intents/en.yaml",
        "intent 'fees'",
        "field 'examples[",
        "is empty (null)",
    )


def test_intent_with_misspelt_field(data_copy: Path) -> None:
    _edit(data_copy / "intents" / "de.yaml", lambda d: d["intents"]["hours"].update(keyword=["x"]))
    _message(
        lambda: check_examples(data_copy / "intents"),
        "intents/de.yaml",
        "intent 'hours'",
        "field 'keyword' is not a known field",
    )


def test_example_file_without_language(data_copy: Path) -> None:
    _edit(data_copy / "pathway_intents" / "ko.yaml", lambda d: d.pop("language"))
    _message(
        lambda: check_examples(data_copy / "pathway_intents"),
        "pathway_intents/ko.yaml",
        "missing field 'language'",
    )


def test_example_file_in_the_wrong_language(data_copy: Path) -> None:
    _edit(data_copy / "intents" / "ja.yaml", lambda d: d.update(language="zh"))
    _message(lambda: check_examples(data_copy / "intents"), "intents/ja.yaml", "'language'")


def test_example_file_syntax_error(data_copy: Path) -> None:
    path = data_copy / "intents" / "es.yaml"
    path.write_text(path.read_text("utf-8").replace("intents:", "intents: [", 1), "utf-8")
    _message(lambda: check_examples(data_copy / "intents"), "intents/es.yaml", "YAML")
