"""One hardened door for every request body, before any handler sees it.

For a POST/PUT/PATCH the middleware refuses, each with a 4xx and a short reason:
a Content-Encoding other than identity (415: we do not inflate what a stranger packed;
the server runs with aiohttp's own inflating off, handlers.http.server.RUNNER_OPTIONS,
so a body that lies about its encoding reaches this door instead of dropping the
connection),
a body over the application's size limit (413; the endpoints' own, smaller limits stay
theirs), a JSON body that is not UTF-8 or is nested deeper than MAX_DEPTH (400, found by
a cheap scan before any json.loads, so `[[[[…` is a 400 and not a RecursionError).
The body is only read (aiohttp keeps it for the handler), never rewritten, so signatures
over the raw bytes still hold. Handlers parse with `loads`, which also replaces lone
surrogates (a JSON "\\ud800") that could not be stored as UTF-8."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from aiohttp import web

from channels.web import json_error

log = logging.getLogger(__name__)
MAX_DEPTH = 64
_METHODS = frozenset({"POST", "PUT", "PATCH"})
# A JSON string, consumed in one left-to-right pass: the unrolled loop has no alternation
# per byte (the old `(?:[^"\\]|\\.)*` took 0.17 s for 2 MB), and the closing quote is
# optional, so an unterminated string is eaten to the end instead of failing and being
# retried at every later quote (`"\\"\\"\\"…` took 3.8 s at 40 KB: quadratic). Each byte is
# looked at once: linear time whatever the body.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class BodyRefused(ValueError):
    """A body the door does not let through; str() is the reason."""


def json_depth(body: bytes) -> int:
    """How deep the brackets of a JSON text nest, strings left out; linear time."""
    skeleton = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in skeleton:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def check_json(body: bytes) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused(f"body is not valid UTF-8 (byte {exc.start})") from None
    if json_depth(body) > MAX_DEPTH:
        raise BodyRefused(f"JSON nested deeper than {MAX_DEPTH} levels")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # Pairs written as two escapes are joined; a lone half becomes U+FFFD.
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def loads(body: bytes | str) -> Any:
    """json.loads behind the door's checks; raises ValueError (BodyRefused or
    JSONDecodeError) for what cannot be taken, never RecursionError."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    check_json(raw)
    return _clean(json.loads(raw))


def dumps(value: Any) -> str:
    """A payload as it is stored in the inbox: readable UTF-8 JSON, escaped only where a
    lone surrogate (a cut emoji) would not encode."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"))
    return text


def refusal(problem: Exception, *own: type[Exception]) -> str:
    """The 400's reason for a body `loads` or a channel's own check refused: theirs when
    it is one of ours (the door's or the channel's), else the plain fact."""
    if isinstance(problem, (BodyRefused, *own)) and str(problem):
        return str(problem)
    return "body is not JSON"


def _looks_json(request: web.Request, body: bytes) -> bool:
    if request.content_type.endswith("json"):
        return True
    return body.lstrip()[:1] in (b"{", b"[")


@web.middleware
async def door_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.method not in _METHODS or not request.body_exists:
        return await handler(request)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        log.info("%s %s: Content-Encoding %r refused", request.method, request.path, encoding)
        return json_error(415, "Content-Encoding not accepted; send the body uncompressed")
    if request.content_type.startswith("multipart/"):
        return await handler(request)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, "request body too large")
    if _looks_json(request, body):
        try:
            check_json(body)
        except BodyRefused as reason:
            log.info("%s %s: body refused: %s", request.method, request.path, reason)
            return json_error(400, str(reason))
    return await handler(request)
