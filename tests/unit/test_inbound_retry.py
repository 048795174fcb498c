"""Which failed inbound payloads are kept failed at once, and that the CLI's inbox
commands do without aiogram (importing it builds every Bot API model: seconds of CPU)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramNotFound

from usecases.inbound_retry import after_failure, is_permanent

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "error",
    [
        TelegramBadRequest(method=None, message="Bad Request: chat not found"),  # type: ignore[arg-type]
        TelegramForbiddenError(method=None, message="Forbidden: bot was blocked"),  # type: ignore[arg-type]
        TelegramNotFound(method=None, message="Not Found"),  # type: ignore[arg-type]
        ValueError("cannot read"),
    ],
)
def test_refusals_and_unreadable_payloads_fail_at_once(error: BaseException) -> None:
    assert is_permanent(error)
    assert after_failure(error, 1, datetime(2026, 1, 5, tzinfo=UTC)).status == "failed"


def test_other_errors_are_retried() -> None:
    assert not is_permanent(RuntimeError("database said no"))
    assert after_failure(RuntimeError(), 1, datetime(2026, 1, 5, tzinfo=UTC)).status == "pending"


def test_the_inbox_commands_load_no_aiogram() -> None:
    probe = (
        "import sys, app.cli, usecases.inbox;"
        "print(sorted(m for m in sys.modules if m.startswith('aiogram')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr
