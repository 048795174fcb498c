"""Site form submissions → the inbound shape; no I/O here.

Field names vary by site builder, so the common ones are recognised case-insensitively
(name, phone, email, comment, Tilda's Name/Phone/Email/formname, Contact Form 7's
your-name…, Russian labels); UTM fields and every other field are kept on the lead.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from channels.email.plain import guess_language
from domain.contacts import normalise_email, normalise_phone
from domain.inbound import InboundMessage, Sender

CHANNEL = "form"
MAX_FIELDS = 200
MAX_VALUE = 10_000
MAX_KEY = 100

_NAME = {"name", "fio", "full_name", "fullname", "your_name", "contact_name", "имя", "фио"}
_FIRST = {"first_name", "firstname"}
_LAST = {"last_name", "lastname", "surname"}
_PHONE = {"phone", "tel", "telephone", "phone_number", "mobile", "your_phone", "телефон"}
_PHONE |= {"celular", "whatsapp", "mobile_phone", "номер_телефона"}
_EMAIL = {"email", "e_mail", "mail", "your_email", "почта", "электронная_почта"}
_COMMENT = {"comment", "comments", "message", "text", "question", "your_message", "textarea"}
_COMMENT |= {"сообщение", "комментарий", "вопрос", "body", "details", "description"}
_FORM_NAME = {"formname", "form_name", "form_title"}
_UTM = {"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}
_CLICK_IDS = {"gclid", "yclid", "fbclid", "ymclid"}
# Ids of the submission and the form: kept on the lead, not shown as the customer's words.
_TECHNICAL = {"tranid", "formid", "submission_id"}
# Platform noise and anything that could carry a secret stays out of the lead.
_DROPPED = {"cookies", "token", "api_key", "apikey", "_redirect", "sign", "signature"}
_KEY_SEPARATORS = re.compile(r"[\s\-]+")


class Skip(Exception):
    """Not a lead (a connection test, a bot, another kind of event); answered 200."""


class BadForm(ValueError):
    """A body that cannot be a form submission; answered 400 with the reason."""


def _key(name: str) -> str:
    return _KEY_SEPARATORS.sub("_", name.strip().lower())


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(part for part in (_value(item) for item in value) if part)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)[:MAX_VALUE]
    return str(value).strip()[:MAX_VALUE]


def _check(fields: Mapping[str, str]) -> dict[str, str]:
    if len(fields) > MAX_FIELDS:
        raise BadForm(f"too many fields ({len(fields)}, at most {MAX_FIELDS})")
    clean: dict[str, str] = {}
    for name, value in fields.items():
        name = str(name).strip()[:MAX_KEY]
        if name:
            clean[name] = value
    return clean


def fields_from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Form-encoded pairs; a repeated name (checkboxes) keeps every value."""
    fields: dict[str, str] = {}
    count = 0
    for name, value in pairs:
        count += 1
        if count > MAX_FIELDS:
            raise BadForm(f"too many fields (at most {MAX_FIELDS})")
        value = value.strip()[:MAX_VALUE]
        fields[name] = f"{fields[name]}, {value}" if fields.get(name) and value else value
    return _check(fields)


def fields_from_json(data: Any) -> dict[str, str]:
    """A JSON object of fields (nested objects are flattened one level); Mobizon's
    `form-submission` event (fields in data.items[]) is read as its fields."""
    if not isinstance(data, dict):
        raise BadForm("expected a JSON object of form fields")
    if "eventType" in data and isinstance(data.get("data"), dict):
        return _mobizon(data)
    fields: dict[str, str] = {}
    for name, value in list(data.items())[: MAX_FIELDS + 1]:
        if isinstance(value, dict):
            for inner, inner_value in list(value.items())[:MAX_FIELDS]:
                fields.setdefault(str(inner), _value(inner_value))
        else:
            fields[str(name)] = _value(value)
    return _check(fields)


def _mobizon(data: dict[str, Any]) -> dict[str, str]:
    event = str(data.get("eventType"))
    if event != "form-submission":
        raise Skip(f"form service event {event!r} is not a submission")
    body = data["data"]
    items = body.get("items")
    if not isinstance(items, list):
        raise BadForm("data.items: expected a list of fields")
    fields: dict[str, str] = {}
    for item in items[:MAX_FIELDS]:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("fieldType") or "").upper()
        label = str(item.get("fieldName") or item.get("fieldId") or kind or "field")
        value = _value(item.get("value"))
        if kind == "EMAIL":
            fields.setdefault("email", value)
        elif kind in {"MOBILE", "PHONE"}:
            fields.setdefault("phone", value)
        else:
            fields[label] = value
    if body.get("submissionId") is not None:
        fields["submission_id"] = f"mobizon:{body['submissionId']}"
    if body.get("formId") is not None:
        fields["formid"] = str(body["formId"])
    return _check(fields)


def is_connection_test(fields: Mapping[str, str]) -> bool:
    """Tilda posts `test=test` when a webhook is connected and wants a 200."""
    return {_key(name): value for name, value in fields.items()} == {"test": "test"}


def inbound_from_form(
    fields: Mapping[str, str],
    *,
    region: str,
    honeypot: str | None,
    now: datetime,
) -> InboundMessage:
    if not fields:
        raise BadForm("the form is empty")
    if honeypot and any(_key(name) == _key(honeypot) and value for name, value in fields.items()):
        raise Skip("honeypot field filled in (a bot)")
    name = first = last = phone_raw = email_raw = None
    comments: list[str] = []
    form_name = None
    utm: dict[str, str] = {}
    others: dict[str, str] = {}
    meta: dict[str, str] = {}
    submission_id = None
    for raw_name, value in fields.items():
        key = _key(raw_name)
        if not value or key in _DROPPED or (honeypot and key == _key(honeypot)):
            continue
        if key in _NAME and name is None:
            name = value
        elif key in _FIRST and first is None:
            first = value
        elif key in _LAST and last is None:
            last = value
        elif key in _PHONE and phone_raw is None:
            phone_raw = value
        elif key in _EMAIL and email_raw is None:
            email_raw = value
        elif key in _COMMENT:
            comments.append(value)
        elif key in _FORM_NAME and form_name is None:
            form_name = value
        elif key in _UTM or key in _CLICK_IDS:
            utm[key] = value
        elif key in _TECHNICAL:
            meta[key] = value
            if key == "submission_id":
                submission_id = value
            elif key == "tranid":
                submission_id = submission_id or f"tilda:{value}"
        else:
            others[raw_name] = value
    name = name or " ".join(part for part in (first, last) if part) or None
    phone = _phone(phone_raw, region) if phone_raw else None
    email = normalise_email(email_raw) if email_raw else None
    if phone_raw and phone is None:
        others.setdefault("phone", phone_raw)
    if email_raw and email is None:
        others.setdefault("email", email_raw)

    lines = [f"{label}: {value}" for label, value in others.items()]
    text = "\n\n".join(comments)
    if lines:
        text = f"{text}\n\n" + "\n".join(lines) if text else "\n".join(lines)
    if not text:
        summary = [part for part in (name, phone or phone_raw, email or email_raw) if part]
        text = ", ".join(summary)
    if not text:
        raise BadForm("the form has no field with a value")

    key = submission_id or _digest(fields, now)
    identity = email or phone or f"anon:{key}"
    extra: dict[str, Any] = {"fields": others} if others else {}
    if form_name:
        extra["form_name"] = form_name
    if utm:
        extra["utm"] = utm
    if meta:
        extra["form_meta"] = meta
    return InboundMessage(
        channel=CHANNEL,
        sender=Sender(
            external_id=identity,
            # A form cannot be answered; a reply goes by e-mail when there is an address.
            chat_id=email or "",
            display_name=name,
            language=guess_language(" ".join([text, name or ""])),
            phone=phone,
            email=email,
        ),
        external_message_id=key,
        text=text,
        sent_at=now,
        source=utm.get("utm_source") or form_name or CHANNEL,
        extra=extra,
    )


def _phone(raw: str, region: str) -> str | None:
    """Services such as Mobizon send international numbers without the plus sign."""
    phone = normalise_phone(raw, region)
    digits = re.sub(r"\D", "", raw)
    if phone is None and len(digits) >= 11 and not raw.strip().startswith("+"):
        phone = normalise_phone("+" + digits, region)
    return phone


def _digest(fields: Mapping[str, str], now: datetime) -> str:
    """The same submission posted again the same day (a site builder's retry after a slow
    answer) is one message; the date keeps a repeat weeks later a new one."""
    canonical = json.dumps(sorted(fields.items()), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"form:{now.date().isoformat()}:{digest}"
