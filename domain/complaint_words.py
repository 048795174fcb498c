"""Does a message read as a complaint? Phrases are matched by lemma, so every word form
counts ("жалоба", "жалобу", "недовольна"), and a negated phrase does not
("жалоба не нужна", "no complaints")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pymorphy3
import snowballstemmer

_WORD = re.compile(r"[a-zа-яё]+", re.IGNORECASE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# A phrase right after these is negated ("не недоволен", "no complaints", "без претензий").
_NEGATIONS_BEFORE = {
    "не",
    "нет",
    "без",
    "ни",
    "никакой",
    "no",
    "not",
    "never",
    "without",
    "noth",
}
# …and right after these ("жалоба не нужна", "претензий нет").
_NEGATIONS_AFTER = {
    ("не", "нужный"),
    ("не", "быть"),
    ("нет",),
    ("не", "иметься"),
    ("not", "need"),
    ("not", "necessari"),
}

DEFAULT_PHRASES = (
    "жалоба",
    "пожаловаться",
    "претензия",
    "недовольный",
    "верните деньги",
    "вернуть деньги",
    "возврат денег",
    "обман",
    "обманули",
    "ужасный сервис",
    "отвратительный",
    "безобразие",
    "хамство",
    "нахамить",
    "буду жаловаться",
    "complaint",
    "complain",
    "refund",
    "money back",
    "dissatisfied",
    "unhappy",
    "terrible service",
    "awful",
    "rude",
    "scam",
    "disappointed",
)


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=50_000)
def lemma(word: str) -> str:
    word = word.lower().replace("ё", "е")
    if _CYRILLIC.search(word):
        return _morph().parse(word)[0].normal_form.replace("ё", "е")
    return _stemmer().stemWord(word)


def lemmas(text: str) -> list[str]:
    return [lemma(word) for word in _WORD.findall(text)]


@dataclass(frozen=True)
class ComplaintDetector:
    phrases: tuple[tuple[str, ...], ...]

    @classmethod
    def from_phrases(cls, phrases: Iterable[str]) -> ComplaintDetector:
        unique = dict.fromkeys(tuple(lemmas(phrase)) for phrase in phrases)
        return cls(tuple(phrase for phrase in unique if phrase))

    def matches(self, text: str) -> list[str]:
        """The phrases found, not negated; empty when the message is not a complaint."""
        words = lemmas(text)
        found = []
        for phrase in self.phrases:
            for start in _occurrences(words, phrase):
                if not _negated(words, start, len(phrase)):
                    found.append(" ".join(phrase))
                    break
        return found

    def is_complaint(self, text: str) -> bool:
        return bool(self.matches(text))


def _occurrences(words: Sequence[str], phrase: Sequence[str]) -> list[int]:
    """Starts of the phrase; one extra word may stand inside it ("верните мои деньги")."""
    starts = []
    for i, word in enumerate(words):
        if word != phrase[0]:
            continue
        position, matched = i + 1, 1
        while matched < len(phrase) and position < len(words) and position <= i + matched + 1:
            if words[position] == phrase[matched]:
                matched += 1
            position += 1
        if matched == len(phrase):
            starts.append(i)
    return starts


def _negated(words: Sequence[str], start: int, size: int) -> bool:
    before = words[max(0, start - 2) : start]
    if any(word in _NEGATIONS_BEFORE for word in before):
        return True
    after = tuple(words[start + size : start + size + 2])
    return any(after[: len(pattern)] == pattern for pattern in _NEGATIONS_AFTER)
