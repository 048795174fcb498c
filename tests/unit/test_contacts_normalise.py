"""domain.contacts: one canonical phone and e-mail form; masking for logs."""

from __future__ import annotations

import pytest

from domain.contacts import mask_phone, normalise_email, normalise_phone


@pytest.mark.parametrize(
    "raw",
    [
        "89001234567",
        "79001234567",
        "+79001234567",
        "+7 (900) 123-45-67",
        "8 (900) 123-45-67",
        "8-900-123-45-67",
        "7 900 123 45 67",
        "  +7 900 123 45 67  ",
        "9001234567",  # no trunk prefix, region RU
    ],
)
def test_russian_spellings_become_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+79001234567"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("88005553535", "RU", "+78005553535"),
        ("+1 650-253-0000", "RU", "+16502530000"),
        ("+44 20 7946 0958", "RU", "+442079460958"),
        ("+49 30 901820", "RU", "+4930901820"),
        ("+380 44 123 4567", "RU", "+380441234567"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+7 701 123 4567", "RU", "+77011234567"),  # Kazakhstan shares +7
    ],
)
def test_foreign_and_regional_numbers(raw: str, region: str, expected: str) -> None:
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize("region", ["RU", "US", "DE", "GB"])
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("79001234567", "+79001234567"),
        ("7 (900) 123-45-67", "+79001234567"),
        ("77011234567", "+77011234567"),
    ],
)
def test_bare_7_and_ten_digits_is_international_in_any_region(
    raw: str, expected: str, region: str
) -> None:
    # Without the special case DE would read it as +49 79001234567 and US/GB would reject it.
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw",
    [None, "", "   ", "abc", "call me", "12", "+7 900", "+7900123456789012", "+", "---"],
)
def test_junk_is_not_a_phone(raw: str | None) -> None:
    assert normalise_phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ivan@example.com", "ivan@example.com"),
        ("  Ivan.Petrov@Example.COM ", "ivan.petrov@example.com"),
        ("<anna@mail.ru>", "anna@mail.ru"),
        ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
    ],
)
def test_normalise_email(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "ivan",
        "ivan@",
        "@example.com",
        "ivan@example",
        "iv an@example.com",
        "a@b@c.com",
        "ivan@exa mple.com",
    ],
)
def test_normalise_email_rejects(raw: str | None) -> None:
    assert normalise_email(raw) is None


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+79001234567", "+7900*****67"),
        ("+442079460958", "+4420******58"),
        ("+4930901820", "+4930****20"),
        ("12345678", "12345*78"),
        ("1234567", "***"),
        ("", "***"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
    assert len(masked) == len(phone) or masked == "***"
