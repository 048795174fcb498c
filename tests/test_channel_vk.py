"""VK over real HTTP: VK posts Callback API events to the running service; the service
answers through a local VK API emulator (VK_API_BASE points there)."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from channels.vk.normalise import Skip, inbound_from_event, parse_event
from channels.vk.sender import VkApi, VkSender, random_id_for, result_of
from config.business import Config
from config.settings import Settings
from storage.models import ChannelIdentity, Contact, Lead, Message, OutboxMessage
from tests.emulator.vk import VkEmulator
from tests.support.channels import HEAD
from tests.support.env import CORPUS
from tests.support.service import make_settings, running_service, wait_until
from usecases.ports import SendStatus
from usecases.work import Verdict, reply

TOKEN = "vk1.a.group-token"
SECRET = "callback-secret"
CONFIRMATION = "a1b2c3d4"
URL = "/vk/callback"


@pytest.fixture
async def vk() -> AsyncIterator[VkEmulator]:
    async with VkEmulator(TOKEN) as emulator:
        emulator.names[578716413] = ("Анна", "Смирнова")
        yield emulator


def vk_settings(database_url: str, vk: VkEmulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "vk_group_token": TOKEN,
        "vk_secret": SECRET,
        "vk_confirmation_code": CONFIRMATION,
        "vk_group_id": vk.group_id,
        "vk_api_base": vk.base_url,
    }
    values.update(overrides)
    return make_settings(database_url, None, **values)


async def rows(service: Any, model: type) -> list[Any]:
    async with service.ctx.db.session_factory() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def count(service: Any, model: type) -> int:
    async with service.ctx.db.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def post(http: aiohttp.ClientSession, url: str, event: Any) -> tuple[int, str]:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
        return r.status, await r.text()


async def test_confirmation_messages_and_a_reply_through_messages_send(
    database_url: str, vk: VkEmulator, team_config: Config
) -> None:
    async with running_service(vk_settings(database_url, vk), team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            confirmation = {"type": "confirmation", "group_id": vk.group_id}
            assert await post(http, url, confirmation) == (200, CONFIRMATION)
            current = vk.message_new(
                578716413, "Здравствуйте, сколько стоит доставка?", secret=SECRET
            )
            assert await post(http, url, current) == (200, "ok")
            # VK redelivers when it did not get "ok" in time: nothing doubles.
            assert await post(http, url, current) == (200, "ok")
            legacy = vk.message_new(500660022, "Hello, old API here", secret=SECRET, legacy=True)
            assert await post(http, url, legacy) == (200, "ok")

        leads = await rows(service, Lead)
        assert [lead.channel for lead in leads] == ["vk", "vk"]
        contacts = await rows(service, Contact)
        assert contacts[0].display_name == "Анна Смирнова"  # users.get
        assert contacts[0].language == "ru" and contacts[1].language is None
        identities = await rows(service, ChannelIdentity)
        assert [(i.external_id, i.chat_id) for i in identities] == [
            ("578716413", "578716413"),
            ("500660022", "500660022"),
        ]
        messages = await rows(service, Message)
        assert [m.text for m in messages] == [
            "Здравствуйте, сколько стоит доставка?",
            "Hello, old API here",
        ]

        # Both customers get the acknowledgement in VK, as plain text.
        sent = await vk.wait_for_sent(2)
        assert {s.peer_id for s in sent} == {578716413, 500660022}
        assert all("<" not in s.text for s in sent)

        assert await reply(service.ctx, leads[0].id, HEAD, "Анна, доставка 500 ₽.") == Verdict.DONE
        sent = await vk.wait_for_sent(3)
        assert sent[-1].peer_id == 578716413 and sent[-1].text == "Анна, доставка 500 ₽."
        outbox = next(r for r in await rows(service, OutboxMessage) if r.purpose == "reply")
        assert sent[-1].random_id == random_id_for(outbox.id)

        async def marked_sent() -> bool:
            row = next(r for r in await rows(service, OutboxMessage) if r.purpose == "reply")
            return row.status == "sent"

        await wait_until(marked_sent)
        outbox = next(r for r in await rows(service, OutboxMessage) if r.purpose == "reply")
        assert outbox.external_id == str(sent[-1].message_id)


async def test_a_lost_answer_is_retried_with_the_same_random_id_and_never_doubles(
    database_url: str, vk: VkEmulator, team_config: Config
) -> None:
    async with running_service(vk_settings(database_url, vk), team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        vk.lose_next_answer()  # the acknowledgement is sent, but its answer is lost
        async with aiohttp.ClientSession() as http:
            assert await post(http, url, vk.message_new(42, "Привет", secret=SECRET)) == (200, "ok")

        async def acknowledged() -> bool:
            rows_ = await rows(service, OutboxMessage)
            return bool(rows_) and rows_[0].status == "sent"

        await wait_until(acknowledged, timeout=20)
        sends = [params for name, params in vk.calls if name == "messages.send"]
        assert len(sends) == 2  # the lost one and the retry
        assert sends[0]["random_id"] == sends[1]["random_id"]
        assert len(vk.sent) == 1  # VK kept one message


async def test_secret_group_and_malformed_events_are_refused(
    database_url: str, vk: VkEmulator, team_config: Config
) -> None:
    async with running_service(vk_settings(database_url, vk), team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            assert (await post(http, url, vk.message_new(1, "hi", secret=None)))[0] == 401
            assert (await post(http, url, vk.message_new(1, "hi", secret="nope")))[0] == 403
            wrong_confirmation = {"type": "confirmation", "group_id": vk.group_id, "secret": "x"}
            assert (await post(http, url, wrong_confirmation))[0] == 403
            other_group = vk.message_new(1, "hi", secret=SECRET)
            other_group["group_id"] = 1
            assert (await post(http, url, other_group))[0] == 403
            for body in (
                b"{oops",
                b"[]",
                b'{"group_id": 1}',
                b'{"type": "message_new", "object": 5}',
            ):
                status, text = await post(http, url, body)
                assert status == 400, (body, text)
            big = vk.message_new(1, "x" * (600 * 1024), secret=SECRET)
            assert (await post(http, url, big))[0] == 413
        assert await count(service, Message) == 0


async def test_deny_blocks_sending_and_allow_resumes_it(
    database_url: str, vk: VkEmulator, team_config: Config
) -> None:
    async with running_service(vk_settings(database_url, vk), team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            await post(http, url, vk.message_new(77, "Вопрос", secret=SECRET))
            await vk.wait_for_sent(1)
            deny = vk.event("message_deny", {"user_id": 77}, secret=SECRET)
            assert await post(http, url, deny) == (200, "ok")
            identity = (await rows(service, ChannelIdentity))[0]
            assert identity.blocked_at is not None
            lead = (await rows(service, Lead))[0]
            assert await reply(service.ctx, lead.id, HEAD, "Ответ") == Verdict.DONE

            async def refused() -> bool:
                replies = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
                return replies[0].status == "failed"

            await wait_until(refused)
            assert len(vk.sent) == 1
            allow = vk.event("message_allow", {"user_id": 77, "key": ""}, secret=SECRET)
            assert await post(http, url, allow) == (200, "ok")
            assert (await rows(service, ChannelIdentity))[0].blocked_at is None


async def test_chats_are_skipped_unless_allowed(
    database_url: str, vk: VkEmulator, team_config: Config
) -> None:
    async with running_service(vk_settings(database_url, vk), team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            chat = vk.message_new(5, "в чате", secret=SECRET, peer_id=2000000007)
            assert await post(http, url, chat) == (200, "ok")
        assert await count(service, Message) == 0
    settings = vk_settings(database_url, vk, vk_allow_chats=True)
    async with running_service(settings, team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            chat = vk.message_new(5, "в чате", secret=SECRET, peer_id=2000000007)
            assert await post(http, url, chat) == (200, "ok")
        identity = (await rows(service, ChannelIdentity))[0]
        assert (identity.external_id, identity.chat_id) == ("5", "2000000007")


async def test_every_vk_event_in_the_corpus_is_accepted(
    database_url: str, vk: VkEmulator, team_config: Config
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    files = sorted(CORPUS.glob("vk_*.json"))
    assert files
    settings = vk_settings(database_url, vk, vk_group_id=None, vk_allow_chats=True)
    async with running_service(settings, team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            for path in files:
                event = json.loads(path.read_bytes())
                # Recorded events carry no secret (or another server's): ours is set here.
                if event.get("type") != "confirmation":
                    event["secret"] = SECRET
                status, text = await post(http, url, event)
                expected = CONFIRMATION if event["type"] == "confirmation" else "ok"
                assert (status, text) == (200, expected), path.name
        messages = await rows(service, Message)
    # The photo with a forwarded photo, the Cyrillic chat message, the poll and the old
    # text message become messages; the kicked-user service message is skipped.
    assert len(messages) == 4
    texts = {m.text for m in messages}
    assert {"bruh", "Ок", "asdasd", ""} == texts
    photo = next(m for m in messages if m.text == "bruh")
    assert [a["kind"] for a in photo.attachments] == ["photo", "forwarded"]
    assert photo.attachments[0]["url"].endswith("VngkKLfGEMA.jpg")  # the largest size


# ----------------------------------------------------------------------- send statuses


def test_vk_errors_map_to_send_statuses() -> None:
    def error(code: int) -> dict[str, Any]:
        return {"error": {"error_code": code, "error_msg": "x"}}

    assert result_of({"response": 17}).status is SendStatus.SENT
    assert result_of({"response": [{"peer_id": 1, "message_id": 9}]}).external_id == "9"
    assert result_of(error(901)).status is SendStatus.BLOCKED
    assert result_of(error(900)).status is SendStatus.BLOCKED
    assert result_of(error(6)).status is SendStatus.RETRY
    assert result_of(error(10)).status is SendStatus.RETRY
    assert result_of(error(5)).status is SendStatus.RETRY  # a token a person must fix
    assert result_of(error(100)).status is SendStatus.FAILED
    assert result_of(error(914)).status is SendStatus.FAILED
    assert result_of("nonsense").status is SendStatus.RETRY


async def test_vk_http_failures_are_retried(vk: VkEmulator) -> None:
    sender = VkSender(VkApi(vk.base_url, TOKEN, "5.199"))
    try:
        vk.fail_next(0, http_status=502)
        assert (await sender.send("1", {"text": "a"}, row_id=1)).status is SendStatus.RETRY
        vk.fail_next(901, "Can't send messages for users without permission")
        assert (await sender.send("1", {"text": "a"}, row_id=2)).status is SendStatus.BLOCKED
        assert (await sender.send("1", {"text": ""}, row_id=3)).status is SendStatus.FAILED
        wrong = VkSender(VkApi(vk.base_url, "wrong", "5.199"))
        assert (await wrong.send("1", {"text": "a"}, row_id=4)).status is SendStatus.RETRY
        await wrong._api.close()
        assert all("access_token" not in url for url in ("",))  # the token is in the body
    finally:
        await sender._api.close()


def test_both_payload_shapes_and_skips() -> None:
    base = {"type": "message_new", "group_id": 1, "event_id": "e1"}
    message = {"from_id": 9, "peer_id": 9, "id": 3, "text": "hi", "conversation_message_id": 3}
    current = parse_event({**base, "object": {"message": message, "client_info": {"lang_id": 3}}})
    legacy = parse_event({**base, "object": message})
    assert inbound_from_event(current).external_message_id == "9_3"
    assert inbound_from_event(legacy).external_message_id == "9_3"
    assert inbound_from_event(current).sender.language == "en"
    for change in ({"out": 1}, {"from_id": -5}, {"text": "", "action": {"type": "chat_kick_user"}}):
        bad = copy.deepcopy(message)
        bad.update(change)
        with pytest.raises(Skip):
            inbound_from_event(parse_event({**base, "object": bad}))


# ----------------------------------------------------------------------------------- fuzz


@pytest.fixture
async def vk_service(database_url: str, vk: VkEmulator, team_config: Config) -> AsyncIterator[str]:
    async with running_service(vk_settings(database_url, vk), team_config) as service:
        yield f"http://127.0.0.1:{service.port}"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
_EVENTS = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["message_new", "message_edit", "message_allow", "message_deny", "confirmation", "x"]
        )
        | st.text(max_size=10),
        "object": _JSON
        | st.fixed_dictionaries(
            {
                "message": st.dictionaries(
                    st.sampled_from(
                        [
                            "from_id",
                            "peer_id",
                            "text",
                            "id",
                            "out",
                            "conversation_message_id",
                            "attachments",
                            "fwd_messages",
                            "action",
                            "date",
                        ]
                    ),
                    _JSON,
                    max_size=8,
                )
            }
        ),
    },
    optional={
        "secret": st.just(SECRET) | st.text(max_size=10),
        "group_id": st.just(191949777) | _JSON,
        "event_id": _JSON,
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=2000) | _EVENTS.map(lambda event: json.dumps(event).encode()),
    headers=st.dictionaries(
        st.sampled_from(["Content-Type", "X-Forwarded-For", "Content-Encoding", "Origin"]),
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
        max_size=3,
    ),
)
async def test_random_events_never_break_the_vk_endpoint(
    vk_service: str, body: bytes, headers: dict[str, str]
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{vk_service}{URL}", data=body, headers=headers) as response:
            assert response.status in {200, 400, 401, 403, 413, 415}, await response.text()
        async with http.get(f"{vk_service}/healthz") as response:
            assert response.status == 200
