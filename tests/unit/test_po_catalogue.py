"""The gettext catalogues (texts/locales/*.po) hold every text of the dict modules."""

from texts import DASHBOARD_TEXTS, DEFAULTS
from texts.loader import load


def test_the_po_files_hold_the_dicts_texts() -> None:
    for language in ("ru", "en"):
        assert load(language).bot == DEFAULTS[language]
        assert load(language).dashboard == DASHBOARD_TEXTS[language]
