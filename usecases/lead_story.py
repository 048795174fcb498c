"""A lead's events as the lead page tells them: who (a staff member by name, the
customer, the system) and what, in a sentence from the catalogue (texts.lead_story),
never an event's internal name or a stage id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from texts import DASHBOARD_TEXTS, dashboard_text, delivery_state
from usecases.context import AppContext
from usecases.labels import reason_label
from usecases.money_text import format_major
from usecases.step_views import kind_choices

# Actors that are not a staff member, and how the page names them.
_ACTORS = {
    "customer": "story_who_customer",
    "dashboard": "story_who_administrator",
    "business_account": "story_who_business",
    "telegram_business": "story_who_business",
}
# Events whose sentence needs nothing from the event's data.
_PLAIN = (
    "message_received",
    "message_edited",
    "messages_deleted",
    "queued",
    "accepted",
    "offer_expired",
    "auto_reply",
    "template_only",
    "next_step_done",
    "next_step_changed",
    "reminded",
    "subscribed",
    "unsubscribed",
    "contact_merged",
)


@dataclass(frozen=True)
class Line:
    at: str | None
    who: str
    text: str


class _Teller:
    def __init__(self, ctx: AppContext, language: str, names: dict[int, str]) -> None:
        self.ctx, self.language, self.names = ctx, language, names
        self.kinds = dict(kind_choices(ctx.texts, language))

    def say(self, key: str, **params: Any) -> str:
        return dashboard_text(self.language, key, **params)

    def name(self, manager_id: Any) -> str:
        if isinstance(manager_id, int) and manager_id in self.names:
            return self.names[manager_id]
        return "—"

    def stage(self, status: Any) -> str:
        return str(self.ctx.texts.get(f"stage_{status}", self.language)) if status else "—"

    def channel(self, channel: Any) -> str:
        return channel_name(self.language, channel)

    def money(self, amount: Any, currency: Any) -> str:
        if amount is None:
            return "—"
        return str(format_major(self.ctx.texts, self.language, amount, currency or ""))

    def when(self, moment: Any) -> str:
        try:
            local = datetime.fromisoformat(str(moment))
        except ValueError:
            return "—"
        zone = ZoneInfo(self.ctx.config.company.timezone)
        return f"{local.astimezone(zone):%d.%m.%Y %H:%M}"

    def who(self, actor: str | None) -> str:
        if actor and actor.startswith("manager:") and actor[8:].isdigit():
            return self.name(int(actor[8:]))
        return self.say(_ACTORS.get(actor or "", "story_who_system"))


def channel_name(language: str, channel: Any) -> str:
    """A channel by its name for people («ВКонтакте»); one the catalogue does not know
    (a new one) by its own name."""
    key = f"channel_{channel}"
    return dashboard_text(language, key) if _known(language, key) else str(channel or "—")


def _known(language: str, key: str) -> bool:
    return key in DASHBOARD_TEXTS.get(language, DASHBOARD_TEXTS["ru"])


def _created(t: _Teller, d: dict[str, Any]) -> str:
    if d.get("source") == "second_try" and d.get("previous_lead"):
        return t.say("story_lead_created_again", lead=d["previous_lead"])
    return t.say("story_lead_created", channel=t.channel(d.get("channel")))


def _assigned(t: _Teller, d: dict[str, Any]) -> str:
    key = "story_assigned_business" if d.get("mode") == "business_account" else "story_assigned"
    return t.say(key, name=t.name(d.get("manager_id")))


def _declined(t: _Teller, d: dict[str, Any]) -> str:
    reason = d.get("reason")
    return t.say("story_declined_why", reason=reason) if reason else t.say("story_declined")


def _replied(t: _Teller, d: dict[str, Any]) -> str:
    parts = d.get("parts")
    if isinstance(parts, int) and parts > 1:
        return t.say("story_replied_parts", parts=parts)
    return t.say("story_replied")


def _reply_failed(t: _Teller, d: dict[str, Any]) -> str:
    # The reason in the words the message under the reply shows.
    shown = delivery_state(t.language, "failed", d.get("reason"))
    reason = shown.partition(": ")[2] or t.say("delivery_reason_rejected")
    return t.say("story_reply_failed", reason=reason)


def _closed(t: _Teller, d: dict[str, Any]) -> str:
    outcome = d.get("outcome")
    said, comment = d.get("reason"), d.get("comment")
    if said == "other" and comment:  # "other": the words typed say it
        reason = str(comment)
    else:
        label = reason_label(t.ctx.texts, t.language, str(said)) if said else None
        reason = ", ".join(str(part) for part in (label, comment) if part) or "—"
    if outcome == "won":
        if d.get("amount") is not None:
            return t.say("story_won_amount", amount=t.money(d["amount"], d.get("currency")))
        return t.say("story_won")
    if outcome in ("lost", "disqualified"):
        return t.say(f"story_{outcome}", reason=reason)
    return t.say("story_closed", stage=t.stage(outcome))


def _reassigned(t: _Teller, d: dict[str, Any]) -> str:
    if d.get("from") is None:
        return t.say("story_reassigned_first", new=t.name(d.get("to")))
    return t.say("story_reassigned", old=t.name(d.get("from")), new=t.name(d.get("to")))


def _amount(t: _Teller, d: dict[str, Any]) -> str:
    old, new, currency = d.get("from"), d.get("to"), d.get("currency")
    if new is None:
        return t.say("story_amount_removed")
    if old is None:
        return t.say("story_amount_set", amount=t.money(new, currency))
    return t.say("story_amount_changed", old=t.money(old, currency), new=t.money(new, currency))


def _step(t: _Teller, d: dict[str, Any]) -> str:
    kind = t.kinds.get(str(d.get("kind")), "—")
    due = t.when(d.get("due_at"))
    if d.get("note"):
        return t.say("story_next_step_set_note", kind=kind, due=due, note=d["note"])
    return t.say("story_next_step_set", kind=kind, due=due)


def _escalated(t: _Teller, d: dict[str, Any]) -> str:
    cause = str(d.get("timer") or d.get("reason") or "")
    key = f"story_why_{cause}"
    return t.say(
        "story_escalated", why=t.say(key if _known(t.language, key) else "story_why_other")
    )


_TELL: dict[str, Callable[[_Teller, dict[str, Any]], str]] = {
    "lead_created": _created,
    "assigned": _assigned,
    "offered": lambda t, d: t.say("story_offered", name=t.name(d.get("manager_id"))),
    "declined": _declined,
    "decline_reason": lambda t, d: t.say("story_decline_reason", reason=d.get("reason") or "—"),
    "replied": _replied,
    "reply_failed": _reply_failed,
    "stage_changed": lambda t, d: t.say(
        "story_stage_changed", old=t.stage(d.get("from")), new=t.stage(d.get("to"))
    ),
    "closed": _closed,
    "comment": lambda t, d: t.say("story_comment", text=d.get("text") or ""),
    "reassigned": _reassigned,
    "released": lambda t, d: t.say("story_released", name=t.name(d.get("from"))),
    "handed_over": lambda t, d: t.say("story_handed_over", name=t.name(d.get("from"))),
    "amount_set": _amount,
    "next_step_set": _step,
    "escalated": _escalated,
    "source_seen": lambda t, d: t.say("story_source_seen", source=d.get("source") or "—"),
    "phone_shared": lambda t, d: t.say("story_phone_shared", phone=d.get("phone") or "—"),
    "followup_sent": lambda t, d: t.say("story_followup_sent", sequence=d.get("sequence") or "—"),
    "survey_answered": lambda t, d: t.say("story_survey_answered", score=d.get("score", "—")),
    "complaint_opened": lambda t, d: t.say(
        "story_complaint_opened", complaint=d.get("complaint_id", "—")
    ),
    "merged": lambda t, d: t.say("story_merged", lead=d.get("into_lead", "—")),
    "second_try": lambda t, d: t.say("story_second_try", lead=d.get("new_lead", "—")),
    "gate_overridden": lambda t, d: t.say(
        "story_gate_overridden",
        stage=t.stage(d.get("to")),
        skipped="; ".join(str(item) for item in d.get("skipped") or ()) or "—",
    ),
    "gate_refused": lambda t, d: t.say("story_gate_refused", stage=t.stage(d.get("to"))),
    "checklist_answered": lambda t, d: t.say(
        "story_checklist_answered", answer=d.get("answer") or "—"
    ),
}
# What the page can tell: every event the use cases record ("<work>_failed" too).
TOLD = frozenset(_TELL) | frozenset(_PLAIN)


def sentence(t: _Teller, kind: str, data: dict[str, Any]) -> str:
    if kind in _TELL:
        return _TELL[kind](t, data)
    if kind in _PLAIN:
        return t.say(f"story_{kind}")
    if kind.endswith("_failed"):
        return t.say("story_work_failed")
    return t.say("story_other")


def tell(
    ctx: AppContext, events: list[dict[str, Any]], names: dict[int, str], language: str
) -> list[Line]:
    """The lead's events (lead_details' dicts), oldest first, as lines of its history."""
    teller = _Teller(ctx, language, names)
    return [
        Line(
            at=event.get("at"),
            who=teller.who(event.get("actor")),
            text=sentence(teller, str(event.get("type")), event.get("data") or {}),
        )
        for event in events
    ]
