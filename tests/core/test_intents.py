"""The intent matcher: normalisation, typo tolerance, languages, out-of-scope text, accuracy."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.core.intents import (
    OUT_SURE,
    RIDGE_LAMBDA,
    Matcher,
    _conjugate_gradients,
    arabizi,
    detect_script_language,
    normalize,
)
from bot.knowledge.examples import check_examples, matcher_tables
from bot.knowledge.files import KnowledgeError

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("ar", "de", "en", "es", "fr", "ja", "ko", "ru", "zh")

# Accuracy reached on tests/nlu when these floors were set (2026-12-05, eleventh session:
# after the twentieth blind-written training round of issue 11 and the label check; the test
# set shares no sentence with the examples), minus two points. Since the tenth session's
# floors: en +0.4, fr +0.8, the rest unchanged (docs/nlu.md).
FLOORS = {
    "ar": 0.964,
    "de": 0.971,
    "en": 0.984,
    "es": 0.967,
    "fr": 0.976,
    "ja": 0.954,
    "ko": 0.947,
    "ru": 0.976,
    "zh": 0.962,
}


@cache
def matcher() -> Matcher:
    """The matcher built from the shipped examples, once for the whole module."""
    return Matcher(*matcher_tables(check_examples(ROOT / "data" / "intents")))


def test_normalize_folds_case_accents_and_width() -> None:
    assert normalize("Ça COÛTE combien ?") == "ca coute combien"
    assert normalize("Gebühren für Verlängerung") == "gebuhren fur verlangerung"
    assert normalize("ＨＯＵＲＳ？ １２３６７") == "hours 12367"
    assert normalize("¿Cuánto cuesta?") == "cuanto cuesta"
    assert normalize("Ёлка") == normalize("елка")


def test_normalize_unifies_arabic_letter_forms() -> None:
    assert normalize("أين الإدارة") == normalize("اين الاداره")
    assert normalize("مُسْتَشْفَى") == normalize("مستشفي")
    assert normalize("الرسـوم") == normalize("الرسوم")
    assert normalize("١٢٣٦٧") == "12367"


def test_normalize_keeps_kana_marks_and_hangul() -> None:
    assert normalize("ガイド") == "ガイド"
    assert normalize("갱신") == "갱신"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how much is the application fee", "fees"),
        ("opning hours?", "hours"),
        ("where is the office", "address"),
        ("我的卡丢了怎么办", "loss"),
        ("几点开门", "hours"),
    ],
)
def test_known_phrases(text: str, intent: str) -> None:
    assert matcher().match(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("wher is the ofice", "address"),
        ("i lsot my card", "loss"),
        ("reminnd me to renew", "reminders"),
        ("Untelragen", "documents"),
        ("renouvelement de la carte", "renewal"),
        ("продленние карты", "renewal"),
        ("영주권 갱싱", "renewal"),
        ("工作实间", "hours"),
    ],
)
def test_typos_are_forgiven(text: str, intent: str) -> None:
    assert matcher().match(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent", "yielding"),
    [
        ("what is the procedure to replace a broken card", "loss", "process"),
        ("процедура замены повреждённой карты", "loss", "process"),
        ("the national immigration administration's web page link please", "contact", "authority"),
        ("the five-star card, which office issues it", "authority", "status"),
        ("my name changed when I married, what does the new card cost", "fees", "change"),
        ("补办损坏的永居证要花多少钱", "fees", "loss"),
    ],
)
def test_a_topic_yields_to_a_named_one_close_behind(text: str, intent: str, yielding: str) -> None:
    """The steps of the application, the NIA, the five-star card, a change or a replacement
    score first on these, but the question names what it asks for: a replacement, a contact,
    who issues, the cost."""
    match = matcher().match(text)
    assert match.intent == intent
    assert match.ranked[1].intent == yielding


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("what documents do I need?", "en"),
        ("quels documents faut-il ?", "fr"),
        ("welche Unterlagen brauche ich?", "de"),
        ("¿qué documentos necesito?", "es"),
        ("какие документы нужны?", "ru"),
        ("ما هي الوثائق المطلوبة؟", "ar"),
        ("需要哪些材料？", "zh"),
        ("必要な書類は何ですか", "ja"),
        ("어떤 서류가 필요해요?", "ko"),
    ],
)
def test_language_of_the_question(text: str, language: str) -> None:
    assert matcher().match(text).language == language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("da3et el beta2a", True),
        ("3ndi so2al", True),
        ("wa9tach yfat7o", True),
        ("ta3 el card", True),
        ("open at 9am on the 2nd", False),  # a time, an ordinal
        ("5km from andingmen, 2x a week", False),
        ("is h5 the same as a4", False),  # codes
        ("how much is it", False),
    ],
)
def test_arabic_in_latin_letters_is_told_by_its_digits(text: str, expected: bool) -> None:
    assert arabizi(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [("kifach njadded lkarta dyali", "renewal"), ("wain el maktab", "address")],
)
def test_arabic_in_latin_letters_without_digits_is_told_by_its_words(
    text: str, intent: str
) -> None:
    """Words only the Arabic examples use ("kifach", "dyali", "wain") make the question Arabic,
    where no word has a digit; English with as few words stays English."""
    assert not arabizi(normalize(text))
    match = matcher().match(text)
    assert (match.language, match.intent) == ("ar", intent)
    assert matcher().match("where is the office").language == "en"


def test_script_alone_names_some_languages() -> None:
    assert detect_script_language("привет") == "ru"
    assert detect_script_language("안녕") == "ko"
    assert detect_script_language("こんにちは") == "ja"
    assert detect_script_language("مرحبا") == "ar"
    assert detect_script_language("你好") == "zh"
    assert detect_script_language("hello") is None


@pytest.mark.parametrize(
    "text",
    ["qwzx vbnm plkj", "what is the capital of peru", "sing me a lullaby", "", "???", "12345"],
)
def test_out_of_scope_text_gets_no_confident_intent(text: str) -> None:
    assert matcher().match(text).intent is None


def test_guesses_are_known_intents() -> None:
    for text in ("card", "qwzx vbnm plkj", "visa"):
        assert all(guess in matcher().intents for guess in matcher().match(text).guesses())


def test_ranking_is_sorted_and_bounded() -> None:
    ranked = matcher().rank("how long does the renewal take")
    scores = [s.score for s in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert ranked[0].intent == "processing_time"


def test_matcher_from_mappings() -> None:
    small = Matcher(
        {"en": {"fees": ["how much does it cost"], "hours": ["when do you open"]}},
        {"en": {"fees": ["price"], "hours": ["opening"]}},
    )
    assert small.match("what is the price").intent == "fees"
    assert small.match("when do they open").intent == "hours"
    assert small.intents == ["fees", "hours"]


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="no example files"):
        check_examples(tmp_path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_accuracy_floor_on_labelled_questions(language: str) -> None:
    document = yaml.safe_load((ROOT / "tests" / "nlu" / f"{language}.yaml").read_text("utf-8"))
    cases = document["cases"]
    right = sum(
        (matcher().match(str(case["text"])).intent or "none") == case["intent"] for case in cases
    )
    assert right / len(cases) >= FLOORS[language] - 0.02


def _small(cache: Path | None, extra: str = "") -> Matcher:
    examples = {
        "fees": ["how much does it cost", "what is the fee", "price of the card"],
        "hours": ["when do you open", "opening hours", "what time do they close"],
        "process": ["how do i apply", "what are the steps", "application procedure"],
    }
    if extra:
        examples["fees"] = [*examples["fees"], extra]
    return Matcher({"en": examples}, cache=cache)


def test_ridge_weights_are_cached_by_the_examples_they_were_trained_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained: list[int] = []
    fit = Matcher._fit_ridge

    def counting(self: Matcher) -> object:
        trained.append(1)
        return fit(self)

    monkeypatch.setattr(Matcher, "_fit_ridge", counting)
    first = _small(tmp_path)
    assert len(trained) == 1 and len(list(tmp_path.glob("ridge-*.npy"))) == 1
    again = _small(tmp_path)  # the same examples: read from the cache, not trained
    assert len(trained) == 1
    question = "how much is the fee"
    assert again.match(question) == first.match(question)
    assert again.match(question).intent == "fees"
    _small(tmp_path, "is it expensive")  # other examples: trained anew, the old file replaced
    assert len(trained) == 2 and len(list(tmp_path.glob("ridge-*.npy"))) == 1


def test_a_damaged_or_unwritable_ridge_cache_only_costs_a_training(tmp_path: Path) -> None:
    _small(tmp_path)
    (saved,) = tmp_path.glob("ridge-*.npy")
    saved.write_bytes(b"not an array")
    assert _small(tmp_path).match("when do you open").intent == "hours"
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    assert _small(blocked / "cache").match("what are the steps").intent == "process"


def test_the_ridge_training_solves_its_system() -> None:
    """A few conjugate-gradient steps reach the solution of the regularised system of
    unit-length examples (cosine similarities)."""
    rng = np.random.default_rng(3)
    features = rng.random((60, 40)) * (rng.random((60, 40)) < 0.2) + np.eye(60, 40)
    features /= np.linalg.norm(features, axis=1, keepdims=True)  # unit rows, as the examples'
    kernel = features @ features.T + RIDGE_LAMBDA * np.eye(60)
    targets = np.eye(4)[rng.integers(0, 4, 60)]
    exact = np.linalg.solve(kernel, targets)
    approximate = _conjugate_gradients(kernel, targets)
    assert np.abs(approximate - exact).max() < 1e-3
    assert (np.argmax(kernel @ approximate, 1) == np.argmax(targets, 1)).all()


def test_the_ridge_classifier_alone_places_its_own_examples() -> None:
    examples = {
        "fees": ["how much does it cost", "what is the fee", "price of the card"],
        "hours": ["when do you open", "opening hours", "what time do they close"],
        "process": ["how do i apply", "what are the steps", "application procedure"],
    }
    alone = Matcher({"en": examples}, ridge=1.0)
    for intent, phrases in examples.items():
        for phrase in phrases:
            assert alone.rank(phrase)[0].intent == intent


def test_gibberish_is_unclear_not_another_matter() -> None:
    # "ocked blo" shares letters with "bank card blocked" (an out-of-scope example), and
    # nothing else: that is no reason to say it is about something else; it is not understood
    examples = {
        "fees": ["how much does the card cost", "what is the fee", "price of the card"],
        "hours": ["when do you open", "opening hours", "what time do they close"],
    }
    other = ["bank card blocked", "my bank account is blocked", "the bank blocked my card"]
    small = Matcher({"en": examples}, out_of_scope={"en": other})
    gibberish = small.match("ocked blo")
    assert gibberish.intent is None
    assert gibberish.out_score >= OUT_SURE  # the letters alone would have declared it
    assert not gibberish.out_of_scope
    blocked = small.match("my bank card got blocked")
    assert blocked.intent is None and blocked.out_of_scope
    assert matcher().match("what's the weather tomorrow").out_of_scope


def test_a_typo_is_repaired_as_a_search_through_the_whole_vocabulary_repairs_it() -> None:
    """The search looks only at words of a length within the distance allowed; it must find
    what the search through every known word of the script found (rapidfuzz orders its
    best by distance, then by place), for typos made at random from known words."""
    import random

    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    from bot.core.intents import _COMMONER, _ONCE, _plausible_typo

    found = matcher()
    rng = random.Random(11)
    repaired = 0
    for script, vocabulary in found._vocabulary.items():
        words = vocabulary.words()
        known = {word: vocabulary.count(word) for word in words}
        letters = sorted({c for w in words for c in w})
        for _ in range(300):
            typo = list(rng.choice(words))
            for _ in range(rng.choice([1, 1, 2, 3])):
                at = rng.randrange(len(typo))
                edit = rng.randrange(3)
                if edit == 0 and len(typo) > 1:
                    del typo[at]
                elif edit == 1:
                    typo[at] = rng.choice(letters)
                else:
                    typo.insert(at, rng.choice(letters))
            word = "".join(typo)
            expected = word
            seen = known.get(word, 0)
            if seen <= _ONCE and len(word) >= 4:
                limit = 1 if len(word) < 9 else 2
                best = process.extract(
                    word, words, scorer=OSA.distance, score_cutoff=limit, limit=8
                )
                plausible = [(c, d) for c, d, _ in best if _plausible_typo(word, c, int(d))]
                if seen:  # a word of one example: only to a far commoner word (not itself)
                    plausible = [(c, d) for c, d in plausible if d and known[c] >= _COMMONER]
                if plausible:
                    expected = min(plausible, key=lambda c: (c[1], -known[c[0]]))[0]
            assert found._correct(word, script) == expected, (script, word)
            repaired += expected != word
    assert repaired > 300  # the typos were near enough to be repaired, many of them


def test_the_packed_vocabulary_counts_and_finds_words_as_a_dictionary_would() -> None:
    from bot.core.intents import _Vocabulary

    counts = {"where": 5, "wher": 1, "hours": 3, "houses": 2, "fee": 4, "open": 7, "abcd": 1}
    vocabulary = _Vocabulary(counts)
    assert vocabulary.words() == list(counts)  # the order they were first met
    assert {word: vocabulary.count(word) for word in counts} == counts
    for unknown in ("whee", "abcc", "abce", "zzzzzz", "a", "", "hourss"):
        assert vocabulary.count(unknown) == 0
    # (distance, place, word, count)
    assert sorted(vocabulary.near("houre", 1)) == [(1, 2, "hours", 3)]
    assert sorted(vocabulary.near("opne", 1)) == [(1, 5, "open", 7)]
    assert sorted(vocabulary.near("wheer", 2)) == [(1, 0, "where", 5), (1, 1, "wher", 1)]


def test_the_readings_table_reads_as_the_dictionary_did() -> None:
    from bot.core.intents import _Readings

    readings = _Readings({"xu": "续须", "zheng": "证正", "xu2": "须", "ba": "\U00020000"})
    assert bool(readings) and not _Readings({})
    assert readings.get("续", "?") == "xu" and readings.get("证", "?") == "zheng"
    assert readings.get("须", "?") == "xu2"  # under two syllables: the later one
    assert readings.get("\U00020000", "?") == "ba"  # outside the main blocks
    for unknown in ("卡", "a", "é", "\u3000", "\U00020001"):
        assert readings.get(unknown, unknown) == unknown


def test_phrases_are_found_as_whole_words_or_as_han_and_hangul_substrings() -> None:
    from bot.core.intents import _PhraseIndex

    index = _PhraseIndex.of(
        ["American green card", "green card lottery", "美国绿卡", "미국 영주권"]
    )
    assert index.remove("how do i get an american green card") == ("how do i get an", True)
    assert index.remove("the green card lottery") == ("the", True)
    # whole words only: no phrase inside other words, none with a word between
    assert index.remove("panamerican green cards") == ("panamerican green cards", False)
    assert index.remove("american citizen green card") == ("american citizen green card", False)
    # run-together scripts: a substring; the rest keeps what is around it
    assert index.remove("我有美国绿卡可以申请吗") == ("我有 可以申请吗", True)
    assert index.remove("미국 영주권 어떻게") == ("어떻게", True)
    assert index.remove("中国绿卡") == ("中国绿卡", False)
    assert _PhraseIndex.of([]).remove("anything") == ("anything", False)


def test_leading_greetings_are_taken_off_but_never_all_of_a_message() -> None:
    from bot.core.intents import _PhraseIndex

    index = _PhraseIndex.of(["hello", "good morning", "你好", "안녕하세요"])
    assert index.lead("hello good morning where is the office") == "where is the office"
    assert index.lead("你好 请问续证要带什么材料") == "请问续证要带什么材料"
    assert index.lead("안녕하세요카드 잃어버렸어요") == "카드 잃어버렸어요"
    assert index.lead("hello") == "hello"  # a greeting alone stays what it is
    assert index.lead("say hello to my wife") == "say hello to my wife"  # only at the start
    assert index.lead("hellooo where") == "hellooo where"  # whole words


def test_a_typo_written_into_one_example_is_still_repaired() -> None:
    """Writers type like users: one example has "wher". That made "wher" a known word, never
    repaired, and "wher is the ofice" lost its address answer."""
    offices = [f"where is office {name}" for name in "abcdefghijklmnopqrstuvwxyz"]
    offices += [f"where is the {name} office" for name in "abcdefghijklmnopqrstuvwxyz"]
    examples = {"address": offices, "where_to_apply": ["wher to submit my forms"]}
    small = Matcher({"en": examples}, ridge=0.0)
    assert small._repair("wher is the ofice") == "where is the office"
    # a word of one example with no far commoner word near it is left as it is
    assert small._repair("forms") == "forms"
    rare = Matcher({"en": {**examples, "address": offices[:40]}}, ridge=0.0)
    assert rare._repair("wher is") == "wher is"  # "where" is in 40 examples, not 50


def test_a_number_is_not_a_typo_of_another() -> None:
    assert matcher().match("12345").intent is None
    assert matcher().match("12367").intent == "contact"


def test_recent_verdicts_are_kept_and_are_the_same() -> None:
    from bot.core.intents import MATCH_MEMO, MEMO_TEXT

    found = matcher()
    found.memo.clear()
    questions = ["how much is the fee", "opening hours", "几点开门", "Öffnungszeiten?", "hi", ""]
    first = [found.match(q) for q in questions]
    hits = found.memo.hits
    again = [found.match(q) for q in questions]
    assert found.memo.hits == hits + len(questions)
    assert again == first
    # what the memo gives is what matching the text again gives, to the last digit
    assert [repr(found._match(q)) for q in questions] == [repr(m) for m in again]
    assert first[0].intent == "fees" and first[2].language == "zh"
    # the same words written otherwise are another question, matched on their own
    assert found.match("How much is the fee?") == found._match("How much is the fee?")
    for n in range(MATCH_MEMO + 10):
        found.match(f"question number {n}")
    assert len(found.memo) == MATCH_MEMO  # bounded: the least recent went first
    long = "how much is the fee " * (MEMO_TEXT // 20 + 1)
    found.match(long)
    assert long not in found.memo  # a long question is never kept
    assert found.match(long) == found._match(long)
