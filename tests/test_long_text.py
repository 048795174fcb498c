"""A signed WhatsApp message with one 160 KB unbroken word is captured quickly: no
quadratic regex on the way (normalisation, complaint words, amounts, log scrubbing)."""

from __future__ import annotations

import logging
import time

import aiohttp
import pytest

from config.logs import MAX_FIELD, ScrubFilter, scrub
from storage.models import Lead
from tests.emulator.whatsapp import WhatsAppEmulator
from tests.support.service import running_service
from tests.support.whatsapp import CUSTOMER, URL, count, post, wa_settings


@pytest.mark.parametrize("word", ["a", "а", "1", "1 ", "x@"])
async def test_a_160_kb_word_is_captured_in_well_under_a_second_or_two(
    sqlite_url: str,
    wa: WhatsAppEmulator,
    team_config,
    word: str,
) -> None:
    from storage.migrate import upgrade

    await upgrade(sqlite_url)
    async with running_service(wa_settings(sqlite_url, wa), team_config) as service:
        url = f"http://127.0.0.1:{service.port}{URL}"
        hook = wa.text_webhook(CUSTOMER, word * (160_000 // len(word)), name="Мария")
        async with aiohttp.ClientSession() as http:
            started = time.perf_counter()
            assert await post(http, url, hook) == 200
            elapsed = time.perf_counter() - started
        assert await count(service, Lead) == 1
    assert elapsed < 2.0, f"{elapsed:.1f}s"


@pytest.mark.parametrize("word", ["a", "1", "a.", "1-", "а"])
def test_scrubbing_a_160_kb_word_is_linear(word: str) -> None:
    text = word * (160_000 // len(word))
    started = time.perf_counter()
    scrub(text)
    assert time.perf_counter() - started < 0.5


def test_a_long_value_is_cut_in_the_log_line() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "got %s", ("a" * 100_000,), None)
    ScrubFilter([]).filter(record)
    assert len(record.getMessage()) < MAX_FIELD + 100
    assert "[100000 chars]" in record.getMessage()
