"""Offline, typo-tolerant intent matching over example phrasings in many languages.

A question and every example phrasing become TF-IDF vectors (weighted by the document
frequencies of the example's own language) that mix several kinds of evidence:

* character n-grams: trigrams of words in spaced scripts, unigrams and bigrams of Han, kana
  and Hangul characters (no word segmentation is needed for Chinese or Japanese, and a typo
  costs a few features rather than the whole word);
* whole words and light stems (a five-letter prefix for Latin and Cyrillic words, clitics and
  affixes stripped from Arabic ones), so that inflected forms meet;
* bigrams of toneless pinyin readings of Han characters (from the data), so that a Chinese
  homophone typo (地止 for 地址) still meets its word;
* typo repair: a word that no example uses is replaced by the nearest known word of its script
  (optimal string alignment distance of one, or two for long words, via rapidfuzz); Korean
  words are compared letter (jamo) by letter.

Only examples and keywords of the languages the question's script allows take part. An intent
scores a weighted mean of the cosine similarities of its five best examples, blended with a
kernel ridge classifier trained per language on the same vectors (it weighs the features
that tell intents apart; its weights are cached by a digest of what they were trained on),
plus a bonus when one of its keywords (matched by stem, or by pinyin) occurs in the question.
Out-of-scope example questions compete too: a question nearer to them than to any intent gets
no confident intent. `Matcher.match` turns the ranking into a confident intent or only
guesses, and names the language the question was written in: by script, else (Latin letters)
by the language of the best-fitting examples and keywords, stop words and accented letters.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import sys
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import compress, pairwise
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.languages import written_in
from bot.core.memo import Memo

try:  # the inner loop in C, built by `pip install` where a C compiler is (setup.py)
    from bot.core import _kernel
except ImportError:  # no compiler at install: numpy gives the same numbers, a little slower
    _kernel = None  # type: ignore[assignment]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7af]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# combining marks of Latin, Cyrillic, Hebrew and Arabic letters (not the kana voicing marks)
_MARKS = re.compile(
    r"[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]"
)
_ARABIC_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",
        "ک": "ك",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": None,
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)
_MAX_QUERY = 500  # characters looked at: a question is never longer
MATCH_MEMO = 256  # recent questions whose verdict is kept (each a few kB at most)
MEMO_TEXT = 200  # characters: a longer question is matched every time, never kept
_CACHE_SIZE = 50_000  # typo repairs remembered
# a word in this many examples or fewer may itself be a typo that a writer put in one ("wher
# is the office"): it is repaired to a known word in `_COMMONER` times as many examples
_ONCE = 1
_COMMONER = 50

# Scripts, and the languages whose examples a question in that script may match.
_LATIN, _CYRILLIC, _ARABIC, _HANGUL, _KANA, _HAN = "latin", "cyrl", "arab", "hang", "kana", "han"
_SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {
    script: written_in(script) for script in (_LATIN, _CYRILLIC, _ARABIC, _HANGUL, _KANA, _HAN)
}

_STEM_LENGTH = 5  # Latin and Cyrillic words share a stem when their first letters agree
_ARABIC_PREFIXES = ("وبال", "وال", "بال", "كال", "فال", "لل", "ال", "و", "ب", "ل", "ف")
_ARABIC_SUFFIXES = ("كما", "ها", "هم", "كم", "نا", "ات", "ون", "ين", "ان", "يه", "ه", "ي", "ك")


def _words(text: str) -> frozenset[str]:
    """The space-separated words of a literal."""
    return frozenset(text.split())


# Cheap cues for telling the Latin-script languages apart (letters before accent removal).
_ACCENT_CUES: dict[str, str] = {
    "ñ": "es", "¿": "es", "¡": "es", "á": "es", "í": "es", "ó": "es", "ú": "es",
    "ß": "de", "ä": "de", "ö": "de", "ü": "de",
    "ç": "fr", "œ": "fr", "è": "fr", "ê": "fr", "à": "fr", "ù": "fr", "â": "fr", "î": "fr",
    "ô": "fr", "û": "fr", "ë": "fr", "ï": "fr",
}  # fmt: skip
_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the is are what how where when which who do does can i my me you it of to for in on "
        "and a an this that there with please at be get have will your s much many need want"
    ),
    "fr": _words(
        "le la les est sont quel quelle quels comment ou quand je mon ma mes vous tu de des du "
        "et un une ce cette pour avec sur dans au aux il elle faut peux puis qu que votre pas "
        "ne c j l d s y"
    ),
    "de": _words(
        "der die das ist sind was wie wo wann welche welcher wer ich mein meine mich mir sie du "
        "und ein eine einen fur mit auf im in am zum zur den dem des bitte kann konnen muss "
        "gibt es nicht ab wir habe hat bei"
    ),
    "es": _words(
        "el la los las es son que como donde cuando cual cuanto cuanta quien yo mi mis me usted "
        "tu de del y un una este esta para con en al por puedo hay se lo le necesito tengo su sus"
    ),
}


def normalize(text: str) -> str:
    """Casefold, drop accents of Latin, Cyrillic and Arabic letters, unify letters and spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _MARKS.sub("", unicodedata.normalize("NFD", text))
        text = unicodedata.normalize("NFC", text).translate(_ARABIC_FOLD)
    return " ".join(_WORD.findall(text))


def written_together(text: str) -> bool:
    """Whether a text has Han, kana or Hangul, the scripts that run words together: a phrase
    in them is found as a substring, not word by word (`_PhraseIndex`)."""
    return _CJK.search(text) is not None


def _script(word: str) -> str:
    """The script of a word without Han, kana or Hangul (by its first letter)."""
    for char in word:
        code = ord(char)
        if 0x0400 <= code <= 0x04FF:
            return _CYRILLIC
        if 0x0600 <= code <= 0x06FF:
            return _ARABIC
        if char.isalpha():
            return _LATIN
    return ""


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, language-blind stem: Arabic affixes stripped, other words cut to five letters."""
    if _script(word) == _ARABIC:
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                word = word[len(prefix) :]
                break
        for suffix in _ARABIC_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        return word
    return word[:_STEM_LENGTH]


def _key(word: str) -> str:
    """What a keyword's word must share with a word of the question.

    Short words must be equal; a longer one may differ in its last two letters (an ending),
    and an Arabic one may carry other clitics and suffixes.
    """
    if len(word) <= 4:
        return "w:" + word
    if _script(word) == _ARABIC:
        return "s:" + stem(word)
    return "p:" + word[: max(_STEM_LENGTH, len(word) - 2)]


def _keys(word: str) -> set[str]:
    """Every key by which a word of a question can match a keyword's word.

    An Arabic word's stem also counts as a whole word, so that a short keyword meets it
    behind a clitic or before a suffix ("بدفع" meets "دفع", "سعره" "سعر").
    """
    found = {"w:" + word}
    if _script(word) == _ARABIC:
        found.add("w:" + stem(word))
    if len(word) > 4:
        found.add("s:" + stem(word))
        found.update("p:" + word[:n] for n in range(_STEM_LENGTH, len(word) + 1))
    return found


def features(text: str, pairs: bool = True) -> dict[str, float]:
    """Term counts of the character n-grams, words, stems and (with `pairs`) pairs of
    neighbouring words of normalized text."""
    found: list[str] = []
    for run in _CJK_RUN.findall(text):
        found += run
        found += [run[i : i + 2] for i in range(len(run) - 1)]
    words = _CJK_RUN.sub(" ", text).split()
    # "my reminders", "stop reminding", "how long": the ridge classifier weighs a pair apart
    # from its words (Han, kana and Hangul have their character pairs instead)
    if pairs:
        found += ["b:" + first + " " + second for first, second in pairwise(words)]
    for word in words:
        found.append("w:" + word)
        if word.isdigit():  # a number is not a typo of another: only the whole number counts
            continue
        if len(word) > 2:
            found.append("s:" + stem(word))
        padded = f" {word} "
        found += [padded[i : i + 3] for i in range(len(padded) - 2)]
    counts: dict[str, float] = {}
    counts.update(Counter(found))
    return counts


def _feature_keys(features: Iterable[str]) -> np.ndarray:
    """Features as 32-bit keys (their BLAKE2b digests): fixed-width, so numpy sorts and
    searches them, a sixth of the memory of their UTF-8 in 24 bytes, and the same in every
    process (the index is cached). Of the index's ~216,000 features about five pairs share
    a key (four with the examples of the seventeenth round, all rare word pairs or
    trigrams), and then only one of the two is found; a question's feature that no example
    has meets a key by chance once in 20,000. 64-bit keys cost 0.8 MiB more."""
    digests = b"".join(hashlib.blake2b(f.encode(), digest_size=4).digest() for f in features)
    return np.frombuffer(digests, dtype="<u4")


def _runs(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions of runs `starts[i]:starts[i] + sizes[i]`, one after the other, gathered
    in a few array operations instead of a slice per run."""
    total = int(sizes.sum())
    return np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(total)


@dataclass(frozen=True, slots=True)
class _PhraseIndex:
    """Phrases found in normalized text: as whole words (by their first word), or, in Han,
    kana or Hangul, as a substring (by their first character: those scripts run words
    together). A dictionary lookup per word or character, where one pattern of all the
    phrases cost 40 us a question."""

    by_word: dict[str, tuple[tuple[str, ...], ...]]  # longest first
    by_char: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, phrases: Iterable[str]) -> _PhraseIndex:
        """The index of these phrases (normalized here)."""
        texts = sorted({normalize(p) for p in phrases} - {""}, key=len, reverse=True)
        by_word: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        by_char: dict[str, list[str]] = defaultdict(list)
        for text in texts:
            if written_together(text):
                by_char[text[0]].append(text)
            else:
                words = tuple(text.split())
                by_word[words[0]].append(words)
        return cls(
            {w: tuple(p) for w, p in by_word.items()}, {c: tuple(p) for c, p in by_char.items()}
        )

    def remove(self, text: str) -> tuple[str, bool]:
        """The text without the phrases it holds, and whether it held any."""
        found = False
        words = text.split()
        kept: list[str] = []
        i = 0
        while i < len(words):
            for phrase in self.by_word.get(words[i], ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    i += len(phrase)
                    found = True
                    break
            else:
                kept.append(words[i])
                i += 1
        rest = " ".join(kept)
        if not self.by_char or _CJK.search(rest) is None:
            return rest, found
        pieces: list[str] = []
        i = 0
        while i < len(rest):
            for piece in self.by_char.get(rest[i], ()):
                if rest.startswith(piece, i):
                    i += len(piece)
                    found = True
                    pieces.append(" ")
                    break
            else:
                pieces.append(rest[i])
                i += 1
        return " ".join("".join(pieces).split()), found

    def __bool__(self) -> bool:
        """Whether there is any phrase to find."""
        return bool(self.by_word or self.by_char)

    def lead(self, text: str) -> str:
        """The text without the phrases it begins with ("hello good morning, where is..."
        without "hello good morning"), or the text itself when they are all it has."""
        rest = text
        while rest:
            words = rest.split()
            for phrase in self.by_word.get(words[0], ()):
                if tuple(words[: len(phrase)]) == phrase:
                    rest = " ".join(words[len(phrase) :])
                    break
            else:
                for piece in self.by_char.get(rest[0], ()):
                    if rest.startswith(piece):
                        rest = rest[len(piece) :].strip()
                        break
                else:
                    break
        return rest or text


class _Vocabulary:
    """The known words of one script (the examples' and keywords'), each with how many
    examples and keywords use it, grouped by length: a typo within distance d of a word has
    its length within d of it.

    The words of one length are sorted and packed into one string, a line each (slots of equal
    width, split into a list in one call when searched), their counts and places (the order
    they were first met) in arrays beside them: a string object and a dictionary entry per word
    cost five times the memory (2.2 of the index's 2.7 MiB for 24,000 words).
    """

    __slots__ = ("_lengths",)

    def __init__(self, counts: Mapping[str, int]) -> None:
        groups: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        for place, (word, count) in enumerate(counts.items()):
            groups[len(word)].append((word, place, count))
        self._lengths: dict[int, tuple[str, array[int], array[int]]] = {}
        for size, group in groups.items():
            group.sort()
            packed = "\n".join(word for word, _, _ in group)
            places = array("i", [place for _, place, _ in group])
            self._lengths[size] = (packed, places, array("i", [count for *_, count in group]))

    def count(self, word: str) -> int:
        """How many examples and keywords use `word` (0: none)."""
        size = len(word)
        if size not in self._lengths:
            return 0
        packed, _, counts = self._lengths[size]
        width = size + 1  # a word and its line end
        low, high = 0, len(counts)
        while low < high:  # binary search of the sorted slots
            middle = (low + high) // 2
            if packed[middle * width : middle * width + size] < word:
                low = middle + 1
            else:
                high = middle
        found = low < len(counts) and packed[low * width : low * width + size] == word
        return counts[low] if found else 0

    def near(self, word: str, limit: int) -> list[tuple[int, int, str, int]]:
        """The known words within `limit` edits (OSA distance) of `word`: (distance, place,
        word, count) each, in no particular order."""
        found: list[tuple[int, int, str, int]] = []
        for size in range(len(word) - limit, len(word) + limit + 1):
            if size not in self._lengths:
                continue
            packed, places, counts = self._lengths[size]
            words = packed.split("\n")
            found += [
                (int(distance), places[at], known, counts[at])
                for known, distance, at in process.extract(
                    word, words, scorer=OSA.distance, score_cutoff=limit, limit=None
                )
            ]
        return found

    def words(self) -> list[str]:
        """Every known word, in the order they were first met."""
        placed = [
            (place, word)
            for packed, places, _ in self._lengths.values()
            for place, word in zip(places, packed.split("\n"), strict=True)
        ]
        return [word for _, word in sorted(placed)]


def _plausible_typo(typed: str, known: str, distance: int) -> bool:
    """Whether `typed` looks like a slip for `known` rather than another word.

    The first letter must agree (unless the first two are swapped), and a four-letter word may
    only have two letters swapped or one left out: short words are too often other words.
    """
    swapped = len(typed) == len(known) and sorted(typed) == sorted(known)
    if typed[0] != known[0] and not (swapped and typed[:2] == known[1::-1]):
        return False
    if len(typed) == 4 and distance == 1:
        return swapped or len(known) == 5
    return True


# Arabic typed in Latin letters ("arabizi"), digits standing for the letters Latin lacks
# (2 ء, 3 ع, 5 خ, 6 ط, 7 ح, 9 ق): "da3et el beta2a", "ta3", "wa9tach", "3ndi"
_ARABIZI_WORD = re.compile(r"[a-z]*(?:[a-z][235679]|[235679][a-z])[a-z235679]*")
# ...but not an ordinal, a time, a unit or a code ("2nd", "9am", "5km", "h5")
_NOT_ARABIZI = re.compile(
    r"\d+(?:st|nd|rd|th|am|pm|h|hrs?|mins?|k|km|kg|g|gb|mb|x|s|d|m|yrs?)|[a-z]\d+"
)
_ARABIZI = "ar"  # the language written so
_ARABIZI_SEEN = 3  # Arabic examples a Latin-letter word must be in to mark Arabic without digits


def arabizi(text: str) -> bool:
    """Whether a (normalized) text has a word of Arabic typed in Latin letters and digits."""
    return any(
        _ARABIZI_WORD.fullmatch(word) is not None and _NOT_ARABIZI.fullmatch(word) is None
        for word in text.split()
    )


def scripts(text: str) -> frozenset[str]:
    """The scripts a (normalized) text is written in."""
    found: set[str] = set()
    for char in text:
        code = ord(char)
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            found.add(_HANGUL)
        elif 0x3040 <= code <= 0x30FF:
            found.add(_KANA)
        elif 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF:
            found.add(_HAN)
        elif 0x0400 <= code <= 0x04FF:
            found.add(_CYRILLIC)
        elif 0x0600 <= code <= 0x06FF:
            found.add(_ARABIC)
        elif char.isalpha():
            found.add(_LATIN)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class IntentScore:
    """How well an intent fits a question, and the language of the best example."""

    intent: str
    score: float
    language: str


@dataclass(frozen=True, slots=True)
class Match:
    """The matcher's verdict: a confident intent, or only guesses."""

    intent: str | None
    language: str | None
    ranked: tuple[IntentScore, ...]
    out_of_scope: bool = False  # about something the bot does not cover (visas, weather...)
    out_score: float = 0.0  # how near the question is to the out-of-scope examples
    immigration: bool = False  # it names a visa or permit (the exit-entry administration's),
    # and not permanent residence
    other: bool = False  # it names another matter (a visa, "supermarket") and not the card
    keyworded: frozenset[str] = frozenset()  # the intents one of whose keywords it contains

    def guesses(self, count: int = 3) -> list[str]:
        """The best intents worth offering as buttons."""
        if not self.ranked:
            return []
        floor = max(GUESS_FLOOR, self.ranked[0].score * 0.6)
        return [s.intent for s in self.ranked[:count] if s.score >= floor]


# Scores run from 0 to 1. Thresholds chosen with `prbot evaluate` on the labelled questions.
CONFIDENT = 0.27
MARGIN = 0.0
SURE = 0.51
GUESS_FLOOR = 0.2
_NEIGHBOURS = (1.0, 0.7, 0.5, 0.35, 0.25)  # weights of the best examples of an intent
_COMMON = 0.15  # share of a language's examples above which a feature is not indexed...
_COMMON_ALONE = 0.3  # ...or, in a matcher of nearest examples alone (no ridge classifier)
_FLOOR = 0.05  # examples less similar than this are ignored
_K, _K_SUM = len(_NEIGHBOURS), math.fsum(_NEIGHBOURS)
_NEIGHBOUR_WEIGHTS = np.array(_NEIGHBOURS)
_STRETCH = 2.5  # scores are 1 - (1 - mean similarity) ** _STRETCH
_KEYWORD_WEIGHT = 0.15  # bonus of an intent whose keyword the question contains
_PINYIN = 0.5  # weight of a pinyin bigram against a character bigram
_JAPANESE_LEAD = 0.1  # how much better Japanese examples must fit a Han-only question
_OUT_MARGIN = 0.08  # how far an intent must beat the nearest out-of-scope example (unstretched)
RIDGE_WEIGHT = 0.4  # share of the kernel ridge classifier in an intent's score
RIDGE_LAMBDA = 1.0  # its regularisation
RIDGE_ITERATIONS = 10  # conjugate-gradient steps of its training
_RIDGE_DENSE = 16  # features in this many examples or more enter the kernel by a matrix product
_RIDGE_BATCH = 100_000  # example pairs summed into the kernel at a time (bounds the memory)
_WEIGHT_LEVELS = 256  # the posting weights' levels (in 8 bits)
_RIDGE_FORMAT = 3  # changes when the ridge weights' meaning changes (old caches are not read)
OUT_SURE = 0.25  # an out-of-scope score from which a question is declared out of scope...
OUT_LEAD = 0.0  # ...when it is also at least this far above the best intent's score
_OUT = "\x00out-of-scope"  # the pseudo-intent of the out-of-scope examples
_SUBJECT = "\x00subject"  # the pseudo-intent of the words naming the bot's subject
_IMMIGRATION = "\x00immigration"  # the pseudo-intent of words naming visas and permits
_OTHER = "\x00other"  # set when an out-of-scope keyword names another matter
_WORDS = "\x00words"  # set when the question shares a word with the examples, not only letters
_FLAGS = (_SUBJECT, _IMMIGRATION, _OTHER, _WORDS)
# when the question names another matter (an out-of-scope keyword, a visa or permit) and not
# the subject: how far an intent must beat the nearest out-of-scope examples (_OUT_MARGIN)...
_OTHER_MARGIN = 0.3
_OTHER_LEAD = -0.1  # and is declared out of scope from 0.1 below the best intent's score
_OUT_KEYWORD_WEIGHT = 2 * _KEYWORD_WEIGHT  # out-of-scope keywords weigh as strong keywords
_PERMIT_CRITERION = "eligibility"  # the topic whose questions name permits as criteria
_PERMIT_WEIGHT = _KEYWORD_WEIGHT  # a visa or permit named (not the card) as a keyword
_GREETED = "help"  # the intent a greeting alone asks for ("hello": what can you do)
# how far the question after a greeting must put its intent ahead of help to be taken for it
# (5-fold: 0, any intent, lost 34 help questions such as "Bonjour, il y a quelqu'un ?" and won
# 12; 0.2 lost 11 and won the same 12)
_GREETED_LEAD = 0.2
# a topic that gives its place to another whose keyword the question holds, when that one
# scores close behind: "the procedure for replacing a damaged card" is the card's loss, not
# the application's steps; "the NIA's website" is a contact; "who issues the five-star card"
# is the authority, not the card's status
_YIELDS = {
    "process": ("loss", "renewal", "change"),
    "authority": ("contact",),
    "status": ("authority",),
    # the cost of a renewal, a replacement or a change is a fees question
    "renewal": ("fees",),
    "loss": ("fees",),
    "change": ("fees",),
}
_YIELD_GAP = 0.25  # how far behind the other may score


@dataclass(slots=True)
class _Keyword:
    intent: str
    language: str
    han: str  # the keyword's CJK text, matched as a substring
    sound: str  # or by its pinyin, to forgive homophone typos
    keys: tuple[str, ...]  # its other words, each matched by its stem (a tuple: a third of
    # a frozenset's memory, and a keyword has one to three)
    weight: float  # the bonus it brings


class _Readings:
    """The toneless pinyin of Han characters, to forgive homophone typos in Chinese.

    Per character of the CJK ideograph blocks, the number of its syllable in one array of
    16-bit numbers (0: no reading); a dictionary of one-character strings cost ten times the
    memory (0.7 MiB for 6,800 characters).
    """

    __slots__ = ("_numbers", "_others", "_syllables")
    _FIRST, _LAST = 0x3400, 0x9FFF

    def __init__(self, readings: Mapping[str, str]) -> None:
        """`readings` maps a syllable to the characters read so; a character under two
        syllables is read as the later one."""
        self._syllables = tuple(readings)
        self._numbers = array("H", [0]) * (self._LAST - self._FIRST + 1)
        self._others: dict[str, str] = {}  # characters outside those blocks
        for number, (syllable, chars) in enumerate(readings.items(), 1):
            for char in chars:
                at = ord(char) - self._FIRST
                if 0 <= at < len(self._numbers):
                    self._numbers[at] = number
                else:
                    self._others[char] = syllable

    def __bool__(self) -> bool:
        return bool(self._syllables)

    def get(self, char: str, default: str) -> str:
        """The syllable `char` is read as, or `default`."""
        at = ord(char) - self._FIRST
        if 0 <= at < len(self._numbers):
            number = self._numbers[at]
            return self._syllables[number - 1] if number else default
        return self._others.get(char, default)


class _PostingsBuilder:
    """Collects the (feature, example, count) triples of every language compactly, then weighs
    them.

    The TF-IDF weights, the examples' vector lengths and the postings are computed in a few
    array operations at the end instead of a dictionary per example.
    """

    def __init__(self) -> None:
        self.features: dict[str, int] = {}
        self.feature_of = array("i")
        self.doc_of = array("i")
        self.count_of = array("d")

    def add(self, doc: int, counts: Mapping[str, float]) -> None:
        """One example (number `doc` of all) has these features this many times."""
        numbers = self.features
        for feature in counts:
            if feature not in numbers:
                numbers[sys.intern(feature)] = len(numbers)
        self.feature_of.extend([numbers[f] for f in counts])
        self.doc_of.extend([doc] * len(counts))
        self.count_of.extend(counts.values())

    def build(self, doc_language: np.ndarray, starts: np.ndarray, common: float) -> _Postings:
        """The postings of every language in one index, by feature.

        Each language weighs features by its own document frequencies (a word common in
        Spanish examples is weak evidence, though other languages never use it): an example's
        weights are its language's unit-length TF-IDF, and its postings carry them times its
        language's IDF, so that a question's similarity to every example of every language is
        one weighted bincount, divided by the question's length in each example's language.
        Features in over a share `common` of a language's examples (and 20 of them) weigh
        little but cost the most time: they count in the vectors' lengths, but get no postings
        in that language.
        """
        # features are numbered by their keys' sorted order, so a question's features are
        # found by binary search in one array of keys (a dictionary of strings cost 4x more)
        every = _feature_keys(self.features)
        order = np.argsort(every, kind="stable")
        keys = every[order]
        renumber = np.empty(len(every), dtype=np.int32)
        renumber[order] = np.arange(len(every))
        features = renumber[np.frombuffer(self.feature_of, dtype=np.int32)]
        docs = np.frombuffer(self.doc_of, dtype=np.int32)
        counts = np.frombuffer(self.count_of, dtype=np.float64)
        language = doc_language[docs]
        languages = len(starts) - 1
        # language k's examples are starts[k]:starts[k + 1] (`Matcher._language_starts`)
        sizes = np.diff(starts)
        df = np.zeros((len(every), languages), np.int64)  # by feature and language
        np.add.at(df, (features, language), 1)
        frequencies = df[features, language]  # of each posting's feature, in its language
        idf = _idf(frequencies, sizes[language])
        tf = np.where(counts == 1.0, 1.0, 1.0 + np.log(counts))
        weights = tf * idf
        squares = np.bincount(docs, weights=weights * weights, minlength=len(doc_language))
        lengths = np.sqrt(squares)
        lengths[lengths == 0.0] = 1.0
        weights = weights / lengths[docs] * idf
        keep = frequencies <= np.maximum(common * sizes[language], 20)
        features, docs, weights = features[keep], docs[keep], weights[keep]
        language = language[keep]
        # by feature, and within it by example, so by language too (a language's examples
        # are numbered together)
        order = np.argsort(features, kind="stable")
        features, docs, language = features[order], docs[order], language[order]
        # the weights in 8 bits, as the nearest of 256 levels spaced evenly on a log scale
        # from the lightest weight to the heaviest (230x apart: a weight moves by at most
        # 1.1 %; 5-fold and the development sets unchanged against 16-bit fixed point, 2.6
        # MiB less). Not float16: numpy converts float16 in software, 15x slower than a
        # table lookup
        weights = weights[order]
        levels = np.ones(_WEIGHT_LEVELS)
        codes = np.zeros(len(weights), np.uint8)
        if len(weights):
            lightest, heaviest = np.log(weights.min()), np.log(weights.max())
            step = (heaviest - lightest) / (_WEIGHT_LEVELS - 1) or 1.0
            levels = np.exp(lightest + step * np.arange(_WEIGHT_LEVELS))
            codes = np.rint((np.log(weights) - lightest) / step).astype(np.uint8)
        # the examples numbered within their language, in 16 bits while no language has
        # over 65,536 (all of them together may)
        largest = int(sizes.max(initial=0))
        narrow = np.uint16 if largest <= np.iinfo(np.uint16).max + 1 else np.int32
        local = (docs - starts[language]).astype(narrow)
        position = np.uint32 if len(docs) < 2**32 else np.int64
        # the document frequencies kept sparse: most features (words, pairs of words) occur
        # in one language only, and a dense table had 9 counts for each; each such entry
        # (a feature in a language) has its run of postings
        rows, columns = np.nonzero(df)
        entry = np.searchsorted(rows * languages + columns, features * languages + language)
        runs = np.searchsorted(entry, np.arange(len(rows) + 1))
        frequency = np.uint16 if largest <= np.iinfo(np.uint16).max else np.int32
        return _Postings(
            keys,
            np.searchsorted(rows, np.arange(len(every) + 1)).astype(position),
            columns.astype(np.uint8),
            df[rows, columns].astype(frequency),
            sizes,
            runs.astype(position),
            local,
            codes,
            levels,
        )


def _idf(df: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The inverse document frequency of features in `df` of a language's `sizes` examples."""
    result: np.ndarray = np.log((1 + sizes) / (1 + df)) + 1.0
    return result


@dataclass(frozen=True, slots=True)
class _Postings:
    """Per feature, the examples (of every language) that have it with their weights: a run
    of two arrays; and per feature and language, its document frequency.

    A question's similarity to every example is then one weighted bincount over the runs of
    its features, instead of a Python loop over the postings or a pass per language.
    Everything but the feature numbers is in arrays (a dictionary of floats and a list of
    ints per feature cost about three times the memory).
    """

    keys: np.ndarray  # the features' 32-bit keys (`_feature_keys`), sorted
    # feature k is in df_counts[i] examples of language df_languages[i], for i in
    # df_bounds[k]:df_bounds[k + 1] (and in none of the other languages)
    df_bounds: np.ndarray
    df_languages: np.ndarray
    df_counts: np.ndarray
    sizes: np.ndarray  # (languages,): how many examples each language has
    # entry i's postings (of feature k in language df_languages[i]) are runs[i]:runs[i + 1]
    # of docs and weights; so feature k's are runs[df_bounds[k]]:runs[df_bounds[k + 1]]
    runs: np.ndarray
    docs: np.ndarray  # the examples, numbered within their language
    # unit-length TF-IDF times the IDF in the example's language, coded in 8 bits: the
    # weight is levels[weights[i]]
    weights: np.ndarray
    levels: np.ndarray  # (256,) float64, ascending

    def numbers(self, keys: np.ndarray) -> np.ndarray:
        """The number of each of a question's features (by key), or -1 when no example has
        it."""
        if not len(self.keys):
            return np.full(len(keys), -1)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found: np.ndarray = np.where(self.keys[at] == keys, at, -1)
        return found

    def idf(self, numbers: np.ndarray) -> np.ndarray:
        """(features, languages): the IDF of these features (-1: none has it) per language."""
        frequencies = np.zeros((len(numbers), len(self.sizes)))
        known = np.flatnonzero(numbers >= 0)
        starts = self.df_bounds[numbers[known]].astype(np.int64)
        sizes = self.df_bounds[numbers[known] + 1] - starts
        entries = _runs(starts, sizes)
        frequencies[np.repeat(known, sizes), self.df_languages[entries]] = self.df_counts[entries]
        return _idf(frequencies, self.sizes)

    def language(self, code: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The postings of language `code` alone: per feature, bounds into the other two,
        its examples (numbered within the language) and their unit-length weights
        (float64)."""
        features = len(self.df_bounds) - 1
        mentioned = np.repeat(np.arange(features), np.diff(self.df_bounds))  # by entry
        here = np.flatnonzero(self.df_languages == code)
        lengths = (self.runs[here + 1] - self.runs[here]).astype(np.int64)
        mine = _runs(self.runs[here].astype(np.int64), lengths)
        bounds = np.searchsorted(np.repeat(mentioned[here], lengths), np.arange(features + 1))
        idf = _idf(np.repeat(self.df_counts[here], lengths).astype(np.float64), self.sizes[code])
        weights = self.levels[self.weights[mine]] / idf
        return bounds.astype(np.int64), self.docs[mine], weights


class Matcher:
    """Ranks intents for a question; built once at start-up from example phrasings."""

    def __init__(
        self,
        examples: Mapping[str, Mapping[str, Iterable[str]]],
        keywords: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
        out_of_scope: Mapping[str, Iterable[str]] | None = None,
        readings: Mapping[str, str] | None = None,
        strong_keywords: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
        out_of_scope_keywords: Mapping[str, Iterable[str]] | None = None,
        subject: Mapping[str, Iterable[str]] | None = None,
        immigration: Mapping[str, Iterable[str]] | None = None,
        foreign: Mapping[str, Iterable[str]] | None = None,
        bank_cards: Mapping[str, Iterable[str]] | None = None,
        greetings: Mapping[str, Iterable[str]] | None = None,
        card_use: Mapping[str, Iterable[str]] | None = None,
        *,
        ridge: float = RIDGE_WEIGHT,
        cache: Path | None = None,
    ) -> None:
        """`examples[language][intent]` and `keywords[language][intent]` are phrasings.

        `out_of_scope[language]` are questions the bot must not answer: a question nearer
        to one of them than to any intent gets no confident intent. `readings` maps a toneless
        pinyin syllable to the Han characters read so, to forgive homophone typos in Chinese.
        `strong_keywords` name requests that decide the intent whatever the topic ("remind me"
        about a renewal is a reminder): they bring twice the bonus of a keyword.
        `out_of_scope_keywords[language]` name other matters ("tourist visa", "weather"):
        they bring the out-of-scope examples the bonus of a strong keyword (a visa or permit
        named, that of a keyword), and a question naming one needs a clearer lead to be
        answered. `subject[language]` are
        the words naming what the bot is about ("permanent residence", "绿卡"): a question
        containing one is never declared out of scope. `immigration[language]` are words
        naming visas and permits: an out-of-scope question naming one is the exit-entry
        administration's, and the bot says so. `foreign[language]` are phrases naming
        another country's permanent residence ("american green card", "美国绿卡"): a question
        naming the subject only inside one is out of scope. `bank_cards[language]` are
        card brands named like a visa ("visa card", 비자카드): a visa word inside one names no
        visa ("can I pay with a Visa card" is a fees question). `greetings[language]` open
        a message ("hello", "السلام عليكم", "안녕하세요"): a question after them is matched
        without them when with them it would only be a greeting or unclear. `card_use[language]`
        name the card in use ("with my card", "с картой", "بالبطاقة"): a question holding one as
        a whole phrase is about the card (what it serves for), never out of scope; unlike the
        subject's words, whose words may stand apart. `ridge` is
        the share of an intent's score that comes from the kernel ridge classifier (0:
        nearest examples alone); its trained weights are kept in the folder `cache`, if
        given, under a digest of the examples, and read from there when the examples have not
        changed.
        """
        self._readings = _Readings(readings or {})
        # pairs of neighbouring words help the ridge classifier (5-fold +0.6 points) and hurt
        # the nearest examples alone (the pathway matcher's 5-fold -5 to -12 points)
        self._pairs = ridge > 0
        raw: list[tuple[str, str, dict[str, float]]] = []
        vocabulary: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        # Latin-letter words of the Arabic examples ("kifach", "baddi") and of the others
        arabizi_words: Counter[str] = Counter()
        other_latin: set[str] = set()
        sources: list[tuple[str, Mapping[str, Iterable[str]]]] = list(examples.items())
        sources += [(lang, {_OUT: p}) for lang, p in (out_of_scope or {}).items()]
        for language, intents in sources:
            for intent, phrases in intents.items():
                for phrase in phrases:
                    text = normalize(phrase)
                    raw.append((intent, language, self._features(text)))
                    for word in _CJK_RUN.sub(" ", text).split():
                        script = _script(word)
                        vocabulary[script][word] += 1
                        if script == _LATIN and language == _ARABIZI:
                            arabizi_words[word] += 1
                        elif script == _LATIN:
                            other_latin.add(word)
                    for word in text.split():
                        if _HANGUL_WORD.fullmatch(word):
                            vocabulary[_HANGUL][unicodedata.normalize("NFD", word)] += 1
        # examples numbered one language after the other: a language's examples are a slice
        raw.sort(key=lambda example: example[1])
        building = _PostingsBuilder()
        for doc, (_, _, counts) in enumerate(raw):
            building.add(doc, counts)
        self._documents = len(raw)
        self._intent_names = sorted({intent for intent, _, _ in raw})
        self._language_names = sorted({language for _, language, _ in raw})
        intent_codes = {name: code for code, name in enumerate(self._intent_names)}
        language_codes = {name: code for code, name in enumerate(self._language_names)}
        # intents in 8 bits while they fit (sorting by them is then a radix sort)
        narrow = np.uint8 if len(intent_codes) <= 256 else np.int32
        self._doc_intent = np.array([intent_codes[i] for i, _, _ in raw], narrow)
        self._doc_language = np.array([language_codes[lang] for _, lang, _ in raw], np.uint8)
        # language k's examples are self._language_starts[k]:self._language_starts[k + 1]
        self._language_starts = np.searchsorted(
            self._doc_language, np.arange(len(self._language_names) + 1)
        )
        del raw
        # the ridge classifier does without the features in 15-30 % of a language's examples
        # (5-fold +-0; an eighth of the postings, but the longest runs, which most questions
        # meet); the nearest examples alone lose 5 points
        common = _COMMON if ridge else _COMMON_ALONE
        self._postings = building.build(self._doc_language, self._language_starts, common)
        del building
        self._ridge = ridge
        # the ridge weights kept in 8 bits (trained and cached in 64), as fixed point in steps
        # of 1/127 of each intent's largest weight (5-fold, the development sets and the test
        # set as in 16 bits, 1.3 MiB less): integers convert 15x faster than float16 at each
        # question
        self._alpha = np.zeros((0, len(self._intent_names)), np.int8)
        self._alpha_scales = np.ones(len(self._intent_names), np.float32)
        if ridge:
            alpha = self._cached_ridge(cache)
            largest = np.abs(alpha).max(axis=0, initial=0.0)
            steps = np.iinfo(np.int8).max
            self._alpha_scales = np.where(largest > 0, largest / steps, 1.0).astype(np.float32)
            self._alpha = np.rint(alpha / self._alpha_scales).astype(np.int8)
        self._keywords: list[_Keyword] = []
        # by a key of its first word (or Han character, or pinyin syllable), the keywords'
        # numbers
        index: dict[str, list[int]] = defaultdict(list)
        self._add_keywords(keywords or {}, _KEYWORD_WEIGHT, vocabulary, index)
        self._add_keywords(strong_keywords or {}, 2 * _KEYWORD_WEIGHT, vocabulary, index)
        rejected_words = {lang: {_OUT: w} for lang, w in (out_of_scope_keywords or {}).items()}
        self._add_keywords(rejected_words, _OUT_KEYWORD_WEIGHT, vocabulary, index)
        subject_words = {k: {_SUBJECT: w} for k, w in (subject or {}).items()}
        self._add_keywords(subject_words, 0.0, vocabulary, index)
        subject_languages: dict[str, set[str]] = defaultdict(set)
        for language, words in (subject or {}).items():
            for word in words:
                subject_languages[normalize(word)].add(language)
        self._subject_alone = {w: frozenset(langs) for w, langs in subject_languages.items()}
        permits = {k: {_IMMIGRATION: w} for k, w in (immigration or {}).items()}
        self._add_keywords(permits, 0.0, vocabulary, index)
        # arrays: a list of int objects cost six times the memory
        self._keyword_index = {key: array("I", found) for key, found in index.items()}
        self._foreign = _PhraseIndex.of(p for words in (foreign or {}).values() for p in words)
        self._cards = _PhraseIndex.of(p for words in (bank_cards or {}).values() for p in words)
        self._greetings = _PhraseIndex.of(p for w in (greetings or {}).values() for p in w)
        self._card_use = _PhraseIndex.of(p for w in (card_use or {}).values() for p in w)
        self._vocabulary = {s: _Vocabulary(v) for s, v in vocabulary.items() if s}
        # Arabic typed in Latin letters without digits ("chhal taman lkarta", "wain el
        # maktab"): a word of 4 letters or more that only the Arabic examples use, and in 3 of
        # them at least, lets those examples take part (the reply is Arabic only when they fit
        # best)
        self._arabizi_words = frozenset(
            w
            for w, n in arabizi_words.items()
            if n >= _ARABIZI_SEEN and len(w) >= 4 and w not in other_latin
        )
        self._corrections: dict[str, str] = {}
        # the verdicts of recent questions: the same words come again and again ("fees",
        # "hours", "hi"), and a verdict depends on the text alone
        self.memo: Memo[str, Match] = Memo(MATCH_MEMO)
        # whether the postings are summed in C (bot/core/_kernel.c); False: in numpy
        # (PRBOT_KERNEL=off, or no C compiler at install)
        self.compiled = _kernel is not None
        self.intents = sorted(set(self._intent_names) - {_OUT})
        self.languages = sorted(examples)

    def _cached_ridge(self, cache: Path | None) -> np.ndarray:
        """The ridge weights from `cache` when they were trained on these examples, else
        trained now (and saved there, replacing older ones; a cache that cannot be written is
        only not used).

        The file is named by a digest of everything the training reads (the examples' weighted
        features, their intents, the settings), so a change of examples or features never
        reads weights trained for others.
        """
        digest = hashlib.sha256(f"{_RIDGE_FORMAT} {RIDGE_LAMBDA} {RIDGE_ITERATIONS}".encode())
        digest.update(self._doc_intent.tobytes() + self._doc_language.tobytes())
        postings = self._postings
        digest.update(postings.runs.tobytes() + postings.df_bounds.tobytes())
        digest.update(postings.df_languages.tobytes() + postings.df_counts.tobytes())
        digest.update(postings.docs.tobytes() + postings.weights.tobytes())
        digest.update(postings.levels.tobytes())
        key = digest.hexdigest()[:32]
        shape = (self._documents, len(self._intent_names))
        path = cache / f"ridge-{key}.npy" if cache is not None else None
        if path is not None:
            try:
                alpha = np.load(path, allow_pickle=False)
                if alpha.shape == shape and alpha.dtype == np.float64:
                    return np.asarray(alpha)
            except (OSError, ValueError):
                pass
        alpha = self._fit_ridge()
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{path.name}.{os.getpid()}")
                with partial.open("wb") as file:
                    np.save(file, alpha, allow_pickle=False)
                partial.replace(path)
                for old in path.parent.glob("ridge-*.npy"):
                    if old != path:
                        old.unlink(missing_ok=True)
            except OSError:
                pass
        return alpha

    def _fit_ridge(self) -> np.ndarray:
        """Per language, the dual weights of a kernel ridge classifier over the examples.

        The kernel is the examples' cosine similarity (the postings' dot products, what a
        question meets at run time), the targets one-hot intents (out of scope included):
        `alpha = (K + λI)⁻¹ Y`, and an intent's ridge score for a question is `dot · alpha`.
        Unlike the nearest examples it weighs the features that tell intents apart. The
        kernel and the solver are in 32 bits: the kernel is n² per language (about 4,500
        English examples: 80 MB instead of 160), and the system is well conditioned.
        """
        alpha = np.zeros((self._documents, len(self._intent_names)))
        for code in range(len(self._language_names)):
            members = np.flatnonzero(self._doc_language == code)
            if not len(members):
                continue
            n = len(members)
            # an example's row in the kernel is its number within the language
            bounds, docs, weights = self._postings.language(code)
            lengths = np.diff(bounds)
            rows = docs.astype(np.int32 if n * n < 2**31 else np.int64)
            # features that many examples share (a few hundred of thousands, but nearly all
            # the example pairs) go through one matrix product; the rest pair by pair
            dense = np.flatnonzero(lengths >= _RIDGE_DENSE)
            columns = np.zeros((n, len(dense)), np.float32)
            spans = _runs(bounds[dense], lengths[dense])
            columns[rows[spans], np.repeat(np.arange(len(dense)), lengths[dense])] = weights[spans]
            kernel = np.matmul(columns, columns.T)
            del columns
            flat = kernel.reshape(-1)
            pairs: list[np.ndarray] = []
            products: list[np.ndarray] = []
            pending = 0
            sizes = sorted(set(lengths[(lengths > 0) & (lengths < _RIDGE_DENSE)].tolist()))
            for size in sizes:
                starts = bounds[:-1][lengths == size]  # runs of this many examples
                span = starts[:, None] + np.arange(size)  # (runs, size) positions
                r, w = rows[span], weights[span]
                pairs.append((r[:, :, None] * n + r[:, None, :]).ravel())
                products.append((w[:, :, None] * w[:, None, :]).ravel())
                pending += len(pairs[-1])
                if pending > _RIDGE_BATCH or size == sizes[-1]:  # bounded memory
                    np.add.at(flat, np.concatenate(pairs), np.concatenate(products))
                    pairs, products, pending = [], [], 0
            kernel.flat[:: n + 1] += RIDGE_LAMBDA
            targets = np.zeros((n, len(self._intent_names)), np.float32)
            targets[np.arange(n), self._doc_intent[members]] = 1.0
            alpha[members] = _conjugate_gradients(kernel, targets)
            del flat, kernel  # before the next language's
        return alpha

    def _add_keywords(
        self,
        table: Mapping[str, Mapping[str, Iterable[str]]],
        weight: float,
        vocabulary: dict[str, dict[str, int]],
        index: dict[str, list[int]],
    ) -> None:
        """Index `table[language][intent]` keywords, each bringing `weight` when found (in
        `index`, by the key of their first word)."""
        for language, intents in table.items():
            for intent, words in intents.items():
                for keyword in words:
                    text = normalize(keyword)
                    if not text:
                        continue
                    spaced = _CJK_RUN.sub(" ", text).split()
                    han = "".join(_CJK_RUN.findall(text))
                    sound = self._sound(han) if len(han) > 1 else ""
                    keys = tuple(sorted(set(map(_key, spaced))))
                    entry = _Keyword(intent, language, han, sound, keys, weight)
                    number = len(self._keywords)
                    index[han[0] if han else _key(spaced[0])].append(number)
                    if sound:
                        index["py:" + sound.split()[0]].append(number)
                    self._keywords.append(entry)
                    for word in spaced:
                        vocabulary[_script(word)][word] += 1

    def _keywords_in(self, text: str, allowed: frozenset[str]) -> list[int]:
        """The keywords (of the allowed languages) that a normalized text contains."""
        keys = {key for w in text.split() for key in _keys(w)}
        squeezed = text.replace(" ", "")
        han = "".join(_CJK_RUN.findall(squeezed))
        sound = self._sound(han)
        candidates: set[int] = set()
        for key in keys | set(han) | {"py:" + syllable for syllable in sound.split()}:
            candidates.update(self._keyword_index.get(key, ()))
        found = []
        for index in sorted(candidates):
            keyword = self._keywords[index]
            if keyword.language not in allowed or not keys.issuperset(keyword.keys):
                continue
            if keyword.han in squeezed or (keyword.sound and keyword.sound in sound):
                found.append(index)
        return found

    def _longest(self, found: list[int]) -> list[int]:
        """The found keywords less those inside a longer one of another intent: "cancel my
        reminder" is about existing reminders, though it contains "reminder"."""
        kept = []
        for index in found:
            keyword = self._keywords[index]
            if keyword.intent.startswith("\x00"):  # flags (subject, visas...) always count
                kept.append(index)
                continue
            if not any(
                other.intent != keyword.intent
                and not other.intent.startswith("\x00")
                and keyword.han in other.han
                and set(keyword.keys) <= set(other.keys)
                and (len(other.han), len(other.keys)) > (len(keyword.han), len(keyword.keys))
                for other in (self._keywords[i] for i in found)
            ):
                kept.append(index)
        return kept

    def _sound(self, han: str) -> str:
        """The toneless pinyin of Han text, syllables between spaces ("" without readings)."""
        if not self._readings:
            return ""
        return " " + " ".join(self._readings.get(c, c) for c in han) + " "

    def _features(self, text: str) -> dict[str, float]:
        """`features`, plus bigrams of the pinyin readings of Han characters."""
        counts = features(text, self._pairs)
        for run in _CJK_RUN.findall(text):
            if _PINYIN and self._readings:
                sounds = [self._readings.get(c, c) for c in run]
                for i in range(len(sounds) - 1):
                    pair = "p:" + sounds[i] + " " + sounds[i + 1]
                    counts[pair] = counts.get(pair, 0.0) + _PINYIN
        return counts

    def _repair(self, text: str) -> str:
        """Replace words no example uses by the nearest known word of the same script."""
        words = text.split()
        changed = False
        for i, word in enumerate(words):
            hangul = _HANGUL_WORD.fullmatch(word) is not None
            if not hangul and (len(word) < 4 or _CJK.search(word) or word.isdigit()):
                continue
            correction = self._corrections.get(word)
            if correction is None:
                if hangul:  # compare Korean by its letters (jamo), not by whole syllables
                    jamo = unicodedata.normalize("NFD", word)
                    correction = unicodedata.normalize("NFC", self._correct(jamo, _HANGUL))
                else:
                    correction = self._correct(word, _script(word))
                if len(self._corrections) < _CACHE_SIZE:
                    self._corrections[word] = correction
            if correction != word:
                words[i] = correction
                changed = True
        return " ".join(words) if changed else text

    def _correct(self, word: str, script: str) -> str:
        """The known word a typo most likely stands for, or the word itself."""
        known = self._vocabulary.get(script)
        seen = known.count(word) if known else 0
        if not known or seen > _ONCE or len(word) < 4:
            return word
        # the nearest 8, ordered as one search through the whole vocabulary orders them: by
        # distance, then by place
        candidates = sorted(known.near(word, 1 if len(word) < 9 else 2))[:8]
        plausible = [(c, d, n) for d, _, c, n in candidates if _plausible_typo(word, c, d)]
        if seen:  # a typo written into one example ("wher"): only a far commoner word
            plausible = [(c, d, n) for c, d, n in plausible if d and n >= _COMMONER * seen]
        if not plausible:
            return word
        return min(plausible, key=lambda c: (c[1], -c[2]))[0]

    def _analyse(self, text: str) -> tuple[str, frozenset[str]]:
        """The repaired, normalized question and the languages its script allows."""
        normalized = normalize(text[:_MAX_QUERY])
        found = scripts(normalized)
        allowed: set[str] = set()
        for script in found:
            allowed |= _SCRIPT_LANGUAGES[script]
        if _LATIN in found and (  # its Latin-letter examples may match
            arabizi(normalized) or not self._arabizi_words.isdisjoint(normalized.split())
        ):
            allowed.add(_ARABIZI)
        if not allowed:
            allowed = set(self.languages)
        return self._repair(normalized), frozenset(allowed)

    def _scores(
        self, text: str, allowed: frozenset[str]
    ) -> tuple[dict[str, float], dict[str, str], dict[str, float], frozenset[str]]:
        """Per intent: score and language of its best example; per language: best similarity;
        the intents whose keywords the text contains."""
        scores: dict[str, float] = {}
        languages: dict[str, str] = {}
        by_language: dict[str, float] = defaultdict(float)
        close, lexical = self._similarities(self._features(text), allowed)
        if lexical:
            scores[_WORDS] = 1.0
        if close is not None:
            self._aggregate(*close, scores, languages, by_language)
        bonus: dict[str, tuple[float, str]] = {}
        for index in self._longest(self._keywords_in(text, allowed)):
            keyword = self._keywords[index]
            scores[_WORDS] = 1.0
            if keyword.intent in (_SUBJECT, _IMMIGRATION):
                scores[keyword.intent] = 1.0
                continue
            if keyword.intent == _OUT:
                scores[_OTHER] = 1.0
            extra = keyword.weight
            if keyword.intent not in bonus:
                by_language[keyword.language] += 0.05
            if extra > bonus.get(keyword.intent, (0.0, ""))[0]:
                bonus[keyword.intent] = (extra, keyword.language)
        for intent, (extra, language) in bonus.items():
            scores[intent] = scores.get(intent, 0.0) + extra
            languages.setdefault(intent, language)
        if self._card_use.remove(text)[1]:  # "with my card": the card itself, in use
            scores[_SUBJECT] = 1.0
        # scores end between 0 and 1, stretched so that a clear match scores about as high as
        # the best cosine similarity alone would (what callers' thresholds were set for)
        top = 1.0 + _KEYWORD_WEIGHT
        if _IMMIGRATION in scores and self._only_inside(self._cards, _IMMIGRATION, text, allowed):
            del scores[_IMMIGRATION]  # "can I pay with a Visa card": a bank card, no visa
        if _IMMIGRATION in scores and _SUBJECT not in scores:  # a visa or permit, not the card
            scores[_OUT] = scores.get(_OUT, 0.0) + _PERMIT_WEIGHT
        flags = {f: scores.pop(f) for f in _FLAGS if f in scores}
        scores = {i: 1.0 - math.pow(1.0 - min(1.0, s / top), _STRETCH) for i, s in scores.items()}
        scores.update(flags)
        return scores, languages, by_language, frozenset(bonus).difference((_OUT,))

    def _similarities(
        self, counts: Mapping[str, float], allowed: frozenset[str]
    ) -> tuple[tuple[np.ndarray, np.ndarray] | None, bool]:
        """The examples of the allowed languages whose cosine similarity to a question (in
        their language's TF-IDF) is at least `_FLOOR`, ascending, and those similarities
        (None when it shares no feature with any); and whether it shares more than letter
        trigrams with them: a word, a stem, a Han character or pair (gibberish like "blorp
        zxqv" meets examples only by trigrams).

        The postings carry the examples' unit-length weights times their language's IDF, so
        a question's term weights times those are one sum per example over its features'
        runs (of the allowed languages); dividing each example's sum by the question's length
        in that example's language makes it the cosine.
        The sums are one pass in C (bot/core/_kernel.c) where it was compiled, else a
        bincount; both give the same numbers to the last bit.
        """
        postings = self._postings
        tf = np.fromiter(counts.values(), np.float64, len(counts))
        tf = np.where(tf == 1.0, 1.0, 1.0 + np.log(tf))
        numbers = postings.numbers(_feature_keys(counts))
        weighted = postings.idf(numbers) * tf[:, None]  # (features, languages)
        norms = np.sqrt(np.einsum("ij,ij->j", weighted, weighted))
        inverse = np.array([n in allowed for n in self._language_names]) / norms
        known = numbers >= 0
        lexical = any(len(f) != 3 for f in compress(counts, known.tolist()))
        numbers = numbers[known]
        # feature k's entries (one per language) are df_bounds[k]:df_bounds[k + 1], and its
        # postings runs[df_bounds[k]]:runs[df_bounds[k + 1]]
        first, last = postings.df_bounds[numbers], postings.df_bounds[numbers + 1]
        if not (postings.runs[last] - postings.runs[first]).any():
            return None, lexical  # only common features, whose runs are empty
        repeated = tf[known]
        if self.compiled:
            examples, similarities = _kernel.close(
                postings.docs,
                postings.weights,
                postings.levels,
                postings.runs,
                postings.df_bounds,
                postings.df_languages,
                numbers.astype(np.int64, copy=False),
                repeated,
                inverse.astype(np.float64, copy=False),
                self._language_starts,
                _FLOOR,
            )
            return (np.frombuffer(examples, np.int64), np.frombuffer(similarities)), lexical
        return self._close(first, last, repeated, inverse), lexical

    def _close(
        self, first: np.ndarray, last: np.ndarray, repeated: np.ndarray, inverse: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """`_similarities`' examples and similarities in numpy (`_kernel.close` in C), from
        the question's features' first and last entries."""
        postings = self._postings
        starts = postings.runs[first].tolist()
        ends = postings.runs[last].tolist()
        # the runs joined slice by slice: a few dozen views copied once cost a third of
        # gathering the same postings by their positions
        docs = np.concatenate([postings.docs[a:b] for a, b in zip(starts, ends, strict=True)])
        codes = np.concatenate([postings.weights[a:b] for a, b in zip(starts, ends, strict=True)])
        # each posting's language, by the entries (feature, language) whose runs these are
        entries = _runs(first.astype(np.int64), (last - first).astype(np.int64))
        lengths = postings.runs[entries + 1] - postings.runs[entries]
        language = np.repeat(postings.df_languages[entries], lengths)
        docs = docs + self._language_starts[language]
        values = postings.levels[codes]
        if (repeated != 1.0).any():  # a feature twice or more in the question
            values = values * np.repeat(repeated, np.subtract(ends, starts))
        dot = np.bincount(docs, weights=values, minlength=self._documents)
        edges = self._language_starts.tolist()
        for code, factor in enumerate(inverse.tolist()):
            dot[edges[code] : edges[code + 1]] *= factor
        close = np.flatnonzero(dot >= _FLOOR)
        return close, dot[close]

    def _aggregate(
        self,
        close: np.ndarray,
        similarity: np.ndarray,
        scores: dict[str, float],
        languages: dict[str, str],
        by_language: dict[str, float],
    ) -> None:
        """From the close examples (ascending) and their similarities: per intent, the
        weighted mean of its best similarities blended with its ridge score, and its best
        example's language; per language, its best similarity. One pass in C where it was
        compiled (bot/core/_kernel.c), else array operations: a question meets hundreds of
        examples."""
        if not len(close):
            return
        if self.compiled:
            parts = _kernel.aggregate(
                close,
                similarity,
                self._doc_intent,
                _NEIGHBOUR_WEIGHTS,
                len(self._intent_names),
                self._alpha.reshape(-1),
                self._language_starts,
            )
            sums, best = np.frombuffer(parts[0]), np.frombuffer(parts[1], np.int64)
            ridge, top = np.frombuffer(parts[2], np.float32), np.frombuffer(parts[3])
        else:
            sums, best, ridge, top = self._neighbours(close, similarity)
        share = self._ridge
        met = np.flatnonzero(best >= 0)
        if share:  # each language's classifier on its own examples; the best language counts
            ridge = self._alpha_scales * ridge
            blended = (1 - share) * sums[met] / _K_SUM + share * np.maximum(ridge[met], 0.0)
        else:
            blended = sums[met] / _K_SUM
        names = [self._intent_names[code] for code in met.tolist()]
        scores.update(zip(names, blended.tolist(), strict=True))
        best_languages = self._doc_language[best[met]].tolist()
        languages.update(
            zip(names, [self._language_names[code] for code in best_languages], strict=True)
        )
        for code in np.flatnonzero(top >= 0).tolist():
            by_language[self._language_names[code]] = float(top[code])

    def _neighbours(
        self, close: np.ndarray, similarity: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`_kernel.aggregate` in numpy: per intent, the weighted sum of its best
        similarities, its best example (-1: none) and its largest ridge score over the
        languages (before its scale); per language, its best similarity (-1: none)."""
        intents = len(self._intent_names)
        # by intent, best first, ties by example: one stable sort by intent and then by
        # similarity (between _FLOOR and 1, so 2 * intent + 1 - similarity orders both); an
        # example's rank among its intent's is its place after where its intent's run begins
        intent = self._doc_intent[close]
        order = np.argsort(intent.astype(np.float64) * 2.0 + (1.0 - similarity), kind="stable")
        intent = intent[order]
        counts = np.bincount(intent, minlength=intents)
        begins = np.cumsum(counts) - counts
        rank = np.arange(len(intent)) - np.repeat(begins, counts)
        kept = rank < _K
        sums = np.bincount(
            intent[kept],
            weights=similarity[order][kept] * _NEIGHBOUR_WEIGHTS[rank[kept]],
            minlength=intents,
        )
        best = np.full(intents, -1, np.int64)
        met = np.flatnonzero(counts)  # each intent met, with its best example first
        best[met] = close[order[begins[met]]]
        # the languages' examples are numbered one language after the other, so each
        # language's close examples are a slice of `close`
        cuts = np.searchsorted(close, self._language_starts).tolist()
        spans = [(c, a, b) for c, (a, b) in enumerate(pairwise(cuts)) if b > a]
        top = np.full(len(self._language_names), -1.0)
        for code, a, b in spans:
            top[code] = similarity[a:b].max()
        ridge = np.zeros(intents, np.float32)
        if len(self._alpha):
            weights = similarity.astype(np.float32)
            ridge = np.max(
                [weights[a:b] @ self._alpha[close[a:b]].astype(np.float32) for _, a, b in spans],
                axis=0,
            )
        return sums, best, ridge, top

    def subject_alone(self, text: str) -> frozenset[str]:
        """The languages whose name of the bot's subject a message is, when it is only that
        ("永居证": zh, "永住権": ja, "green card": en): it asks nothing yet. Else empty."""
        return self._subject_alone.get(normalize(text[:_MAX_QUERY]), frozenset())

    def _only_inside(
        self, phrases: _PhraseIndex, pseudo: str, repaired: str, allowed: frozenset[str]
    ) -> bool:
        """Whether a question holds one of `phrases`, and none of the words of `pseudo` (the
        subject, a visa) is left once they are taken out: the permanent residence of "an
        American green card" is another country's, the visa of "a Visa card" is a bank card
        ("I have an American green card, can I get Chinese PR?" names the card too)."""
        if not phrases:
            return False
        rest, found = phrases.remove(repaired)
        if not found:
            return False
        return pseudo not in (self._keywords[i].intent for i in self._keywords_in(rest, allowed))

    def rank(self, text: str) -> list[IntentScore]:
        """All intents that share anything with the question, best first."""
        repaired, allowed = self._analyse(text)
        if not repaired:
            return []
        scores, languages, _, _ = self._scores(repaired, allowed)
        for pseudo in (_OUT, *_FLAGS):
            scores.pop(pseudo, None)
        ranked = [IntentScore(i, s, languages[i]) for i, s in scores.items()]
        ranked.sort(key=lambda s: s.score, reverse=True)
        return ranked

    def match(self, text: str) -> Match:
        """Decide on an intent, or return only guesses when the question is unclear.

        A question asked recently (the same text, up to :data:`MEMO_TEXT` characters) gets
        the verdict found then: it depends on the text alone, and a Match is immutable.
        """
        found = self.memo.get(text)
        if found is None:
            found = self._match(text)
            if len(text) <= MEMO_TEXT:
                self.memo.put(text, found)
        return found

    def _match(self, text: str) -> Match:
        found = self._match_text(text)
        if found.intent in (None, _GREETED) and not found.out_of_scope and self._greetings:
            # "Bonjour, comment serai-je informé que ma carte est prête ?": the greeting had
            # made it a help request; the question after it is matched alone
            normalized = normalize(text[:_MAX_QUERY])
            rest = self._greetings.lead(normalized)
            if rest != normalized:
                asked = self._match_text(rest)
                if asked.intent not in (None, _GREETED) and _clear(asked):
                    return replace(asked, language=found.language or asked.language)
        return found

    def _match_text(self, text: str) -> Match:
        repaired, allowed = self._analyse(text)
        if not repaired:
            return Match(None, detect_script_language(text), ())
        scores, languages, by_language, keyworded = self._scores(repaired, allowed)
        rejected = scores.pop(_OUT, 0.0)
        # a question sharing only letters with the examples is not understood: it is never
        # declared another matter ("outside what I know"), only unclear
        understood = bool(scores.pop(_WORDS, 0.0))
        subject = bool(scores.pop(_SUBJECT, 0.0))
        if subject and self._only_inside(self._foreign, _SUBJECT, repaired, allowed):
            # "how do I get an American green card": another country's, not the card: out
            # of scope, unless the card is also named apart from it
            return Match(
                None,
                self._language(text, repaired, allowed, [], by_language),
                (),
                True,
                1.0,
                False,
                True,
                keyworded,
            )
        if subject:
            rejected = 0.0  # a question naming permanent residence is never out of scope
        permit = bool(scores.pop(_IMMIGRATION, 0.0)) and not subject
        # a question naming another matter ("visa extension", "supermarket") and not the
        # subject needs a clearer lead over the out-of-scope examples to get an answer
        named_other = bool(scores.pop(_OTHER, 0.0)) and not subject
        other = named_other or permit
        ranked = [IntentScore(i, s, languages[i]) for i, s in scores.items()]
        ranked.sort(key=lambda s: s.score, reverse=True)
        _yield(ranked, keyworded)
        if not named_other and ranked and ranked[0].intent == _PERMIT_CRITERION:
            other = False  # "does my work permit count": a permit as a criterion
        margin = _OTHER_MARGIN if other else _OUT_MARGIN
        lead = _OTHER_LEAD if other else OUT_LEAD
        language = self._language(text, repaired, allowed, ranked, by_language)
        best = ranked[0].score if ranked else 0.0
        if rejected >= OUT_SURE and rejected >= best + lead and understood:
            return Match(None, language, tuple(ranked), True, rejected, permit, other, keyworded)
        if not ranked:
            return Match(None, language, (), False, rejected, permit, other, keyworded)
        top = ranked[0]
        second = ranked[1].score if len(ranked) > 1 else 0.0
        confident = top.score >= SURE or (top.score >= CONFIDENT and top.score - second >= MARGIN)
        confident = confident and _unstretch(top.score) > _unstretch(rejected) + margin
        intent = top.intent if confident else None
        return Match(intent, language, tuple(ranked), False, rejected, permit, other, keyworded)

    def _language(
        self,
        text: str,
        repaired: str,
        allowed: frozenset[str],
        ranked: list[IntentScore],
        by_language: Mapping[str, float],
    ) -> str | None:
        """The language of the question: by script, else by examples, stop words and accents."""
        script_language = detect_script_language(text)
        if script_language == "zh" and _latin_sentence(text):
            script_language = None  # "renouveler mon 永居证": a French sentence, a Chinese term
        if script_language in ("ko", "ja", "ru", "ar"):
            return script_language
        if script_language == "zh":  # Han alone: Chinese, unless Japanese examples fit far better
            japanese = by_language.get("ja", 0.0) > by_language.get("zh", 0.0) + _JAPANESE_LEAD
            return "ja" if japanese else "zh"
        latin = [lang for lang in ("en", "fr", "de", "es") if lang in allowed]
        # "da3et el beta2a": Arabic, when its examples fit best ("ta3" alone does not make a
        # French sentence Arabic)
        arabic = by_language.get(_ARABIZI, 0.0)
        if _ARABIZI in allowed and all(arabic > by_language.get(lang, 0.0) for lang in latin):
            return _ARABIZI
        if not latin:
            return ranked[0].language if ranked else None
        votes = {lang: 2.0 * by_language.get(lang, 0.0) for lang in latin}
        for char in text.lower():
            cue = _ACCENT_CUES.get(char)
            if cue in votes:
                votes[cue] += 0.3
        for word in repaired.split():
            for lang in latin:
                if word in _STOP_WORDS[lang]:
                    votes[lang] += 0.15
        best = max(votes, key=lambda lang: votes[lang])
        return best if votes[best] > 0.0 else None


def _yield(ranked: list[IntentScore], keyworded: frozenset[str]) -> None:
    """Put first, in the first one's place and score, a topic the first one yields to
    (`_YIELDS`): one whose keyword the question holds, close behind; the first takes its."""
    if not ranked or ranked[0].intent not in _YIELDS:
        return
    top = ranked[0]
    for place, other in enumerate(ranked[1:], 1):
        if top.score - other.score > _YIELD_GAP:
            return
        if other.intent in _YIELDS[top.intent] and other.intent in keyworded:
            ranked[0] = replace(other, score=top.score)
            ranked[place] = replace(top, score=other.score)
            return


def _clear(match: Match) -> bool:
    """Whether a question matched without its greeting asks for more than help: its intent
    leads help by `_GREETED_LEAD` ("bonjour, il y a quelqu'un ?" stays a greeting)."""
    helped = next((r.score for r in match.ranked if r.intent == _GREETED), 0.0)
    return match.ranked[0].score - helped >= _GREETED_LEAD


def _conjugate_gradients(matrix: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Solve `matrix @ x = targets` (symmetric, positive definite), column by column at once.

    The ridge system is well conditioned (its smallest eigenvalue is the regularisation), so
    a few dozen iterations reach the exact solution's decisions at a fraction of its cost.
    """
    x = np.zeros_like(targets)
    residual = targets.copy()
    direction = residual.copy()
    norms = np.einsum("ij,ij->j", residual, residual)
    for _ in range(RIDGE_ITERATIONS):
        product = matrix @ direction
        step = norms / np.maximum(np.einsum("ij,ij->j", direction, product), 1e-30)
        x += direction * step
        residual -= product * step
        new = np.einsum("ij,ij->j", residual, residual)
        if float(new.max()) < 1e-10:
            break
        direction = residual + direction * (new / np.maximum(norms, 1e-30))
        norms = new
    return x


def _latin_sentence(text: str) -> bool:
    """Whether Latin words carry a text that also has Han characters (an embedded term)."""
    words = re.findall(r"[^\W\d_]{2,}", text)
    latin = [w for w in words if w.isascii() or all(c < "\u0370" for c in w)]
    han = len(_CJK.findall(text))
    return len(latin) >= 3 and sum(map(len, latin)) > 3 * han


def _unstretch(score: float) -> float:
    """The mean similarity (plus bonus) behind a score: the inverse of the stretch."""
    return 1.0 - math.pow(1.0 - score, 1.0 / _STRETCH)


def detect_script_language(text: str) -> str | None:
    """A language implied by the script alone: Hangul, kana, Cyrillic or Arabic letters."""
    for char in text:
        code = ord(char)
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3131 <= code <= 0x318E:
            return "ko"
        if 0x3040 <= code <= 0x30FF:
            return "ja"
        if 0x0400 <= code <= 0x04FF:
            return "ru"
        if 0x0600 <= code <= 0x06FF:
            return "ar"
    if _CJK.search(text):
        return "zh"
    return None
