"""Contact details in one canonical form, so one person is one contact across channels."""

from __future__ import annotations

import re

import phonenumbers

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(raw: str | None, region: str = "RU") -> str | None:
    """E.164 (`+79001234567`), or None when it is not a plausible phone number."""
    if not raw:
        return None
    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    # Russian habit: 8XXXXXXXXXX means +7XXXXXXXXXX; a bare 7XXXXXXXXXX is international.
    if not text.startswith("+") and len(digits) == 11 and digits[0] == "7":
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str | None) -> str | None:
    if not raw:
        return None
    email = raw.strip().strip("<>").lower()
    return email if _EMAIL.match(email) else None


def mask_phone(phone: str) -> str:
    """For logs: +7900*****67."""
    return phone[:5] + "*" * max(0, len(phone) - 7) + phone[-2:] if len(phone) > 7 else "***"


def format_phone(raw: str | None, region: str = "RU") -> str:
    """For people: `+7 916 123-45-67`; what is not a phone number is shown as given."""
    phone = normalise_phone(raw, region)
    if phone is None:
        return (raw or "").strip()
    number = phonenumbers.parse(phone, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
