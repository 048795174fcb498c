"""One way to check a secret: in constant time, on bytes.

`hmac.compare_digest` on two str raises TypeError when either holds a non-ASCII
character, and `str.encode()` raises on the lone surrogates aiohttp leaves in a header or
query value that was not UTF-8 (it decodes them with surrogateescape). A stranger controls
the given side, so both would be a 500 on a wrong guess; here they are just "no"."""

from __future__ import annotations

import hmac


def as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def same_token(given: str | bytes | None, expected: str | bytes | None) -> bool:
    """Whether `given` is the secret `expected`; never raises, False for a missing side."""
    if given is None or expected is None:
        return False
    return hmac.compare_digest(as_bytes(given), as_bytes(expected))
