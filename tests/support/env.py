"""The test environment: optional PostgreSQL and Redis (set by environment variables) and
the shared payload corpus. Migrated databases to test against are in templates.py."""

from __future__ import annotations

import os
from pathlib import Path

PG_URL = os.environ.get("LEADKEEPER_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("LEADKEEPER_TEST_REDIS_URL")
# Real payloads, next to the repository (/work/shared/corpus): tested against, not copied in.
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
PG_SKIP = "PostgreSQL tests need LEADKEEPER_TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"
REDIS_SKIP = "Redis tests need LEADKEEPER_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)"
# Condition waits in the test helpers allow this many times their nominal timeout: a
# wait that is met returns at once, so patience costs a passing test nothing, while a
# machine busy with other work (CI runs beside other jobs) gets the time it needs. The
# waits that measure a promised bound (tests/support/scale.py) are not stretched.
PATIENCE = float(os.environ.get("LEADKEEPER_TEST_PATIENCE", "3"))


def patient(timeout: float) -> float:
    """A condition wait's real limit: the nominal timeout times PATIENCE."""
    return timeout * PATIENCE
