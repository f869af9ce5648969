"""`prbot evaluate`: test-set accuracy, out-of-scope rejection, false rejection and k-fold."""

from __future__ import annotations

from bot.core.intents import Matcher
from bot.evaluate import Case, cross_validate, evaluate, format_report
from bot.knowledge.examples import MatcherTables

EXAMPLES = {
    "en": {
        "fees": ["how much does it cost", "what is the fee", "price of the card", "do i pay"],
        "hours": ["when do you open", "opening hours", "what time do they close", "open today"],
    }
}
KEYWORDS = {"en": {"fees": ["price", "fee"], "hours": ["opening", "open"]}}
OUT = {"en": ["extend my tourist visa", "tourist visa extension", "weather tomorrow", "rain"]}
OUT_WORDS = {"en": ["tourist visa", "weather"]}


def _matcher() -> Matcher:
    return Matcher(EXAMPLES, KEYWORDS, OUT, None, None, OUT_WORDS)


def test_rejection_and_false_rejection_are_counted() -> None:
    cases = [
        Case("en", "what's the price", "fees"),
        Case("en", "when do they open", "hours"),
        Case("en", "can i extend a tourist visa", "none"),
        Case("en", "sing me a song", "none"),
    ]
    report = evaluate(_matcher(), cases)
    assert report.accuracy("en") == 1.0  # the song is not answered either
    assert report.rejection("en") == 0.5  # only the visa is declared out of scope
    assert report.false_rejection("en") == 0.0
    text = format_report(report)
    assert text.splitlines()[0].split() == [
        "language", "cases", "accuracy", "oos-rejected", "false-rejected"
    ]  # fmt: skip
    assert text.splitlines()[1].split() == ["en", "4", "100.0%", "50.0%", "0.0%"]


def test_false_rejection_of_an_in_scope_question() -> None:
    report = evaluate(_matcher(), [Case("en", "tourist visa weather", "fees")])
    assert report.false_rejection("en") == 1.0
    assert report.accuracy("en") == 0.0


def test_cross_validation_holds_out_every_example_once() -> None:
    tables = MatcherTables(EXAMPLES, KEYWORDS, OUT, {}, {}, OUT_WORDS, {}, {}, {}, {}, {}, {})
    folds = cross_validate(tables, folds=2)
    assert folds.total["en"] == 12  # 8 examples and 4 out-of-scope ones, each held out once
    assert folds.by_intent_total[("en", "none")] == 4
    text = format_report(evaluate(_matcher(), [Case("en", "price", "fees")]), folds=folds)
    header, row = text.splitlines()[0].split(), text.splitlines()[1].split()
    assert header[-2:] == ["k-fold", "k-fold-oos"]
    assert row[-2] == f"{folds.accuracy('en'):.1%}"


def test_fixed_folds_measure_new_examples_on_the_questions_of_before() -> None:
    """`--fixed`: the earlier examples are held out as they were dealt before; the new ones
    are always trained on, so the figures of before and after count the same questions."""
    before = MatcherTables(EXAMPLES, KEYWORDS, OUT, {}, {}, OUT_WORDS, {}, {}, {}, {}, {}, {})
    grown = {"en": {**EXAMPLES["en"], "fees": [*EXAMPLES["en"]["fees"], "what do i pay for it"]}}
    after = MatcherTables(grown, KEYWORDS, OUT, {}, {}, OUT_WORDS, {}, {}, {}, {}, {}, {})
    plain = cross_validate(after, folds=2)
    assert plain.total["en"] == 13  # the new example is held out too
    same = cross_validate(before, folds=2, fixed=before)
    assert same.total == cross_validate(before, folds=2).total  # dealt as they were
    assert same.right == cross_validate(before, folds=2).right
    fixed = cross_validate(after, folds=2, fixed=before)
    assert fixed.total["en"] == 12  # the twelve questions of before, never the new one
    assert not [case for case, _got in fixed.misses if case.text == "what do i pay for it"]


def test_pathways_are_judged_by_the_bots_own_decision() -> None:
    """`--pathways` counts what the user gets: one pathway, a choice of two that includes the
    right one, or the overview for a general question (labelled none)."""
    pathways = Matcher(
        {
            "en": {
                "spouse": [
                    "my wife is chinese",
                    "married to a chinese citizen",
                    "my husband is chinese",
                ],
                "minor_children": [
                    "my child is under 18",
                    "my kid is 10",
                    "my baby was born here",
                ],
                "investment": ["i invested two million dollars", "investment in a company"],
            }
        },
        out_of_scope={"en": ["how do i get pr", "who can get a green card", "ways to get pr"]},
        ridge=0.0,
    )
    cases = [
        Case("en", "my wife is chinese", "spouse"),
        Case("en", "who can get a green card in china", "none"),
        Case("en", "my kid is chinese", "minor_children"),  # spouse or children: asked
        Case("en", "i invested two million dollars in beijing", "minor_children"),
    ]
    report = evaluate(pathways, cases, as_pathways=True)
    assert report.right["en"] == 3
    assert report.confusion[("minor_children", "investment")] == 1
