"""The Telegram Bot API emulator, exercised through the real aiogram client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    Update,
)
from aiohttp import web

from tests.emulator.telegram import HtmlParseError, TelegramEmulator, parse_html

TOKEN = "123456:TEST"


def make_bot(emu: TelegramEmulator, token: str = TOKEN, timeout: float = 5.0) -> Bot:
    api = TelegramAPIServer.from_base(emu.base_url)
    return Bot(token, session=AiohttpSession(api=api, timeout=timeout))


async def close_bot(bot: Bot) -> None:
    # aiogram's session.close() pauses 250 ms for TLS shutdown; local plain HTTP needs none.
    http = await bot.session.create_session()
    await http.close()


def long_poll_waiting(emu: TelegramEmulator) -> bool:
    # Calls are recorded on arrival; status 0 means the answer is still pending.
    return any(call.method == "getUpdates" and call.status == 0 for call in emu.calls)


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def limited() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, enforce_limits=True) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    bot = make_bot(emu)
    yield bot
    await close_bot(bot)


@pytest.mark.asyncio
async def test_get_me_and_wrong_token(emu: TelegramEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        123456,
        True,
        "leadkeeper_test_bot",
        "Leadkeeper",
    )
    intruder = make_bot(emu, token="123456:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await intruder.get_me()
    finally:
        await close_bot(intruder)
    assert [(call.method, call.status) for call in emu.calls] == [("getMe", 200), ("getMe", 401)]


@pytest.mark.asyncio
async def test_raw_http_shapes_and_encodings(emu: TelegramEmulator) -> None:
    base = f"{emu.base_url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendRocket") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.get(f"{emu.base_url}/bot1:nope/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.get(f"{base}/getme") as response:
            assert (await response.json())["result"]["id"] == 123456
        markup = {"inline_keyboard": [[{"text": "Call me", "callback_data": "call"}]]}
        payload = {"chat_id": 7, "text": "json body", "reply_markup": markup}
        async with http.post(f"{base}/sendMessage", json=payload) as response:
            body = await response.json()
            assert body["result"]["text"] == "json body"
            assert body["result"]["reply_markup"] == markup
            assert body["result"]["chat"] == {"id": 7, "type": "private"}
        # Form encoding: reply_markup is parsed back, but free text never is.
        form = {"chat_id": "-1001", "text": "[1, 2]", "reply_markup": '{"remove_keyboard": true}'}
        async with http.post(f"{base}/sendMessage", data=form) as response:
            result = (await response.json())["result"]
            assert result["chat"] == {"id": -1001, "type": "supergroup"}
            assert result["text"] == "[1, 2]"
            assert "reply_markup" not in result  # Telegram echoes inline keyboards only
    json_call, form_call = emu.sent_messages()
    assert json_call.params["chat_id"] == 7 and json_call.params["reply_markup"] == markup
    assert form_call.params["reply_markup"] == {"remove_keyboard": True}
    assert form_call.params["text"] == "[1, 2]"


@pytest.mark.asyncio
async def test_send_message_html_and_message_ids(emu: TelegramEmulator, bot: Bot) -> None:
    raw = '<b>Заявка</b> №5 &amp; <a href="https://x.test/?a=1&amp;b=2">ссылка</a> &#128512;'
    first = await bot.send_message(1001, raw, parse_mode="HTML")
    second = await bot.send_message(1001, "plain")
    other = await bot.send_message("1002", "plain")
    assert first.text == "Заявка №5 & ссылка 😀"
    entities = [(e.type, e.offset, e.length, e.url) for e in first.entities or []]
    assert entities == [("bold", 0, 6, None), ("text_link", 12, 6, "https://x.test/?a=1&b=2")]
    assert [first.message_id, second.message_id, other.message_id] == [1, 2, 1]
    assert first.from_user is not None and first.from_user.id == 123456
    assert first.chat.type == "private"
    assert emu.sent_messages(1001)[0].params["text"] == raw
    assert [int(c.params["chat_id"]) for c in emu.sent_messages()] == [1001, 1001, 1002]


@pytest.mark.asyncio
async def test_invalid_html_and_bad_texts_are_rejected(emu: TelegramEmulator, bot: Bot) -> None:
    cases = {
        "1 < 2": 'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2',
        "<div>x</div>": 'Bad Request: can\'t parse entities: Unsupported start tag "div"',
        "<b>bold": "Bad Request: can't parse entities: Can't find end tag corresponding to "
        'start tag "b"',
        "<b><i>x</b></i>": "Bad Request: can't parse entities: Unmatched end tag at byte "
        'offset 7, expected "</i>", found "</b>"',
        "Tom & Jerry": "Bad Request: can't parse entities: Character '&' is reserved",
        "&nbsp;": "Bad Request: can't parse entities: Character '&' is reserved",
    }
    for text, description in cases.items():
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.send_message(5, text, parse_mode="HTML")
        assert caught.value.message.startswith(description), text
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(5, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(5, "")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(5, "<b> </b>", parse_mode="HTML")
    # Exactly at the limit is fine, and so is markup-heavy text whose plain part fits.
    await bot.send_message(5, "y" * 4096)
    await bot.send_message(5, "<b>" + "z" * 4096 + "</b>", parse_mode="HTML")
    assert len(emu.sent_messages(5)) == 2
    assert [c.status for c in emu.calls].count(400) == len(cases) + 3


@pytest.mark.parametrize(
    ("source", "plain", "entities"),
    [
        ("a &lt;b&gt; &quot;c&quot; &#x41;&#66;", 'a <b> "c" AB', []),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [{"offset": 0, "length": 5, "type": "pre", "language": "python"}],
        ),
        (
            "😀<tg-spoiler>s</tg-spoiler><span class='tg-spoiler'>p</span>",
            "😀sp",
            [
                {"offset": 2, "length": 1, "type": "spoiler"},
                {"offset": 3, "length": 1, "type": "spoiler"},
            ],
        ),
        (
            "<blockquote expandable>q</blockquote><tg-emoji emoji-id='5368'>👍</tg-emoji>",
            "q👍",
            [
                {"offset": 0, "length": 1, "type": "expandable_blockquote"},
                {"offset": 1, "length": 2, "type": "custom_emoji", "custom_emoji_id": "5368"},
            ],
        ),
        (
            "<B>x</B><strong><em><u><s>y</s></u></em></strong> > ok",
            "xy > ok",
            [
                {"offset": 0, "length": 1, "type": "bold"},
                {"offset": 1, "length": 1, "type": "bold"},
                {"offset": 1, "length": 1, "type": "italic"},
                {"offset": 1, "length": 1, "type": "underline"},
                {"offset": 1, "length": 1, "type": "strikethrough"},
            ],
        ),
    ],
)
def test_parse_html_accepts_telegram_markup(
    source: str, plain: str, entities: list[dict[str, Any]]
) -> None:
    text, parsed = parse_html(source)
    assert text == plain
    assert sorted(parsed, key=str) == sorted(entities, key=str)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("Привет <3 дня>", 'Unsupported start tag "3" at byte offset 13'),
        ("Привет <3", "Unclosed start tag at byte offset 13"),
        ("<br>", 'Unsupported start tag "br"'),
        ("<b/>", 'Unsupported start tag "b/"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<a href='x'", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("&#0;", "Character '&' is reserved"),
        ("&lt", "Character '&' is reserved"),
    ],
)
def test_parse_html_rejects_what_telegram_rejects(source: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(source)
    assert error in str(caught.value)


@pytest.mark.asyncio
async def test_get_updates_confirmation_and_redelivery(emu: TelegramEmulator, bot: Bot) -> None:
    ids = [emu.add_update(emu.make_text_update(10 + n, f"m{n}")) for n in range(3)]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    first = await bot.get_updates()
    assert [u.update_id for u in first] == ids
    # Not confirmed: the same updates come again.
    assert [u.update_id for u in await bot.get_updates()] == ids
    # offset confirms everything below it, for good.
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [ids[1]]
    assert await bot.get_updates(offset=ids[2] + 1) == []
    assert emu.pending_updates == []
    # An explicit update_id is kept; re-adding it is a redelivery of the same update.
    update = emu.make_text_update(99, "again")
    emu.add_update(update)
    emu.add_update(dict(update))
    (redelivered,) = await bot.get_updates()
    assert redelivered.update_id == update["update_id"] and redelivered.message is not None
    assert redelivered.message.text == "again"


@pytest.mark.asyncio
async def test_long_poll_wakes_on_update_and_times_out(emu: TelegramEmulator, bot: Bot) -> None:
    started = time.monotonic()
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for(lambda: long_poll_waiting(emu))
    update_id = emu.add_update(emu.make_text_update(1, "wake up"))
    updates = await waiting
    assert [u.update_id for u in updates] == [update_id]
    # Woken by the update, not by its 5 s timeout (a loaded machine may be slow, not 5 s).
    assert time.monotonic() - started < 4.5
    started = time.monotonic()
    assert await bot.get_updates(offset=update_id + 1, timeout=1) == []
    assert time.monotonic() - started >= 0.9  # it waited out its timeout


@pytest.mark.asyncio
async def test_newer_get_updates_terminates_waiting_one(emu: TelegramEmulator, bot: Bot) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for(lambda: long_poll_waiting(emu))
    assert await bot.get_updates() == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await waiting


@pytest.mark.asyncio
async def test_allowed_updates_are_remembered(emu: TelegramEmulator, bot: Bot) -> None:
    text_id = emu.add_update(emu.make_text_update(3, "hi"))
    press_id = emu.add_update(emu.make_callback_update(3, "yes"))
    member_id = emu.add_update(emu.make_my_chat_member_update(3, "kicked"))
    only = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.update_id for u in only] == [press_id]
    assert [u.update_id for u in await bot.get_updates()] == [press_id]  # setting sticks
    assert [u.update_id for u in await bot.get_updates(allowed_updates=[])] == [
        text_id,
        press_id,
        member_id,
    ]


@pytest.mark.asyncio
async def test_get_updates_refused_while_webhook_is_set(emu: TelegramEmulator, bot: Bot) -> None:
    assert await bot.set_webhook("https://example.invalid/hook", secret_token="abc")
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://example.invalid/hook", 0)
    with pytest.raises(TelegramConflictError) as caught:
        await bot.get_updates()
    assert caught.value.message == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    emu.add_update(emu.make_text_update(4, "queued"))
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []
    assert (await bot.get_webhook_info()).url == ""
    with pytest.raises(TelegramBadRequest, match="unallowed characters"):
        await bot.set_webhook("https://example.invalid/hook", secret_token="no spaces")


@pytest.mark.asyncio
async def test_injected_failures(emu: TelegramEmulator, bot: Bot) -> None:
    emu.fail_next("sendMessage", status=429, retry_after=7)
    emu.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    assert (await bot.get_me()).id == 123456  # method-specific failures wait for their method
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(1, "a")
    assert flood.value.retry_after == 7
    assert flood.value.message.endswith("Original description: Too Many Requests: retry after 7")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(1, "b")
    emu.fail_next(None, status=502, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.get_me()
    sent = await bot.send_message(1, "c")
    assert sent.message_id == 1  # failed sends create no message
    assert [c.status for c in emu.calls] == [200, 429, 403, 502, 502, 200]
    assert emu.calls[3].response == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    assert emu.rate_limited == 1
    assert [c.params["text"] for c in emu.sent_messages()] == ["c"]


@pytest.mark.asyncio
async def test_blocked_user_gets_403(emu: TelegramEmulator, bot: Bot) -> None:
    emu.block_user(77)
    with pytest.raises(TelegramForbiddenError) as caught:
        await bot.send_message(77, "hello")
    assert caught.value.message == "Forbidden: bot was blocked by the user"
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(77, "typing")
    assert (await bot.send_message(78, "hello")).chat.id == 78
    emu.unblock_user("77")
    assert (await bot.send_message(77, "back")).message_id == 1
    assert emu.calls[0].response == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }


@pytest.mark.asyncio
async def test_rate_limit_per_private_chat(limited: TelegramEmulator) -> None:
    bot = make_bot(limited)
    try:
        await bot.send_message(1, "first")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(1, "too soon")
        assert caught.value.retry_after == 1
        await bot.send_message(2, "another chat is fine")
    finally:
        await close_bot(bot)
    assert limited.rate_limited == 1
    assert limited.calls[1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert [c.params["text"] for c in limited.sent_messages()] == ["first", "another chat is fine"]


@pytest.mark.asyncio
async def test_rate_limit_global_thirty_per_second(limited: TelegramEmulator) -> None:
    bot = make_bot(limited)
    try:
        results = await asyncio.gather(
            *(bot.send_message(100 + n, "broadcast") for n in range(31)), return_exceptions=True
        )
    finally:
        await close_bot(bot)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], TelegramRetryAfter)
    assert errors[0].retry_after == 1
    assert len(limited.sent_messages()) == 30 and limited.rate_limited == 1


@pytest.mark.asyncio
async def test_rate_limit_twenty_per_minute_in_a_group(limited: TelegramEmulator) -> None:
    bot = make_bot(limited)
    try:
        for n in range(20):
            await bot.send_message(-100500, f"group {n}")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(-100500, "one too many")
    finally:
        await close_bot(bot)
    assert 59 <= caught.value.retry_after <= 60
    assert len(limited.sent_messages(-100500)) == 20


@pytest.mark.asyncio
async def test_webhook_delivery_secret_and_redelivery(emu: TelegramEmulator, bot: Bot) -> None:
    received: list[tuple[str | None, int]] = []
    answers = [500]

    async def hook(request: web.Request) -> web.StreamResponse:
        update = await request.json()
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), update["update_id"])
        )
        if answers:
            return web.Response(status=answers.pop(0))
        if "callback_query" in update:
            # Telegram runs a method returned in the webhook answer.
            return web.json_response({"method": "sendMessage", "chat_id": 5, "text": "via hook"})
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        await bot.set_webhook(url, secret_token="s3cret")
        first = emu.add_update(emu.make_text_update(5, "one"))
        second = emu.add_update(emu.make_callback_update(5, "two"))
        await asyncio.sleep(0.05)
        assert received == []  # nothing is pushed until the test asks for it

        failed = await emu.deliver_pending_webhooks()
        assert [(d.update_id, d.status) for d in failed] == [(first, 500)]
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 2
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )

        delivered = await emu.deliver_pending_webhooks()
        assert [(d.update_id, d.status) for d in delivered] == [(first, 200), (second, 200)]
        assert received == [("s3cret", first), ("s3cret", first), ("s3cret", second)]
        assert emu.pending_updates == []
        (reply,) = emu.sent_messages(5)
        assert reply.via_webhook and reply.params["text"] == "via hook"

        await bot.set_webhook(url)  # no secret: no header
        direct = await emu.deliver_webhook(emu.make_text_update(6, "direct"))
        assert direct.ok and received[-1] == (None, direct.update_id)
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_timeout_chaos_counts_message_as_delivered(emu: TelegramEmulator) -> None:
    impatient = make_bot(emu, timeout=0.2)
    try:
        emu.set_chaos(1.0, kinds=("timeout",), timeout_seconds=0.6)
        with pytest.raises(TelegramNetworkError):
            await impatient.send_message(42, "hello")
        await emu.wait_for(lambda: len(emu.delivered_after_timeout) == 1, timeout=3)
        assert emu.delivered_ok == []
        assert [c.params["text"] for c in emu.sent_messages(42)] == ["hello"]
        emu.set_chaos(0)
        await impatient.send_message(42, "again")
    finally:
        await close_bot(impatient)
    assert [c.params["text"] for c in emu.delivered_ok] == ["again"]
    assert [c.params["text"] for c in emu.delivered_after_timeout] == ["hello"]
    assert not emu.delivered_after_timeout[0].written


@pytest.mark.asyncio
async def test_seeded_chaos_rejects_without_delivering(emu: TelegramEmulator, bot: Bot) -> None:
    emu.set_chaos(0.5, kinds=("429", "5xx"), seed=3)
    outcomes = []
    for n in range(30):
        try:
            await bot.send_message(n + 1, "x")
            outcomes.append("ok")
        except TelegramRetryAfter as exc:
            outcomes.append(f"429/{exc.retry_after}")
        except TelegramServerError:
            outcomes.append("5xx")
    assert {"ok", "429/1", "5xx"} == set(outcomes)
    assert (await bot.get_me()).id == 123456  # chaos only hits send* by default
    assert len(emu.sent_messages()) == outcomes.count("ok") == len(emu.delivered_ok)
    assert emu.rate_limited == outcomes.count("429/1")


def test_builders_produce_valid_updates() -> None:
    emu = TelegramEmulator()
    text = emu.make_text_update(
        1001, "/start promo", first_name="Анна", last_name="K", username="anna"
    )
    photo = emu.make_photo_update(1001, caption="Окно")
    contact = emu.make_contact_update(1003, "+7 900 123-45-67", first_name="Пётр")
    press = emu.make_callback_update(1001, "lead:1:take")
    member = emu.make_my_chat_member_update(1001, "kicked")
    group = emu.make_text_update(1004, "hello all", chat_type="supergroup")
    updates = [Update.model_validate(u) for u in (text, photo, contact, press, member, group)]
    ids = [u.update_id for u in updates]
    assert ids == list(range(ids[0], ids[0] + 6))
    assert updates[0].message is not None and updates[1].message is not None
    assert (updates[0].message.message_id, updates[1].message.message_id) == (1, 2)
    assert updates[0].message.from_user is not None
    assert updates[0].message.from_user.language_code == "ru"
    assert updates[0].message.entities is not None
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[1].message.photo is not None and updates[1].message.caption == "Окно"
    shared = updates[2].message.contact if updates[2].message else None
    assert shared is not None and shared.user_id == 1003
    assert shared.phone_number == "+7 900 123-45-67"
    assert updates[3].callback_query is not None and updates[3].callback_query.data == "lead:1:take"
    pressed = updates[3].callback_query.message
    assert pressed is not None and pressed.message_id == 3  # a bot message in the same chat
    assert updates[4].my_chat_member is not None
    assert updates[4].my_chat_member.new_chat_member.status == "kicked"
    assert updates[5].message is not None and updates[5].message.chat.id < 0
    assert updates[5].message.chat.type == "supergroup"


@pytest.mark.asyncio
async def test_edit_delete_and_callback_flow(emu: TelegramEmulator, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Take", callback_data="take")]]
    )
    sent = await bot.send_message(9, "New lead", reply_markup=keyboard)
    press = emu.make_callback_update(9, "take")
    assert press["callback_query"]["message"]["message_id"] == sent.message_id
    assert await bot.answer_callback_query(press["callback_query"]["id"], text="Taken")
    edited = await bot.edit_message_text(
        "Lead <b>taken</b>", chat_id=9, message_id=sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, Message)
    assert (edited.text, edited.reply_markup) == ("Lead taken", None)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Lead <b>taken</b>", chat_id=9, message_id=sent.message_id, parse_mode="HTML"
        )
    marked = await bot.edit_message_reply_markup(
        chat_id=9, message_id=sent.message_id, reply_markup=keyboard
    )
    assert isinstance(marked, Message) and marked.reply_markup is not None
    assert marked.reply_markup.model_dump() == keyboard.model_dump()
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=9, message_id=999)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        too_long = InlineKeyboardButton(text="x", callback_data="d" * 65)
        await bot.send_message(
            9, "x", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[too_long]])
        )
    assert await bot.delete_message(9, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(9, sent.message_id)
    assert [c.method for c in emu.sent_messages()] == ["sendMessage"]


@pytest.mark.asyncio
async def test_uploads_media_group_files_and_commands(emu: TelegramEmulator, bot: Bot) -> None:
    photo = await bot.send_photo(
        11, BufferedInputFile(b"JPEGDATA", "p.jpg"), caption="<i>Фото</i>", parse_mode="HTML"
    )
    assert photo.caption == "Фото" and photo.photo is not None
    call = emu.sent_messages(11)[0]
    assert call.params["photo"].data == b"JPEGDATA" and call.params["photo"].filename == "p.jpg"
    file = await bot.get_file(photo.photo[0].file_id)
    downloaded = await bot.download(file)
    assert downloaded is not None and downloaded.read() == b"JPEGDATA"

    album = await bot.send_media_group(
        11,
        [
            InputMediaPhoto(media=BufferedInputFile(b"one", "1.jpg"), caption="first"),
            InputMediaPhoto(media=photo.photo[0].file_id),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert [m.message_id for m in album] == [2, 3]
    assert album[1].photo is not None and album[1].photo[0].file_id == photo.photo[0].file_id
    document = await bot.send_document(11, "https://files.test/offer.pdf")
    voice = await bot.send_voice(11, BufferedInputFile(b"ogg", "v.ogg"))
    assert document.document is not None and voice.voice is not None
    contact = await bot.send_contact(11, "+79001234567", "Manager")
    location = await bot.send_location(11, 55.75, 37.61)
    assert contact.contact is not None and contact.contact.phone_number == "+79001234567"
    assert location.location is not None and location.location.latitude == 55.75
    assert await bot.send_chat_action(11, "typing")
    assert len(emu.sent_messages(11)) == 6  # chat actions are not messages

    commands = [BotCommand(command="start", description="Start")]
    assert await bot.set_my_commands(commands)
    assert [c.model_dump() for c in await bot.get_my_commands()] == [
        c.model_dump() for c in commands
    ]
    assert await bot.get_my_commands(language_code="en") == []
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    emu.add_update(emu.make_text_update(11, "hi", first_name="Ира"))
    chat = await bot.get_chat(11)
    assert (chat.id, chat.type, chat.first_name) == (11, "private", "Ира")


@pytest.mark.asyncio
async def test_dispatcher_polling_end_to_end(emu: TelegramEmulator) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(f"got: {message.text}")

    polling = asyncio.create_task(
        dispatcher.start_polling(make_bot(emu), polling_timeout=1, handle_signals=False)
    )
    try:
        update_id = emu.add_update(emu.make_text_update(501, "1 < 2"))
        (reply,) = await emu.wait_for_sent(1, chat_id=501)
        assert reply.params["text"] == "got: 1 < 2"
        # The next getUpdates carries offset = update_id + 1, confirming the update.
        await emu.wait_for(lambda: emu.pending_updates == [])
        offsets = [c.params.get("offset") for c in emu.calls_to("getUpdates")]
        assert str(update_id + 1) in offsets
    finally:
        await dispatcher.stop_polling()
        await polling


@pytest.mark.asyncio
async def test_wait_helpers_fail_with_a_useful_message(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.send_message(1, "only one")
    assert len(await emu.wait_for_sent(1, chat_id=1, timeout=0.1)) == 1
    with pytest.raises(AssertionError, match=r"expected at least 2 sent messages to chat 1"):
        await emu.wait_for_sent(2, chat_id=1, timeout=0.05)
    with pytest.raises(AssertionError, match=r"sendMessage chat=1 -> 200"):
        await emu.wait_for(lambda: False, timeout=0.05)
