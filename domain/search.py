"""Full-text search, the parts that are plain text: the words of a query and the marked
fragments the database returns (matching words between MARK_START and MARK_END)."""

from __future__ import annotations

import re

# Control characters a customer's text never shows: safe to mark matches with, and the
# page escapes everything else before it turns them into highlights.
MARK_START = "\x02"
MARK_END = "\x03"
MAX_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
_MARKS = re.compile(f"({MARK_START}.*?{MARK_END})", re.DOTALL)
# Russian endings dropped before a prefix search where the store has no stemmer (SQLite):
# «оптом» then finds «оптовый», «доставку» finds «доставка».
_ENDINGS = "аеёиийоуыьэюя"
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def search_words(text: str) -> list[str]:
    """The words of a query, lower case, at most MAX_WORDS, each once."""
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def prefix_stem(word: str) -> str:
    """A crude stem for prefix matching: up to two final vowels of a Russian word longer
    than four letters go; other words stay as they are."""
    if len(word) <= 4 or not _CYRILLIC.search(word):
        return word
    stem = word
    for _ in range(2):
        if len(stem) > 4 and stem[-1] in _ENDINGS:
            stem = stem[:-1]
    return stem


def fragments(marked: str) -> list[tuple[str, bool]]:
    """A marked snippet as (text, matched) pieces, in order, marks removed."""
    pieces: list[tuple[str, bool]] = []
    for part in _MARKS.split(marked):
        if not part:
            continue
        if part.startswith(MARK_START) and part.endswith(MARK_END):
            pieces.append((part[1:-1], True))
        else:
            pieces.append((part.replace(MARK_START, "").replace(MARK_END, ""), False))
    return pieces
