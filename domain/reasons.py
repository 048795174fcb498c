"""Is a loss reason a real one? Managers write "-", "нет", "other" to get past a form."""

from __future__ import annotations

import re

_EMPTY = {"", "-", "--", ".", "нет", "no", "none", "other", "другое", "?", "...", "x", "n/a"}


def is_real_reason(reason: str | None, comment: str | None = None) -> bool:
    code = (reason or "").strip().lower()
    if code and code not in _EMPTY:
        return True
    text = re.sub(r"\s+", " ", (comment or "").strip().lower())
    return text not in _EMPTY and len(re.sub(r"\W", "", text)) >= 5
