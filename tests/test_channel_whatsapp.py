"""WhatsApp over real HTTP: signed webhooks posted to the running service; the service
answers through a local Graph API emulator (WHATSAPP_API_BASE points there)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.whatsapp.normalise import BadEvent, parse_webhook
from channels.whatsapp.sender import result_of
from config.business import Config
from domain.clock import ManualClock
from storage.models import Contact, Lead, LeadEvent, Message, OutboxMessage
from tests.emulator.whatsapp import WhatsAppEmulator, sign
from tests.support.channels import HEAD
from tests.support.env import CORPUS
from tests.support.service import running_service, wait_until
from tests.support.whatsapp import APP_SECRET, CUSTOMER, URL, VERIFY, count, post, rows, wa_settings
from usecases.ports import SendStatus
from usecases.work import Verdict, reply


async def test_handshake_message_reply_and_delivery_statuses(
    database_url: str, wa: WhatsAppEmulator, team_config: Config, clock: ManualClock
) -> None:
    settings = wa_settings(database_url, wa)
    async with running_service(settings, team_config, clock=clock) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            challenge = {
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY,
                "hub.challenge": "1158201444",
            }
            async with http.get(url, params=challenge) as response:
                assert response.status == 200 and await response.text() == "1158201444"
            async with http.get(url, params={**challenge, "hub.verify_token": "no"}) as response:
                assert response.status == 403
            async with http.get(url) as response:
                assert response.status == 400

            hook = wa.text_webhook(CUSTOMER, "Добрый день! Есть доставка в Казань?", name="Мария")
            assert await post(http, url, hook) == 200
            assert await post(http, url, hook) == 200  # Meta redelivers: one message

        contact = (await rows(service, Contact))[0]
        assert (contact.display_name, contact.phone) == ("Мария", "+79001234567")
        lead = (await rows(service, Lead))[0]
        assert lead.channel == "whatsapp" and await count(service, Message) == 1

        ack = (await wa.wait_for_sent(1))[0]
        assert ack["to"] == CUSTOMER and ack["type"] == "text" and "<" not in ack["text"]["body"]
        assert await reply(service.ctx, lead.id, HEAD, "Мария, да, 2 дня.") == Verdict.DONE
        answer = (await wa.wait_for_sent(2))[1]
        assert answer["text"]["body"] == "Мария, да, 2 дня."

        async def sent() -> bool:
            outbox = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
            return outbox[0].status == "sent"

        await wait_until(sent)

        async def reply_row() -> OutboxMessage:
            return next(r for r in await rows(service, OutboxMessage) if r.purpose == "reply")

        assert (await reply_row()).external_id == answer["id"]
        async with aiohttp.ClientSession() as http:
            # "read" overtakes "delivered": a late "delivered" does not step back.
            assert await post(http, url, wa.status_webhook(answer["id"], "read", CUSTOMER)) == 200
            assert (await reply_row()).delivery_status == "read"
            delivered = wa.status_webhook(answer["id"], "delivered", CUSTOMER)
            assert await post(http, url, delivered) == 200
            assert (await reply_row()).delivery_status == "read"
            stored = next(m for m in await rows(service, Message) if m.direction == "out")
            assert stored.delivery_status == "read"
            unknown = wa.status_webhook("wamid.somebody-else", "delivered", CUSTOMER)
            assert await post(http, url, unknown) == 200

            # Failed after it was accepted: the row says so.
            assert await reply(service.ctx, lead.id, HEAD, "Ещё вопрос?") == Verdict.DONE
            second = (await wa.wait_for_sent(3))[2]
            await wait_until(lambda: _sent_count(service, 2))
            failed = wa.status_webhook(second["id"], "failed", CUSTOMER)
            assert await post(http, url, failed) == 200
        rows_ = [r for r in await rows(service, OutboxMessage) if r.external_id == second["id"]]
        assert rows_[0].delivery_status == "failed"
        assert "131026" in (rows_[0].last_error or "")


async def _sent_count(service: Any, expected: int) -> bool:
    replies = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
    return sum(1 for r in replies if r.status == "sent") == expected


async def test_outside_the_window_only_the_template_goes_or_the_manager_is_told(
    database_url: str, wa: WhatsAppEmulator, team_config: Config, clock: ManualClock
) -> None:
    settings = wa_settings(
        database_url,
        wa,
        whatsapp_template="follow_up",
        whatsapp_template_language="ru",
        whatsapp_template_with_text=True,
    )
    async with running_service(settings, team_config, clock=clock) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            assert await post(http, url, wa.text_webhook(CUSTOMER, "Сколько стоит?")) == 200
        await wa.wait_for_sent(1)
        lead = (await rows(service, Lead))[0]
        clock.advance(timedelta(hours=25))
        assert await reply(service.ctx, lead.id, HEAD, "Цена:\n100 ₽") == Verdict.DONE
        template = (await wa.wait_for_sent(2))[1]
        assert template["type"] == "template"
        assert template["template"]["name"] == "follow_up"
        assert template["template"]["language"] == {"code": "ru"}
        parameter = template["template"]["components"][0]["parameters"][0]["text"]
        assert parameter == "Цена: 100 ₽"  # no line breaks in a template variable

    # No template configured: the reply fails and the head (the lead has no manager) hears.
    settings = wa_settings(database_url, wa)
    async with running_service(settings, team_config, clock=clock) as service:
        clock.advance(timedelta(hours=1))
        assert await reply(service.ctx, lead.id, HEAD, "Вы здесь?") == Verdict.DONE

        async def told() -> bool:
            notices = [
                r
                for r in await rows(service, OutboxMessage)
                if r.channel == "telegram" and r.dedupe_key and "template_only" in r.dedupe_key
            ]
            # The notice is queued by the sender before its failure is recorded: wait
            # for both.
            replies = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
            return bool(notices) and replies[-1].status == "failed"

        await wait_until(told)
        replies = [r for r in await rows(service, OutboxMessage) if r.purpose == "reply"]
        assert replies[-1].status == "failed" and "template" in (replies[-1].last_error or "")
        notice = [r for r in await rows(service, OutboxMessage) if r.channel == "telegram"][-1]
        assert notice.chat_id == str(HEAD) and "+79001234567" in notice.payload["text"]
        assert "template_only" in {e.type for e in await rows(service, LeadEvent)}
        assert len(wa.sent) == 2


async def test_signatures_and_bodies_are_checked_before_anything(
    database_url: str, wa: WhatsAppEmulator, team_config: Config
) -> None:
    async with running_service(wa_settings(database_url, wa), team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        hook = wa.text_webhook(CUSTOMER, "hi")
        async with aiohttp.ClientSession() as http:
            assert await post(http, url, hook, secret=None) == 401
            assert await post(http, url, hook, secret="another-app") == 403
            body = json.dumps(hook).encode()
            headers = {"X-Hub-Signature-256": sign(body, APP_SECRET)}
            async with http.post(url, data=body + b" ", headers=headers) as response:
                assert response.status == 403  # one byte more: another body
            assert await post(http, url, b"{not json") == 400
            assert await post(http, url, {"object": "page", "entry": []}) == 400
            assert await post(http, url, {"object": "whatsapp_business_account", "entry": 1}) == 400
            assert await post(http, url, b"x" * (2 * 1024 * 1024)) == 413
        assert await count(service, Message) == 0


async def test_every_whatsapp_webhook_in_the_corpus_is_accepted(
    database_url: str, wa: WhatsAppEmulator, team_config: Config
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    files = sorted(CORPUS.glob("wa_*.json"))
    assert files
    async with running_service(wa_settings(database_url, wa), team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        async with aiohttp.ClientSession() as http:
            for path in files:
                # The corpus bodies are signed here, over their exact bytes.
                assert await post(http, url, path.read_bytes()) == 200, path.name
        messages = await rows(service, Message)
        leads = await rows(service, Lead)
    by_id = {m.external_id: m for m in messages}
    # Several pywa samples share the id wamid.xyzxyz: the first one stored, the rest dupes.
    assert set(by_id) == {
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        "wamid.xyzxyz",
        "wamid.zyzxyz",
        "wamid.wegrchytvwcggt=",
        "wamid.xsidjw",
    }
    assert by_id["wamid.zyzxyz"].text == "title\ndescription"  # a list reply
    assert by_id["wamid.xsidjw"].text == "title"  # a template's quick-reply button
    unsupported = by_id["wamid.wegrchytvwcggt="]
    assert unsupported.attachments[0]["kind"] == "unsupported"
    assert "131000" in unsupported.attachments[0]["error"]
    assert {lead.channel for lead in leads} == {"whatsapp"}
    assert len(leads) == 2  # Sheena Nelson and the pywa test number


def test_each_message_type_is_read() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")

    def first(name: str) -> Any:
        hook = parse_webhook(json.loads((CORPUS / name).read_bytes()))
        return hook.messages[0] if hook.messages else hook.statuses[0]

    image = first("wa_image_message.json")
    assert image.attachments[0].kind == "photo" and image.attachments[0].file_id == "65463453"
    contacts = first("wa_contacts_shared_three_contacts.json")
    assert contacts.text.startswith("Chandler Bing: +1 555-555-5555")
    assert contacts.sender.phone == "+972987654321"
    assert first("wa_interactive_button_reply.json").text == "title"
    unsupported = first("wa_unsupported_message_type.json")
    assert unsupported.attachments[0].extra["type"] == "unsupported"
    failed = first("wa_status_failed.json")
    assert failed.status == "failed" and "130472" in failed.error
    with pytest.raises(BadEvent):
        parse_webhook([])


def test_graph_api_errors_map_to_send_statuses() -> None:
    def error(status: int, code: int) -> SendStatus:
        return result_of(status, {"error": {"code": code, "message": "x"}}).status

    assert result_of(200, {"messages": [{"id": "wamid.1"}]}).external_id == "wamid.1"
    assert error(400, 131047) is SendStatus.FAILED  # the window: handled by the sender
    assert error(400, 130429) is SendStatus.RETRY
    assert result_of(400, {"error": {"code": 130429}}).retry_after == 5.0
    assert error(401, 190) is SendStatus.RETRY
    assert error(500, 131000) is SendStatus.RETRY
    assert error(400, 131026) is SendStatus.FAILED
    assert error(400, 100) is SendStatus.FAILED
    assert error(503, 999) is SendStatus.RETRY
    assert result_of(502, None).status is SendStatus.RETRY


async def test_a_window_error_from_whatsapp_falls_back_to_the_template(
    database_url: str, wa: WhatsAppEmulator, team_config: Config
) -> None:
    settings = wa_settings(database_url, wa, whatsapp_template="hello")
    async with running_service(settings, team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        wa.fail_next(131047, "Re-engagement message")
        async with aiohttp.ClientSession() as http:
            assert await post(http, url, wa.text_webhook(CUSTOMER, "hi")) == 200
        sent = await wa.wait_for_sent(1)
        assert sent[0]["type"] == "template" and "components" not in sent[0]["template"]


# ----------------------------------------------------------------------------------- fuzz


@pytest.fixture
async def wa_service(
    database_url: str, wa: WhatsAppEmulator, team_config: Config
) -> AsyncIterator[str]:
    async with running_service(wa_settings(database_url, wa), team_config) as service:
        yield f"http://127.0.0.1:{service.port}"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
_MESSAGE = st.dictionaries(
    st.sampled_from(
        [
            "from",
            "id",
            "timestamp",
            "type",
            "text",
            "image",
            "interactive",
            "contacts",
            "errors",
            "button",
            "location",
            "referral",
        ]
    ),
    _JSON
    | st.sampled_from(["text", "image", "interactive", "contacts", "unsupported", "reaction"]),
    max_size=7,
)
_WEBHOOKS = st.fixed_dictionaries(
    {
        "object": st.just("whatsapp_business_account") | _JSON,
        "entry": st.lists(
            st.fixed_dictionaries(
                {
                    "changes": st.lists(
                        st.fixed_dictionaries(
                            {
                                "field": st.just("messages") | st.text(max_size=5),
                                "value": st.fixed_dictionaries(
                                    {},
                                    optional={
                                        "messages": st.lists(_MESSAGE, max_size=3) | _JSON,
                                        "statuses": st.lists(_JSON, max_size=3),
                                        "contacts": _JSON,
                                        "errors": _JSON,
                                    },
                                )
                                | _JSON,
                            }
                        ),
                        max_size=2,
                    )
                    | _JSON
                }
            ),
            max_size=2,
        )
        | _JSON,
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=2000) | _WEBHOOKS.map(lambda hook: json.dumps(hook).encode()),
    signed=st.booleans(),
    signature=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    method=st.sampled_from(["POST", "POST", "POST", "GET"]),
    query=st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge"]),
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    ),
)
async def test_random_webhooks_never_break_the_whatsapp_endpoint(
    wa_service: str,
    body: bytes,
    signed: bool,
    signature: str,
    method: str,
    query: dict[str, str],
) -> None:
    headers = {"X-Hub-Signature-256": sign(body, APP_SECRET) if signed else signature}
    async with aiohttp.ClientSession() as http:
        async with http.request(
            method, f"{wa_service}{URL}", data=body, headers=headers, params=query
        ) as response:
            assert response.status in {200, 400, 401, 403, 413}, await response.text()
        async with http.get(f"{wa_service}/healthz") as response:
            assert response.status == 200
