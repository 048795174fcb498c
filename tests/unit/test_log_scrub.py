"""config.logs: secrets never reach a log line; phones and e-mails are masked."""

from __future__ import annotations

import io
import logging
import string
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.logs import ScrubFilter, scrub

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"  # 35 characters after the colon


def test_token_fixture_has_the_real_shape() -> None:
    assert len(TOKEN.split(":")[1]) == 35


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TOKEN, "***"),
        (f"token={TOKEN}", "token=***"),
        (f"bot token {TOKEN} loaded", "bot token *** loaded"),
        (f"'{TOKEN}'", "'***'"),
        (f"a {TOKEN}, b {TOKEN}", "a ***, b ***"),
    ],
)
def test_bot_token_is_removed(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_bot_token_in_an_api_url_is_removed() -> None:
    line = f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed"
    scrubbed = scrub(line)
    assert TOKEN.split(":")[1] not in scrubbed
    assert scrubbed == "POST https://api.telegram.org/bot***/sendMessage failed"


def test_given_secrets_are_removed() -> None:
    line = "connecting to postgresql://lk:s3cr3t-pa55@db/lk with key whsec_ABC"
    assert scrub(line, ["s3cr3t-pa55", "whsec_ABC"]) == (
        "connecting to postgresql://lk:***@db/lk with key ***"
    )


def test_empty_secret_is_ignored() -> None:
    assert scrub("nothing to hide", ["", ""]) == "nothing to hide"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("phone +79001234567", "phone +7900***67"),
        ("call +7 (900) 123-45-67 now", "call +7900***67 now"),
        ("call 8 900 123-45-67", "call +8900***67"),
        ("intl +44 20 7946 0958.", "intl +4420***58."),
        ("phone=89001234567", "phone=+8900***67"),
    ],
)
def test_phones_are_masked(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from ivan.petrov@example.com", "from i***@example.com"),
        ("<Anna_K@mail.ru>", "<A***@mail.ru>"),
        ("x@y.io and zz@corp.example.org", "x***@y.io and z***@corp.example.org"),
    ],
)
def test_emails_are_masked(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 12345 created",
        "lead 42 moved to qualified",
        "update_id 734997090",
        "receipt 996202131:51",
        "on 2024-05-17",
        "at 17.05.2024 12:30",
        "at 2024-05-17T12:30:45+03:00",
        "took 1234 ms",
        "price 1 000 000 rub",
        "version 3.11.4",
        "path /api/leads/1234567890",
        "uuid 3f2b9c1e-8d4a-4f6b-9c2e-1a2b3c4d5e6f",
        "",
    ],
)
def test_ordinary_numbers_and_dates_are_not_mangled(text: str) -> None:
    assert scrub(text) == text


def test_date_with_time_is_not_mangled() -> None:
    assert scrub("sent at 2024-05-17 12:30:45") == "sent at 2024-05-17 12:30:45"


# Secrets shaped like real ones (passwords, API keys); a secret containing "*" could of
# course "reappear" next to the "***" that replaces it, which is no leak.
SECRET = st.text(alphabet=string.ascii_letters + string.digits + "-_.:/", min_size=8, max_size=48)


@given(secret=SECRET, before=st.text(max_size=40), middle=st.text(max_size=40))
def test_scrub_never_leaves_a_given_secret(secret: str, before: str, middle: str) -> None:
    line = before + secret + middle + secret
    scrubbed = scrub(line, [secret])
    assert secret not in scrubbed
    assert scrubbed.count("***") >= 2


@given(secret=SECRET, other=SECRET, text=st.text(max_size=40))
def test_scrub_removes_every_one_of_several_secrets(secret: str, other: str, text: str) -> None:
    scrubbed = scrub(f"{secret} {text} {other}", ["", secret, other])
    assert secret not in scrubbed
    assert other not in scrubbed


# --- ScrubFilter on a real logger ----------------------------------------------------------


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter(["s3cr3t-pa55", ""]))
    logger = logging.getLogger("leadkeeper.tests.unit.scrub")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.handlers.clear()


def test_filter_scrubs_a_plain_message(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info(f"using token {TOKEN} and password s3cr3t-pa55")
    assert stream.getvalue() == (
        "INFO leadkeeper.tests.unit.scrub: using token *** and password ***\n"
    )


def test_filter_scrubs_after_args_formatting(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.warning(
        "lead %d from %s (%s), order %s, pw=%s",
        12345,
        "+7 (900) 123-45-67",
        "ivan@example.com",
        "A-100",
        "s3cr3t-pa55",
    )
    assert stream.getvalue() == (
        "WARNING leadkeeper.tests.unit.scrub: "
        "lead 12345 from +7900***67 (i***@example.com), order A-100, pw=***\n"
    )


def test_filter_handles_mapping_args_and_percent(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("%(who)s is 100%% done", {"who": "anna@example.org"})
    assert stream.getvalue().endswith(": a***@example.org is 100% done\n")


def test_filter_scrubs_exception_text(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise RuntimeError(f"cannot log in with {TOKEN}, user +79001234567, pw s3cr3t-pa55")
    except RuntimeError:
        logger.exception("delivery %s failed", 12345)
    output = stream.getvalue()
    assert output.startswith("ERROR leadkeeper.tests.unit.scrub: delivery 12345 failed\n")
    assert "Traceback (most recent call last)" in output
    assert "RuntimeError: cannot log in with ***, user +7900***67, pw ***" in output
    assert TOKEN not in output
    assert "s3cr3t-pa55" not in output
    assert "79001234567" not in output


def test_filter_leaves_the_record_consistent(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, _ = captured
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    keep.addFilter(ScrubFilter([]))
    logger.addHandler(keep)
    logger.info("mail %s", "bob@example.com")
    assert records[0].args is None
    assert records[0].msg == "mail b***@example.com"
    assert records[0].getMessage() == "mail b***@example.com"


def test_filter_on_the_logger_itself() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("leadkeeper.tests.unit.scrub.logger_level")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    scrubber = ScrubFilter(["hunter2"])
    logger.addFilter(scrubber)
    try:
        logger.info("pw %s phone %s", "hunter2", "89001234567")
    finally:
        logger.removeFilter(scrubber)
        logger.handlers.clear()
    assert stream.getvalue() == "pw *** phone +8900***67\n"
