"""Long text cut into pieces a channel accepts, at the most natural boundary available:
a blank line, a line break, the end of a sentence, a space, and only then anywhere."""

from __future__ import annotations

import re

# Where a cut reads naturally, best first; each pattern matches the gap after which to cut.
_BOUNDARIES = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])\s+"),
    re.compile(r"(?<=[;:,])\s+"),
    re.compile(r"\s+"),
)
# A cut point earlier than this share of the limit wastes too much of a message.
_MIN_FILL = 0.5


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, in order; joined they read as the original
    (the whitespace at each cut is dropped). A text within the limit is one piece."""
    if limit <= 0 or len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut, resume = _cut_point(rest, limit)
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[resume:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> tuple[int, int]:
    """(end of this piece, start of the next) within the first `limit` characters."""
    window = text[: limit + 1]
    for boundary in _BOUNDARIES:
        gaps = [gap for gap in boundary.finditer(window) if 0 < gap.start() <= limit]
        if gaps and gaps[-1].start() >= limit * _MIN_FILL:
            return gaps[-1].start(), gaps[-1].end()
    return limit, limit
