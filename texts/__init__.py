"""Every user-facing string, in one catalogue: Russian first, English second."""

from texts.catalogue import DEFAULTS, LANGUAGES, Safe, Texts, language_of, validate_overrides
from texts.dashboard import DASHBOARD_TEXTS, dashboard_text, delivery_state

__all__ = [
    "DASHBOARD_TEXTS",
    "DEFAULTS",
    "LANGUAGES",
    "Safe",
    "Texts",
    "dashboard_text",
    "delivery_state",
    "language_of",
    "validate_overrides",
]
