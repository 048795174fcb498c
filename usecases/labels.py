"""The words people read for the codes the product keeps: a lead's class, its channel,
a loss reason, a complaint's source and status. The catalogue has a label for each code
the product ships; a code the team made up in its YAML (a class, a loss reason) is its
own word and is shown as written."""

from __future__ import annotations

from texts import Texts


def _label(texts: Texts, language: str, key: str, fallback: str) -> str:
    try:
        return str(texts.get(key, language))
    except KeyError:
        return fallback


def class_label(texts: Texts, language: str, name: str) -> str:
    return _label(texts, language, f"class_{name}", name)


def channel_label(texts: Texts, language: str, channel: str | None) -> str:
    return _label(texts, language, f"channel_name_{channel}", channel or "—")


def source_label(texts: Texts, language: str, source: str | None) -> str:
    """Where a lead came from: a channel by its name, else the source as the team's
    links and forms spell it (utm_source)."""
    return _label(texts, language, f"channel_name_{source}", source or "—")


def reason_label(texts: Texts, language: str, reason: str | None) -> str:
    """A loss or disqualification reason; "" (none given) is a dash."""
    if not reason:
        return "—"
    return _label(texts, language, f"loss_reason_{reason}", reason)


def complaint_source_label(texts: Texts, language: str, source: str) -> str:
    return _label(texts, language, f"complaint_source_{source}", source)


def complaint_status_label(texts: Texts, language: str, status: str) -> str:
    return _label(texts, language, f"complaint_status_{status}", status)
