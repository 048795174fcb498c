"""The gettext catalogues (texts/locales/{ru,en}/LC_MESSAGES/leadkeeper.po): well-formed,
complete in both languages, plural forms by the .po's own rule, compiled when stale."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from texts import Texts
from texts import loader as loader_module
from texts.loader import po_path

PLURAL_FORMS = {
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
    "en": "nplurals=2; plural=(n != 1);",
}


def _read(language: str) -> Catalog:
    with po_path(language).open("rb") as fileobj:
        return read_po(fileobj, locale=language, abort_invalid=True)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _entries(language: str) -> dict[str, tuple[str, ...]]:
    """msgctxt → its msgstr forms."""
    found = {}
    for message in _read(language):
        if message.id:
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            found[message.context] = forms
    return found


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_po_file_is_clean(language: str) -> None:
    catalog = _read(language)
    assert catalog.plural_forms == PLURAL_FORMS[language]
    assert not catalog.fuzzy, "the header is marked fuzzy"
    assert not catalog.obsolete, sorted(catalog.obsolete)
    messages = [message for message in catalog if message.id]
    assert messages
    for message in messages:
        assert not message.fuzzy, message.context
        assert message.context, message.id
        # msgid repeats the key (texts/catalogue.py says why), msgid_plural too.
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        assert set(ids) == {message.context}, message.context
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"{language}: {message.context} untranslated"
        if isinstance(message.id, tuple):
            assert len(forms) == catalog.num_plurals, message.context
        assert not list(message.check(catalog)), message.context


def test_every_key_in_both_languages_with_the_same_placeholders() -> None:
    russian, english = _entries("ru"), _entries("en")
    assert russian.keys() == english.keys()
    for key, forms in russian.items():
        # A plural entry in one language is one in the other.
        assert (len(forms) > 1) == (len(english[key]) > 1), key
        placeholders = {frozenset(_fields(form)) for form in (*forms, *english[key])}
        assert len(placeholders) == 1, (key, placeholders)


@pytest.mark.parametrize(
    ("count", "russian", "english"),
    [
        (1, "1 сделка", "1 deal"),
        (2, "2 сделки", "2 deals"),
        (5, "5 сделок", "5 deals"),
        (11, "11 сделок", "11 deals"),
        (21, "21 сделка", "21 deals"),
        (22, "22 сделки", "22 deals"),
        (25, "25 сделок", "25 deals"),
        (111, "111 сделок", "111 deals"),
    ],
)
def test_russian_plural_forms(count: int, russian: str, english: str) -> None:
    texts = Texts()
    assert texts.plural("deals", "ru", count) == russian
    assert texts.plural("deals", "en", count) == english


def test_every_plural_entry_by_the_rule() -> None:
    texts = Texts()
    forms = _entries("ru")
    for key, (one, few, many) in ((k, v) for k, v in forms.items() if len(v) == 3):
        for count, form in ((1, one), (2, few), (5, many), (11, many), (21, one), (22, few)):
            assert texts.plural(key, "ru", count) == form.format(count=count), (key, count)


def test_an_override_of_one_form_wins() -> None:
    texts = Texts({"ru": {"deals_few": "{count} сделочки"}})
    assert texts.plural("deals", "ru", 3) == "3 сделочки"
    assert texts.plural("deals", "ru", 5) == "5 сделок"


def test_a_stale_mo_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    po = tmp_path / "ru" / "LC_MESSAGES" / "leadkeeper.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(po_path("ru").read_bytes())
    monkeypatch.setattr(loader_module, "LOCALES", tmp_path)
    mo = po.with_suffix(".mo")
    assert not mo.exists()
    first = loader_module._compiled("ru")
    assert mo.read_bytes() == first
    # An edited .po (newer than its .mo) is compiled again; an untouched one is not.
    po.write_bytes(po.read_bytes().replace("сделок".encode(), "сделочек".encode(), 1))
    os.utime(mo, (1, 1))
    second = loader_module._compiled("ru")
    assert second != first and mo.read_bytes() == second
    mo.write_bytes(b"kept")
    assert loader_module._compiled("ru") == b"kept"
