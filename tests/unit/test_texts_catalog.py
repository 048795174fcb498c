"""texts: the message catalogue, HTML escaping of placeholders, overrides, language."""

from __future__ import annotations

import string

import pytest

from texts import DEFAULTS, LANGUAGES, Safe, Texts, language_of, validate_overrides


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    assert LANGUAGES == ("ru", "en")
    assert set(DEFAULTS) == {"ru", "en"}
    assert DEFAULTS["ru"].keys() == DEFAULTS["en"].keys()
    for key in DEFAULTS["ru"]:
        assert fields(DEFAULTS["ru"][key]) == fields(DEFAULTS["en"][key]), key


def test_get_fills_placeholders() -> None:
    text = Texts().get("ack_new_lead_with_phone", "en", name="Anna", when="soon")
    assert text == "Thank you, Anna! We have received your enquiry, soon."
    assert isinstance(text, Safe)


def test_get_escapes_html_in_placeholders() -> None:
    text = Texts().get("phone_thanks", "en", phone="<b>&Co")
    assert text == "Thank you, your number &lt;b&gt;&amp;Co is saved."


def test_get_escapes_the_customer_name() -> None:
    text = Texts().get("ack_new_lead_with_phone", "ru", name="<b>&Co", when="скоро")
    assert text == "Спасибо, &lt;b&gt;&amp;Co! Ваше обращение получено, скоро."
    assert "<b>" not in text


def test_quotes_are_left_alone_in_text_nodes() -> None:
    text = Texts().get("phone_thanks", "en", phone='"O\'Brien"')
    assert text == 'Thank you, your number "O\'Brien" is saved.'


def test_non_string_values_are_formatted_and_escaped() -> None:
    assert Texts().get("minutes", "en", n=30) == "30 min"
    assert Texts().get("days", "ru", n=3) == "3 дн"


def test_safe_values_are_not_escaped_twice() -> None:
    texts = Texts()
    inner = texts.get("when_in_hours", "en", sla="<30 min>")
    assert inner == "a manager will answer within &lt;30 min&gt;"
    outer = texts.get("ack_new_lead_with_phone", "en", name="A&B", when=inner)
    assert outer == (
        "Thank you, A&amp;B! We have received your enquiry, "
        "a manager will answer within &lt;30 min&gt;."
    )
    assert "&amp;lt;" not in outer


def test_safe_is_a_marker_only() -> None:
    value = Safe("<i>x</i>")
    assert value == "<i>x</i>"
    assert (
        Texts().get("phone_thanks", "en", phone=value)
        == "Thank you, your number <i>x</i> is saved."
    )
    # a plain str with the same content is escaped
    assert Texts().get("phone_thanks", "en", phone="<i>x</i>") == (
        "Thank you, your number &lt;i&gt;x&lt;/i&gt; is saved."
    )


def test_overrides_replace_defaults_for_that_language_only() -> None:
    texts = Texts({"en": {"when_in_hours": "answer in {sla} & no more"}})
    assert texts.get("when_in_hours", "en", sla="<1h") == "answer in &lt;1h & no more"
    assert texts.get("when_in_hours", "ru", sla="1 ч") == "менеджер ответит в течение 1 ч"
    assert texts.get("when_unknown", "en") == "a manager will answer soon"


def test_overrides_do_not_leak_into_defaults_or_other_instances() -> None:
    Texts({"ru": {"when_unknown": "ХХХ"}})
    assert DEFAULTS["ru"]["when_unknown"] == "менеджер скоро ответит"
    assert Texts().get("when_unknown", "ru") == "менеджер скоро ответит"


def test_unknown_language_falls_back_to_russian() -> None:
    assert Texts().get("when_unknown", "de") == "менеджер скоро ответит"


def test_unknown_key_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        Texts().get("no_such_text", "en")


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("en-GB", "en"),
        ("EN", "en"),
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("de", "ru"),
        ("uk", "ru"),
        ("", "ru"),
        (None, "ru"),
    ],
)
def test_language_of(code: str | None, language: str) -> None:
    assert language_of(code) == language


def test_validate_overrides_accepts_known_keys_and_placeholders() -> None:
    validate_overrides({"ru": {"welcome": "{company}: {name}, {when}"}, "en": {"minutes": "{n}m"}})
    validate_overrides({"en": {"welcome": "Hi!"}})  # dropping placeholders is fine
    validate_overrides({})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fr": {}}, "unknown language 'fr', expected one of ru, en"),
        ({"en": {"bye": "Bye"}}, "en.bye: unknown text key"),
        ({"en": {"minutes": "{m} min"}}, "en.minutes: unknown placeholder {m}; allowed: n"),
        (
            {"ru": {"phone_button": "{phone}"}},
            "ru.phone_button: unknown placeholder {phone}; allowed: none",
        ),
    ],
)
def test_validate_overrides_rejects(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_overrides(overrides)
    assert str(caught.value) == message
