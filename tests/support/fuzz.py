"""The fuzz suites' shared parts (tests/test_fuzz_endpoints.py, tests/test_fuzz_api.py):
hypothesis strategies for hostile and unlucky bodies and query values, and the checks
every request must pass against a real service process: a real answer below 500 while
/healthz answers alongside, and the event-loop lag the service measures (its busy part,
`leadkeeper_event_loop_busy_max_seconds`) under 200 ms.

What the strategies make: a valid payload with one field replaced (200 KB unbroken
strings, lone surrogates, NUL, deep nesting, huge numbers), invalid UTF-8, legacy
charsets (windows-1251, koi8-r), 2 MB bodies, binary junk, and lying Content-Encoding and
Content-Type headers."""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import asyncpg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.support.env import patient

LONG = 200_000
MAX_LAG = 0.2
# Derandomized, so CI sees the same examples every time; max_examples keeps the suites
# at a few minutes together on 2 cores (`make test` < 10 min).
FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
FEW = settings(FUZZ, max_examples=25)


@dataclass
class Fuzzed:
    """A running service under fuzz: its URL, its SQLite file (or PostgreSQL URL), a client
    session."""

    base: str
    database: Path | str
    http: aiohttp.ClientSession
    examples: int = 0


# ------------------------------------------------------------------ what is sent


@dataclass(frozen=True)
class Body:
    data: bytes
    content_type: str | None
    encoding: str | None

    def __repr__(self) -> str:  # a falsifying example of 2 MB would drown the report
        head = self.data[:120]
        return f"Body({head!r}…[{len(self.data)} bytes], {self.content_type!r}, {self.encoding!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis's printer
        printer.text(repr(self))


DEEP_MARK = "\x00deep\x00"

HOSTILE_STRINGS = st.one_of(
    st.sampled_from(["a", "я", "😀", "\\", '"', "<", "%", "&"]).map(lambda c: c * LONG),
    st.sampled_from(["\ud800", "x\udfffy", "\ud83d", "😀\udc00", "\ufffe", "\x00"]),
    st.text(max_size=40),
)
HOSTILE_VALUES = st.one_of(
    HOSTILE_STRINGS,
    st.integers(65, 1500).map(lambda depth: f"{DEEP_MARK}{depth}"),
    st.sampled_from([10**30, -(10**30), 2**63, -1, 0, 1.5e308, None, True, [], {}]),
    st.dictionaries(HOSTILE_STRINGS, st.integers(), max_size=2),
)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in leaves(item, (*path, key))]
    if isinstance(value, list) and value:
        return [leaf for index, item in enumerate(value) for leaf in leaves(item, (*path, index))]
    return [path]


def replaced(payload: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(payload)
    holder = copied
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return copied


def serialised(payload: Any, escaped: bool) -> bytes:
    if escaped:  # lone surrogates as \ud800 escapes
        data = json.dumps(payload).encode()
    else:  # lone surrogates as raw bytes: invalid UTF-8
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    for match in set(re.findall(rb'"\\u0000deep\\u0000(\d+)"|"\x00deep\x00(\d+)"', data)):
        depth = int(match[0] or match[1])
        mark = b"\\u0000deep\\u0000" if match[0] else DEEP_MARK.encode()
        data = data.replace(b'"' + mark + str(depth).encode() + b'"', b"[" * depth + b"]" * depth)
    return data


def form_body(fields: dict[str, str], charset: str) -> bytes:
    pairs = (
        f"{key}={quote(value.encode(charset, 'replace'), safe='')}" for key, value in fields.items()
    )
    return "&".join(pairs).encode("ascii")


CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-16",
        "application/json; charset=no-such-charset",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=windows-1251",
        "application/x-www-form-urlencoded; charset=koi8-r",
        "multipart/form-data; boundary=zzz",
        "application/octet-stream",
    ]
)
ENCODINGS = st.sampled_from(
    [None, None, "gzip", "gzip-lie", "deflate", "br", "x-lie", "identity", "gzip, identity"]
)


@st.composite
def bodies(draw: st.DrawFn, valid: Any, natural_type: str) -> Body:
    """A valid payload with one field made hostile, or something worse, under lying or
    legacy headers."""
    kind = draw(
        st.sampled_from(["field", "field", "field", "deep", "utf8", "legacy", "huge", "binary"])
    )
    if kind == "field":
        path = draw(st.sampled_from(leaves(valid)))
        value = draw(HOSTILE_VALUES)
        data = serialised(replaced(valid, path, value), escaped=draw(st.booleans()))
    elif kind == "deep":
        depth = draw(st.integers(65, 5000))
        data = b'{"a": ' + b"[" * depth + b"]" * depth + b"}"
    elif kind == "utf8":
        junk = draw(st.sampled_from([b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80", b"\xf0\x28\x8c"]))
        text = json.dumps(valid).encode()
        data = text.replace(b'"', b'"' + junk, 2) if b'"' in text else junk
    elif kind == "legacy":
        charset = draw(st.sampled_from(["cp1251", "koi8-r"]))
        fields = {"name": "Борис Ёлкин", "phone": "+79007654321", "comment": "Нужна смета"}
        data = (
            form_body(fields, charset)
            if draw(st.booleans())
            else json.dumps(fields, ensure_ascii=False).encode(charset)
        )
    elif kind == "huge":
        data = b'{"a": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    else:
        data = draw(st.binary(max_size=300))
    content_type = draw(st.one_of(st.just(natural_type), CONTENT_TYPES))
    encoding = draw(ENCODINGS)
    if encoding == "gzip":
        data = gzip.compress(data)
    elif encoding == "gzip-lie":
        encoding = "gzip"
    return Body(data, content_type, encoding)


QUERY_VALUES = st.one_of(
    st.text(max_size=30).map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe="")),
    st.sampled_from(
        ["%ED%A0%80", "%FF%FE", "%C3(", "9" * 40, "-1", "1e9", "0x10", "%00", "", "%", "%%"]
    ),
    st.sampled_from(["a", "%D1%8F"]).map(lambda c: c * (LONG // len(c))),
)


# ------------------------------------------------------------------ how it is checked


async def lag_max(target: Fuzzed) -> float:
    async with target.http.get(f"{target.base}/metrics") as response:
        text = await response.text()
    match = re.search(r"^leadkeeper_event_loop_busy_max_seconds ([0-9.e-]+)$", text, re.M)
    assert match, text[-2000:]
    return float(match.group(1))


async def healthy(target: Fuzzed) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(f"{target.base}/healthz") as response:
            assert response.status == 200


async def check(target: Fuzzed, send: Callable[[], Any]) -> None:
    """The request gets a real answer below 500 while /healthz answers alongside."""

    async def request() -> tuple[int, str]:
        async with send() as response:
            return response.status, (await response.read())[:300].decode("utf-8", "replace")

    (status, text), _ = await asyncio.gather(request(), healthy(target))
    assert status < 500, (status, text)
    target.examples += 1
    if target.examples % 10 == 0:
        assert await lag_max(target) < MAX_LAG


async def lag_stayed_low(target: Fuzzed) -> None:
    lag = await lag_max(target)
    assert lag < MAX_LAG, f"event loop stalled for {lag:.3f}s"


def headers_of(body: Body, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = dict(extra or {})
    if body.content_type is not None:
        headers["Content-Type"] = body.content_type
    if body.encoding is not None:
        headers["Content-Encoding"] = body.encoding
    return headers


def post(target: Fuzzed, path: str, body: Body, **extra: str) -> Any:
    return target.http.post(
        f"{target.base}{path}", data=body.data, headers=headers_of(body, extra or None)
    )


_COUNT_IN = "select count(*) from messages where direction = 'in' and text like {}"


async def _count_in_postgres(url: str, text: str) -> int:
    connection = await asyncpg.connect("postgresql" + url.removeprefix("postgresql+asyncpg"))
    try:
        return int(await connection.fetchval(_COUNT_IN.format("$1"), f"%{text}%"))
    finally:
        await connection.close()


def _count_in_sqlite(database: Path, text: str) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute(_COUNT_IN.format("?"), (f"%{text}%",)).fetchone()[0])


async def _count_in(database: Path | str, text: str) -> int:
    if isinstance(database, str):
        return await _count_in_postgres(database, text)
    return _count_in_sqlite(database, text)


async def captured(target: Fuzzed, text: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """A message with this text is stored (read from the service's SQLite file)."""
    deadline = time.monotonic() + patient(timeout)
    while True:
        if await _count_in(target.database, text):
            return
        assert time.monotonic() < deadline, f"{text!r} was not captured"
        await asyncio.sleep(0.2)
