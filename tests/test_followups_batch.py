"""Set-based follow-up dispatch (issue 15): the same due steps, dispatched as a set and
step by step, queue the same outbox rows and events and leave the steps the same; a step
whose write fails is kept as the step-by-step path keeps it while the others go."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, insert, select, text, update

from config.business import parse_config
from domain.clock import ManualClock
from storage.models import (
    ChannelIdentity,
    Contact,
    FollowupStep,
    Lead,
    LeadEvent,
    Manager,
    OutboxMessage,
    Survey,
)
from usecases.context import AppContext
from usecases.followups import dispatch_due

MONDAY_10 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # 13:00 in Moscow, 23:00 in Auckland
CONFIG = {
    "company": {"name": "Acme & Co", "timezone": "Europe/Moscow"},
    "followups": {
        "quiet_hours": "21:00-09:00",
        "daily_marketing_cap": 2,
        "sequences": [
            {
                "name": "hello",
                "trigger": {"event": "manager_replied"},
                "marketing": False,
                "stop_when": ["customer_replied", "lead_closed"],
                "steps": [
                    {
                        "delay": "1h",
                        "text": "{customer_name}, {manager_name} из {company}: заявка {lead_id}",
                        "buttons": [{"text": "Каталог", "url": "https://example.com/c.pdf"}],
                    }
                ],
            },
            {
                "name": "promo",
                "trigger": {"event": "lead_created"},
                "marketing": True,
                "stop_when": ["lead_closed"],
                "steps": [{"delay": "1h", "text": t} for t in ("a", "b", "c")],
            },
            {
                "name": "staged",
                "trigger": {"event": "stage_entered", "stage": "contacted"},
                "marketing": False,
                "stop_when": ["stage_changed"],
                "steps": [{"delay": "1h", "text": "stage {customer_name}"}],
            },
            {
                "name": "survey",
                "trigger": {"event": "won"},
                "marketing": False,
                "steps": [{"delay": "1d", "survey": True, "text": "Оцените {manager_name}"}],
            },
        ],
    },
}
# (contact fields, lead fields, identity fields or None, sequences to schedule)
PEOPLE: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None, list[str]]] = [
    ({"display_name": "Анна <b>"}, {"manager": True}, {}, ["hello", "promo", "staged"]),
    ({"display_name": " ", "language": "en-GB"}, {}, {"language": "en"}, ["hello", "staged"]),
    ({"display_name": "Opted out", "marketing_opt_out_at": True}, {}, {}, ["promo", "hello"]),
    ({"display_name": "Closed"}, {"is_open": False, "status": "lost"}, {}, ["hello"]),
    ({"display_name": "Blocked"}, {}, {"blocked_at": True}, ["hello"]),
    ({"display_name": "Nowhere"}, {}, None, ["hello"]),
    ({"display_name": "Night", "timezone": "Pacific/Auckland"}, {}, {}, ["promo", "hello"]),
    ({"display_name": "Moved"}, {"status": "new"}, {}, ["staged"]),
    ({"display_name": "Replied"}, {"replied": True}, {}, ["hello"]),
    ({"display_name": "Won"}, {"status": "won", "is_open": False, "manager": True}, {}, ["survey"]),
    ({"display_name": "Other"}, {"channel": "vk"}, {"channel": "telegram"}, ["hello"]),
]


async def _seed(ctx: AppContext, people: list[Any] = PEOPLE) -> None:
    now = MONDAY_10
    past = now - timedelta(days=1)
    engine = ctx.db.session_factory.kw["bind"]
    async with engine.begin() as connection:
        await connection.execute(
            insert(Manager),
            [
                {
                    "id": 1,
                    "telegram_id": 501,
                    "name": "Сергей",
                    "created_at": past,
                    "updated_at": past,
                }
            ],
        )
        for n, (contact, lead, identity, sequences) in enumerate(people, start=1):
            contact = {**contact}
            if contact.pop("marketing_opt_out_at", None):
                contact["marketing_opt_out_at"] = past
            await connection.execute(
                insert(Contact).values(id=n, created_at=past, updated_at=past, **contact)
            )
            if identity is not None:
                fields = {"channel": "telegram", **identity}
                if fields.pop("blocked_at", None):
                    fields["blocked_at"] = past
                values = {"external_id": str(n), "chat_id": f"{9000 + n}", **fields}
                await connection.execute(
                    insert(ChannelIdentity).values(contact_id=n, created_at=past, **values)
                )
            values = {
                "id": n,
                "contact_id": n,
                "status": lead.get("status", "contacted"),
                "is_open": lead.get("is_open", True),
                "channel": lead.get("channel", "telegram"),
                "manager_id": 1 if lead.get("manager") else None,
                "last_customer_message_at": now - timedelta(minutes=5)
                if lead.get("replied")
                else None,
                "created_at": past,
                "stage_entered_at": past,
                "priority": 0,
                "pass_count": 0,
                "extra": {},
                "needs_head": False,
            }
            await connection.execute(insert(Lead).values(**values))
            for name in sequences:
                for index in range(3 if name == "promo" else 1):
                    await connection.execute(
                        insert(FollowupStep).values(
                            sequence=name,
                            step=index,
                            trigger_key="t",
                            lead_id=n,
                            contact_id=n,
                            due_at=now - timedelta(minutes=30 - index),
                            status="pending",
                            attempts=0,
                            created_at=past,
                        )
                    )


async def _state(ctx: AppContext) -> dict[str, Any]:
    """Every row dispatch touches, ids aside (a survey's id inside its buttons too)."""

    def plain(row: Any, *drop: str) -> dict[str, Any]:
        values = {c.key: getattr(row, c.key) for c in row.__table__.columns}
        return {k: v for k, v in values.items() if k not in ("id", *drop)}

    async with ctx.db.session_factory() as session:
        surveys = list(await session.scalars(select(Survey).order_by(Survey.id)))
        outbox = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        events = list(await session.scalars(select(LeadEvent).order_by(LeadEvent.id)))
        steps = list(await session.scalars(select(FollowupStep).order_by(FollowupStep.id)))
    messages = []
    for message in outbox:
        row = plain(message)
        dumped = json.dumps(row["payload"], ensure_ascii=False, sort_keys=True)
        for survey in surveys:
            dumped = dumped.replace(f"srv:{survey.id}:", "srv:#:")
        row["payload"] = dumped
        messages.append(row)
    # Ids aside, so in no order: steps going their own way (a survey) are written after
    # the set.
    return {
        "outbox": _unordered(messages),
        "events": _unordered([plain(e) for e in events]),
        "steps": [{"id": s.id, **plain(s)} for s in steps],
        "surveys": [plain(s) for s in surveys],
    }


def _unordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: json.dumps(row, default=str, sort_keys=True))


async def _undo(ctx: AppContext, seeded: list[dict[str, Any]]) -> None:
    """Back to the seeded state: every step as it was, nothing queued."""
    engine = ctx.db.session_factory.kw["bind"]
    async with engine.begin() as connection:
        await connection.execute(delete(OutboxMessage))
        await connection.execute(delete(LeadEvent))
        await connection.execute(delete(Survey))
        for step in seeded:
            values = {k: v for k, v in step.items() if k != "id"}
            await connection.execute(
                update(FollowupStep).where(FollowupStep.id == step["id"]).values(**values)
            )


def _count_statements(ctx: AppContext) -> list[str]:
    seen: list[str] = []
    engine = ctx.db.session_factory.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


async def _dispatch(ctx: AppContext, *, as_set: bool) -> int:
    handled = await dispatch_due(ctx, as_set=as_set)
    assert await dispatch_due(ctx, as_set=as_set) == 0  # deferred ones are due later
    return handled


async def test_set_and_step_by_step_queue_the_same_rows(
    ctx: AppContext, clock: ManualClock
) -> None:
    ctx.config = parse_config(CONFIG)
    clock.set(MONDAY_10)
    await _seed(ctx)
    seeded = (await _state(ctx))["steps"]
    statements = _count_statements(ctx)
    handled = await _dispatch(ctx, as_set=False)
    step_by_step, each_statements = await _state(ctx), len(statements)
    await _undo(ctx, seeded)
    statements.clear()
    assert await _dispatch(ctx, as_set=True) == handled
    as_set, set_statements = await _state(ctx), len(statements)

    assert as_set == step_by_step
    # Not the same rows by accident: every outcome the seed means to reach is there.
    notes = {(s["sequence"], s["status"], s["note"]) for s in as_set["steps"]}
    assert {
        ("hello", "sent", None),
        ("promo", "cancelled", "unsubscribed"),
        ("hello", "cancelled", "lead closed"),
        ("hello", "cancelled", "customer unreachable"),
        ("promo", "pending", "deferred: quiet hours"),
        ("promo", "pending", "deferred: daily cap"),
        ("staged", "cancelled", "lead moved on"),
        ("hello", "cancelled", "customer replied"),
        ("survey", "sent", None),
    } <= notes
    texts = [m["payload"] for m in as_set["outbox"]]
    assert any("Анна &lt;b&gt;, Сергей из Acme &amp; Co: заявка 1" in t for t in texts)
    assert any("your manager" in t for t in texts)  # fallbacks in the customer's language
    assert len(as_set["surveys"]) == 1 and len(as_set["outbox"]) == len(as_set["events"])
    # …and as a set: a handful of statements, not nine a step.
    assert set_statements * 3 < each_statements, (set_statements, each_statements)


async def _refuse_chat(ctx: AppContext, chat_id: str) -> None:
    """A constraint of the database that one row breaks: its outbox INSERT is refused."""
    engine = ctx.db.session_factory.kw["bind"]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text(
                    "CREATE FUNCTION refuse_chat() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.chat_id = '{chat_id}' THEN RAISE EXCEPTION 'chat refused'; "
                    "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            await connection.execute(
                text(
                    "CREATE TRIGGER refuse_chat BEFORE INSERT ON outbox "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_chat()"
                )
            )
        else:
            await connection.execute(
                text(
                    "CREATE TRIGGER refuse_chat BEFORE INSERT ON outbox "
                    f"WHEN NEW.chat_id = '{chat_id}' BEGIN SELECT RAISE(ABORT, 'chat refused'); END"
                )
            )


async def test_a_step_whose_write_fails_is_kept_as_step_by_step_keeps_it(
    ctx: AppContext, clock: ManualClock
) -> None:
    ctx.config = parse_config(CONFIG)
    clock.set(MONDAY_10)
    people = [({"display_name": f"c{n}"}, {}, {}, ["hello"]) for n in range(1, 7)]
    await _seed(ctx, people)
    await _refuse_chat(ctx, "9003")
    seeded = (await _state(ctx))["steps"]
    assert await dispatch_due(ctx) == 6
    as_set = await _state(ctx)
    await _undo(ctx, seeded)
    assert await dispatch_due(ctx, as_set=False) == 6
    assert await _state(ctx) == as_set

    steps = {s["lead_id"]: s for s in as_set["steps"]}
    broken = steps.pop(3)
    assert broken["status"] == "pending" and broken["attempts"] == 1
    assert broken["due_at"] == MONDAY_10 + timedelta(seconds=30)
    assert "chat refused" in broken["note"]
    assert {s["status"] for s in steps.values()} == {"sent"}
    assert sorted(m["lead_id"] for m in as_set["outbox"]) == [1, 2, 4, 5, 6]
    assert sorted(e["lead_id"] for e in as_set["events"]) == [1, 2, 4, 5, 6]
