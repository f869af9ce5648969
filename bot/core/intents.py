"""Offline, typo-tolerant intent matching over example phrasings in many languages.

Each example and the question become TF-IDF vectors of character n-grams (trigrams of words in
spaced scripts, unigrams and bigrams of Han, kana and Hangul characters). An intent scores the
best cosine similarity of its examples, plus a bonus when one of its keywords is (nearly)
contained in the question. Character n-grams make a typo cost a few features rather than the
whole word, and they need no word segmentation for Chinese or Japanese.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None}
)
_KEYWORD_WEIGHT = 0.3
_MAX_QUERY = 500  # characters looked at: a question is never longer


def normalize(text: str) -> str:
    """Casefold, drop accents of Latin, Cyrillic and Arabic letters, unify punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and ord(kept[-1]) < 0x0800:
            continue
        kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept)).translate(_ARABIC_FOLD)
    return " ".join(_WORD.findall(text))


def features(text: str) -> dict[str, float]:
    """Term counts of the character n-grams of normalized text."""
    counts: dict[str, float] = defaultdict(float)
    for run in _CJK_RUN.findall(text):
        for i, char in enumerate(run):
            counts[char] += 1.0
            if i + 1 < len(run):
                counts[run[i : i + 2]] += 1.0
    for word in _CJK_RUN.sub(" ", text).split():
        counts["w:" + word] += 1.0
        padded = f" {word} "
        for i in range(len(padded) - 2):
            counts[padded[i : i + 3]] += 1.0
    return counts


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

    def guesses(self, count: int = 3) -> list[str]:
        """The best intents worth offering as buttons."""
        if not self.ranked:
            return []
        floor = max(GUESS_FLOOR, self.ranked[0].score * 0.6)
        return [s.intent for s in self.ranked[:count] if s.score >= floor]


# Thresholds chosen on the labelled set (tests/nlu) with `prbot evaluate`.
CONFIDENT = 0.25
MARGIN = 0.02
SURE = 0.5
GUESS_FLOOR = 0.2


@dataclass(frozen=True, slots=True)
class _Doc:
    intent: str
    language: str
    weights: dict[str, float]


class Matcher:
    """Ranks intents for a question; built once at start-up from example phrasings."""

    def __init__(
        self,
        examples: Mapping[str, Mapping[str, Iterable[str]]],
        keywords: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
    ) -> None:
        """`examples[language][intent]` and `keywords[language][intent]` are phrasings."""
        raw: list[tuple[str, str, dict[str, float]]] = []
        for language, intents in examples.items():
            for intent, phrases in intents.items():
                for phrase in phrases:
                    raw.append((intent, language, features(normalize(phrase))))
        document_frequency: dict[str, int] = defaultdict(int)
        for _, _, counts in raw:
            for feature in counts:
                document_frequency[feature] += 1
        total = len(raw) or 1
        self._idf = {
            f: math.log((1 + total) / (1 + n)) + 1.0 for f, n in document_frequency.items()
        }
        self._default_idf = math.log(1 + total) + 1.0
        self._docs: list[_Doc] = []
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for intent, language, counts in raw:
            weights = self._weigh(counts)
            index = len(self._docs)
            self._docs.append(_Doc(intent, language, weights))
            for feature, weight in weights.items():
                self._postings[feature].append((index, weight))
        self._keywords: list[tuple[str, str]] = []  # (intent, language) per keyword
        self._keyword_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for language, intents in (keywords or {}).items():
            for intent, words in intents.items():
                for word in words:
                    counts = features(normalize(word))
                    if not counts:
                        continue
                    weights = self._weigh(counts)
                    weight_sum = math.fsum(weights.values())
                    index = len(self._keywords)
                    self._keywords.append((intent, language))
                    for feature, weight in weights.items():
                        self._keyword_postings[feature].append((index, weight / weight_sum))
        self.intents = sorted({d.intent for d in self._docs})
        self.languages = sorted(examples)

    @classmethod
    def from_directory(cls, directory: Path) -> Matcher:
        """Load `<language>.yaml` files of `intents: {name: {examples, keywords}}`."""
        examples: dict[str, dict[str, list[str]]] = {}
        keywords: dict[str, dict[str, list[str]]] = {}
        for path in sorted(directory.glob("*.yaml")):
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            language = str(document["language"])
            for intent, spec in document["intents"].items():
                examples.setdefault(language, {})[intent] = [str(e) for e in spec["examples"]]
                keywords.setdefault(language, {})[intent] = [
                    str(k) for k in spec.get("keywords") or ()
                ]
        if not examples:
            raise FileNotFoundError(f"no intent files in {directory}")
        return cls(examples, keywords)

    def _weigh(self, counts: Mapping[str, float]) -> dict[str, float]:
        weights = {
            f: (1.0 + math.log(c)) * self._idf.get(f, self._default_idf) for f, c in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {f: w / norm for f, w in weights.items()}

    def rank(self, text: str) -> list[IntentScore]:
        """All intents that share anything with the question, best first."""
        query = self._weigh(features(normalize(text[:_MAX_QUERY])))
        if not query:
            return []
        dot: dict[int, float] = defaultdict(float)
        for feature, weight in query.items():
            for index, doc_weight in self._postings.get(feature, ()):
                dot[index] += weight * doc_weight
        best: dict[str, tuple[float, str]] = {}
        for index, similarity in dot.items():
            doc = self._docs[index]
            if similarity > best.get(doc.intent, (0.0, ""))[0]:
                best[doc.intent] = (similarity, doc.language)
        contained: dict[int, float] = defaultdict(float)
        for feature in query:
            for index, share in self._keyword_postings.get(feature, ()):
                contained[index] += share
        bonus: dict[str, tuple[float, str]] = {}
        for index, share in contained.items():
            intent, language = self._keywords[index]
            if share >= 0.75 and share > bonus.get(intent, (0.0, ""))[0]:
                bonus[intent] = (share, language)
        for intent, (share, language) in bonus.items():
            score, lang = best.get(intent, (0.0, language))
            best[intent] = (score + _KEYWORD_WEIGHT * share, lang or language)
        ranked = [IntentScore(i, min(s, 1.0), lang) for i, (s, lang) in best.items()]
        ranked.sort(key=lambda s: s.score, reverse=True)
        return ranked

    def match(self, text: str) -> Match:
        """Decide on an intent, or return only guesses when the question is unclear."""
        ranked = self.rank(text)
        language = detect_script_language(text) or (ranked[0].language if ranked else None)
        if not ranked:
            return Match(None, language, ())
        top = ranked[0]
        second = ranked[1].score if len(ranked) > 1 else 0.0
        confident = top.score >= SURE or (top.score >= CONFIDENT and top.score - second >= MARGIN)
        if language is None or (language in ("zh", "ja") and top.language in ("zh", "ja")):
            language = top.language
        return Match(top.intent if confident else None, language, tuple(ranked))


def detect_script_language(text: str) -> str | None:
    """A language implied by the script alone: Hangul, kana, Cyrillic or Arabic letters."""
    for char in text:
        code = ord(char)
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
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
