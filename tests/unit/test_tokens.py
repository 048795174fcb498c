"""The one secret check: constant time on bytes, and a plain "no" for what a stranger may
send (non-ASCII, lone surrogates from a header that was not UTF-8, nothing at all), where
hmac.compare_digest on str raised TypeError and str.encode() UnicodeEncodeError."""

from __future__ import annotations

import hmac

import pytest

from domain.tokens import same_token


def test_equal_and_unequal() -> None:
    assert same_token("s3cret", "s3cret")
    assert same_token(b"s3cret", "s3cret")
    assert same_token("пароль", "пароль")
    assert not same_token("s3cret", "s3cre")
    assert not same_token("", "s3cret")


@pytest.mark.parametrize("given", ["я", "\ud800", "\udcff\udc80", "😀" * 50_000, "\x00"])
def test_hostile_input_is_a_no_not_an_error(given: str) -> None:
    if not given.isascii():
        with pytest.raises(TypeError):  # what the old str comparison did: a 500
            hmac.compare_digest(given, "s3cret")
    assert not same_token(given, "s3cret")
    assert not same_token("s3cret", given)


def test_a_missing_side_is_a_no() -> None:
    assert not same_token(None, "s3cret")
    assert not same_token("s3cret", None)
