"""Site forms over real HTTP: POST /intake/form in the running service; replies to a form
lead go by e-mail to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.forms.normalise import (
    BadForm,
    Skip,
    fields_from_json,
    fields_from_pairs,
    inbound_from_form,
)
from channels.forms.ratelimit import RateLimiter
from config.business import Config
from domain.inbound import InboundMessage, Sender
from storage.models import ChannelIdentity, Contact, Lead, Message, OutboxMessage
from tests.support.channels import HEAD
from tests.support.env import CORPUS
from tests.support.forms import TOKEN, URL, all_rows, count, form_settings
from tests.support.mail import SmtpServer
from tests.support.service import running_service, wait_until
from usecases.capture import capture
from usecases.work import Verdict, reply

# ----------------------------------------------------------------------------- end to end


async def test_json_and_tilda_forms_become_leads_and_a_reply_goes_by_email(
    database_url: str, forms_team_config: Config, smtp: SmtpServer
) -> None:
    settings = form_settings(database_url, smtp)
    async with running_service(settings, forms_team_config) as service:
        base = f"http://127.0.0.1:{service.port}"
        async with aiohttp.ClientSession() as http:
            body = {
                "name": "Анна Петрова",
                "phone": "8 (900) 123-45-67",
                "email": "Anna@Example.COM",
                "comment": "Нужна цена на окна",
                "formname": "Заявка с главной",
                "utm_source": "yandex",
                "utm_campaign": "autumn",
                "area": "12 м²",
            }
            async with http.post(
                f"{base}{URL}", json=body, headers={"X-Leadkeeper-Token": TOKEN}
            ) as response:
                assert response.status == 200, await response.text()
                assert (await response.json())["ok"] is True
            tilda = (
                "Name=Jake+Smith&Email=jake%40example.com&Phone=%2B7+900+765-43-21&formname=Call"
            )
            async with http.post(
                f"{base}{URL}?token={TOKEN}",
                data=tilda,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ) as response:
                assert response.status == 200

        contacts = await all_rows(service, Contact)
        assert [(c.display_name, c.phone, c.email) for c in contacts] == [
            ("Анна Петрова", "+79001234567", "anna@example.com"),
            ("Jake Smith", "+79007654321", "jake@example.com"),
        ]
        leads = await all_rows(service, Lead)
        assert [lead.channel for lead in leads] == ["form", "form"]
        assert leads[0].source == "yandex"
        assert leads[0].extra["utm"] == {"utm_source": "yandex", "utm_campaign": "autumn"}
        assert leads[0].extra["form_name"] == "Заявка с главной"
        assert leads[0].extra["fields"] == {"area": "12 м²"}
        assert leads[1].source == "Call"
        messages = await all_rows(service, Message)
        assert messages[0].text == "Нужна цена на окна\n\narea: 12 м²"

        # Both customers left an e-mail: the acknowledgement goes there.
        await smtp.wait_for(2)
        assert sorted(m["To"] for m in smtp.messages) == ["anna@example.com", "jake@example.com"]

        text = "Анна, окно 120×150 стоит 15 000 ₽."
        assert await reply(service.ctx, leads[0].id, HEAD, text) == Verdict.DONE
        mails = await smtp.wait_for(3)
        answer = mails[-1]
        assert answer["To"] == "anna@example.com"
        assert "Acme Sales" in answer["From"]
        assert answer["Message-ID"].startswith("<leadkeeper.")
        assert "15 000 ₽" in answer.get_content()

        async def delivered() -> bool:
            rows = [row for row in await all_rows(service, OutboxMessage) if row.channel == "form"]
            return all(row.status == "sent" for row in rows) and len(rows) == 3

        await wait_until(delivered)
        rows = [row for row in await all_rows(service, OutboxMessage) if row.purpose == "reply"]
        assert rows[0].external_id == answer["Message-ID"].strip("<>")


async def test_test_ping_honeypot_and_duplicates_make_no_lead(
    database_url: str, forms_team_config: Config
) -> None:
    async with running_service(form_settings(database_url), forms_team_config) as service:
        base = f"http://127.0.0.1:{service.port}{URL}?token={TOKEN}"
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        async with aiohttp.ClientSession() as http:
            async with http.post(base, data="test=test", headers=form) as response:
                assert response.status == 200
                assert (await response.json()) == {"ok": True, "test": True}
            bot = "name=Bot&phone=%2B79001112233&website=http%3A%2F%2Fspam.example"
            async with http.post(base, data=bot, headers=form) as response:
                assert response.status == 200
            same = "name=Ivan&phone=%2B79005554433&comment=call+me"
            for _ in range(2):  # Tilda retries a slow answer with the same body
                async with http.post(base, data=same, headers=form) as response:
                    assert response.status == 200
            redirect = same + "&_redirect=https%3A%2F%2Fshop.example%2Fthanks"
            async with http.post(
                base, data=redirect, headers=form, allow_redirects=False
            ) as response:
                assert response.status == 303
                assert response.headers["Location"] == "https://shop.example/thanks"
        assert await count(service, Lead) == 1
        # The redirect form is another body, so another message, but the same contact.
        assert await count(service, Message) == 2
        assert await count(service, Contact) == 1


async def test_tokens_sizes_malformed_bodies_cors_and_rate_limit(
    database_url: str, forms_team_config: Config
) -> None:
    settings = form_settings(
        database_url, forms_rate_limit=12, forms_allowed_origins="https://shop.example"
    )
    async with running_service(settings, forms_team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        good = {"X-Leadkeeper-Token": TOKEN}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"name": "A", "phone": "+79001234567"}) as response:
                assert response.status == 401
            async with http.post(
                url, json={"name": "A"}, headers={"X-Leadkeeper-Token": "wrong"}
            ) as response:
                assert response.status == 403
            async with http.post(
                url, json={"name": "A"}, headers={"Authorization": "Bearer wrong"}
            ) as response:
                assert response.status == 403
            for body, reason in (
                (b"{not json", "JSON"),
                (b"[1, 2]", "JSON object"),
                (b"", "empty"),
                (b"just words", "form-encoded"),
            ):
                headers = {
                    **good,
                    "Content-Type": "application/json" if body[:1] in b"{[" else "text/plain",
                }
                async with http.post(url, data=body, headers=headers) as response:
                    assert response.status == 400, body
                    assert reason in (await response.json())["error"]
            async with http.post(url, data=b"x=" + b"a" * 70_000, headers=good) as response:
                assert response.status == 413
            async with http.post(url, data=b"x" * (2 * 1024 * 1024), headers=good) as response:
                assert response.status == 413

            preflight = {
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
            }
            async with http.options(url, headers=preflight) as response:
                assert response.status == 204
                assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
                assert "X-Leadkeeper-Token" in response.headers["Access-Control-Allow-Headers"]
            async with http.post(
                url,
                json={"name": "B", "email": "b@example.com"},
                headers={**good, "Origin": "https://shop.example"},
            ) as response:
                assert response.status == 200
                assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example"
            async with http.post(
                url, json={"name": "C"}, headers={**good, "Origin": "https://evil.example"}
            ) as response:
                assert response.status == 403
                assert "Access-Control-Allow-Origin" not in response.headers
            statuses = []
            for _ in range(3):
                async with http.post(url, json={"email": "d@example.com"}, headers=good) as r:
                    statuses.append(r.status)
                    retry_after = r.headers.get("Retry-After")
            assert statuses[-1] == 429 and retry_after is not None and int(retry_after) >= 1
        assert await count(service, Lead) == 2


async def test_one_contact_one_open_lead_across_telegram_and_a_form(
    database_url: str, forms_team_config: Config
) -> None:
    async with running_service(form_settings(database_url), forms_team_config) as service:
        # The customer shares his phone in Telegram (the contact button) ...
        telegram = InboundMessage(
            channel="telegram",
            sender=Sender(
                external_id="777", chat_id="777", display_name="Пётр", phone="+79001234567"
            ),
            external_message_id="777:1",
            text="Здравствуйте, хочу окна",
        )
        first = await capture(service.ctx, telegram)
        # ... then fills in the site form with the same number written his own way.
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{service.port}{URL}?token={TOKEN}",
                data={"Name": "Петр Иванов", "Phone": "8 900 123 45 67", "Comments": "Перезвоните"},
            ) as response:
                assert response.status == 200
        assert await count(service, Contact) == 1
        assert await count(service, Lead) == 1
        identities = await all_rows(service, ChannelIdentity)
        assert {(i.channel, i.contact_id) for i in identities} == {
            ("telegram", first.contact_id),
            ("form", first.contact_id),
        }
        messages = await all_rows(service, Message)
        assert [(m.channel, m.lead_id) for m in messages] == [
            ("telegram", first.lead_id),
            ("form", first.lead_id),
        ]


# --------------------------------------------------------------------------------- corpus


def _corpus_forms() -> list[Path]:
    return sorted(CORPUS.glob("form_*")) if CORPUS.is_dir() else []


async def test_every_form_in_the_corpus_is_accepted(
    database_url: str, forms_team_config: Config
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    files = _corpus_forms()
    assert files, "no form_* files in the corpus"
    async with running_service(form_settings(database_url), forms_team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}?token={TOKEN}"
        async with aiohttp.ClientSession() as http:
            for path in files:
                body = path.read_bytes()
                content_type = (
                    "application/json"
                    if path.suffix == ".json"
                    else "application/x-www-form-urlencoded"
                )
                async with http.post(url, data=body, headers={"Content-Type": content_type}) as r:
                    assert r.status == 200, (path.name, await r.text())
        leads = await all_rows(service, Lead)
        contacts = await all_rows(service, Contact)
    # Tilda's lead, its free-text form and Mobizon's submission; the ping, Mobizon's
    # confirmation and unsubscribe events are clean skips.
    assert len(leads) == 3
    assert {c.email for c in contacts} >= {"jake.smith@example.com", "test@mobizon.com"}
    mobizon = next(c for c in contacts if c.email == "test@mobizon.com")
    assert mobizon.phone == "+380737893456" and mobizon.display_name == "Ivan"


# -------------------------------------------------------------------------- normalisation


NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_field_names_map_case_insensitively_and_the_rest_is_kept() -> None:
    fields = fields_from_pairs(
        [
            ("Your-Name", "Мария"),
            ("Телефон", "+7 (912) 000-11-22"),
            ("E-mail", "MARIA@EXAMPLE.RU"),
            ("Message", "Доставка в Казань?"),
            ("tranid", "7788:99"),
            ("COOKIES", "_ga=GA1.2"),
            ("token", "secret"),
            ("checkbox", "yes"),
            ("checkbox", "no"),
        ]
    )
    inbound = inbound_from_form(fields, region="RU", honeypot="website", now=NOW)
    assert inbound.sender.display_name == "Мария"
    assert inbound.sender.phone == "+79120001122"
    assert inbound.sender.email == "maria@example.ru"
    assert inbound.sender.chat_id == "maria@example.ru"
    assert inbound.external_message_id == "tilda:7788:99"
    assert inbound.text == "Доставка в Казань?\n\ncheckbox: yes, no"
    assert inbound.extra["form_meta"] == {"tranid": "7788:99"}
    assert "COOKIES" not in json.dumps(inbound.extra) and "secret" not in json.dumps(inbound.extra)
    assert inbound.sender.language == "ru"


def test_a_form_without_contact_details_is_an_anonymous_lead() -> None:
    fields = fields_from_pairs([("why", "Contrary to popular belief")])
    inbound = inbound_from_form(fields, region="RU", honeypot=None, now=NOW)
    assert inbound.sender.external_id.startswith("anon:form:")
    assert inbound.sender.chat_id == ""
    assert inbound.text == "why: Contrary to popular belief"


def test_bad_and_skipped_forms() -> None:
    with pytest.raises(BadForm):
        fields_from_json([1, 2])
    with pytest.raises(BadForm):
        inbound_from_form({}, region="RU", honeypot=None, now=NOW)
    with pytest.raises(BadForm):
        inbound_from_form({"name": ""}, region="RU", honeypot=None, now=NOW)
    with pytest.raises(BadForm):
        fields_from_pairs([(f"f{i}", "x") for i in range(500)])
    with pytest.raises(Skip):
        inbound_from_form({"name": "x", "website": "y"}, region="RU", honeypot="website", now=NOW)
    with pytest.raises(Skip):
        fields_from_json({"eventType": "form-contact-unsubscribe", "data": {}})


def test_rate_limiter_window_and_memory_bound() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60.0, max_keys=3, clock=lambda: now[0])
    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    assert limiter.hit("a") == pytest.approx(60.0)
    now[0] = 61.0
    assert limiter.hit("a") == 0
    for key in "bcde":
        limiter.hit(key)
    assert len(limiter._hits) == 3


# ----------------------------------------------------------------------------------- fuzz


_CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "text/plain",
        "application/octet-stream",
        "",
    ]
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=20,
)
_HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=3000),
        _JSON.map(lambda value: json.dumps(value).encode()),
        st.dictionaries(
            st.sampled_from(["name", "Phone", "email", "comment", "test", "website", "x"]),
            st.text(max_size=30),
            max_size=5,
        ).map(
            lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode("utf-8", "surrogatepass")
        ),
    ),
    content_type=_CONTENT_TYPES,
    token=st.sampled_from([TOKEN, "", "wrong"]) | _HEADER_TEXT,
    extra=st.dictionaries(
        st.sampled_from(["Origin", "Authorization", "X-Forwarded-For", "X-Leadkeeper-Token"]),
        _HEADER_TEXT,
        max_size=3,
    ),
    method=st.sampled_from(["POST", "POST", "POST", "OPTIONS", "GET", "PUT"]),
)
async def test_random_bodies_and_headers_never_break_the_form_endpoint(
    form_service: str,
    body: bytes,
    content_type: str,
    token: str,
    extra: dict[str, str],
    method: str,
) -> None:
    headers = {**extra}
    if content_type:
        headers["Content-Type"] = content_type
    async with aiohttp.ClientSession() as http:
        async with http.request(
            method, f"{form_service}{URL}", params={"token": token}, data=body, headers=headers
        ) as response:
            assert response.status in {200, 204, 303, 400, 401, 403, 405, 413, 429}, (
                response.status,
                await response.text(),
            )
        async with http.get(f"{form_service}/healthz") as response:
            assert response.status == 200


async def test_many_submissions_at_once(database_url: str, forms_team_config: Config) -> None:
    async with running_service(form_settings(database_url), forms_team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}?token={TOKEN}"
        async with aiohttp.ClientSession() as http:

            async def submit(number: int) -> int:
                body = {"name": f"N{number}", "email": f"n{number}@example.com", "comment": "hi"}
                async with http.post(url, json=body) as response:
                    return response.status

            statuses = await asyncio.gather(*(submit(n) for n in range(20)))
        assert statuses == [200] * 20
        assert await count(service, Lead) == 20
