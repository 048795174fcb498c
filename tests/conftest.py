"""Every fixture more than one test module uses: a real database (a SQLite file, and
PostgreSQL when LEADKEEPER_TEST_DATABASE_URL is set), a movable clock, the app context,
the assignment team, the channel teams, an SMTP server, the WhatsApp emulator, the form
intake service and a fresh PostgreSQL database for the scale tests. Constants and helpers
are in tests/support/; nothing imports this module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from config import calendar as config_calendar
from config.business import Config, parse_config
from domain.clock import ManualClock
from storage.db import create_engine, create_session_factory
from storage.uow import Database
from tests.emulator.whatsapp import WhatsAppEmulator
from tests.support.channels import channel_team_config
from tests.support.env import CORPUS, PG_SKIP, PG_URL
from tests.support.forms import form_settings
from tests.support.mail import SmtpServer
from tests.support.scale import fresh_database
from tests.support.service import running_service
from tests.support.team import MONDAY_10, TEAM_CONFIG
from tests.support.templates import (
    close_postgres_databases,
    migrated_sqlite,
    postgres_databases,
)
from tests.support.whatsapp import TOKEN as WHATSAPP_TOKEN
from texts import Texts
from usecases.context import AppContext
from usecases.team import reconcile_team

_pg = postgres_databases(PG_URL) if PG_URL else None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Each process (every xdist worker) drops the PostgreSQL databases it still has."""
    close_postgres_databases()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database: a SQLite file, or a fresh PostgreSQL database (each a
    copy of a template migrated once per test process)."""
    if request.param == "sqlite":
        yield await migrated_sqlite(tmp_path / "leadkeeper.db")
        return
    if _pg is None:
        pytest.skip(PG_SKIP)
    url = await _pg.create()
    try:
        yield url
    finally:
        await _pg.drop(url)


@pytest.fixture(autouse=True)
def no_public_holidays(monkeypatch: pytest.MonkeyPatch) -> None:
    """A config that names no `calendar.country` gets none here (the product's default is
    Russia's): no test depends on the date the suite runs, nor on the moved clock's
    2026-01-05 being a New Year holiday. The calendar's own tests name their country."""
    monkeypatch.setattr(config_calendar, "DEFAULT_COUNTRY", "none")


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    """A migrated, empty SQLite file: the service's start-up upgrade finds nothing to do.
    The service starting on an empty file is test_scale_logs.py's and test_cli.py's."""
    return await migrated_sqlite(tmp_path / "leadkeeper.db")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config() -> Config:
    return parse_config(
        {
            "company": {
                "name": "Acme",
                "timezone": "UTC",
                "working_hours": {"mon-sun": "00:00-00:00"},
            },
            "sla": {"first_response": "30m"},
        }
    )


@pytest.fixture
async def ctx(database_url: str, clock: ManualClock, config: Config) -> AsyncIterator[AppContext]:
    engine = create_engine(database_url)
    context = AppContext(
        db=Database(create_session_factory(engine)), clock=clock, config=config, texts=Texts()
    )
    yield context
    await engine.dispose()


@pytest.fixture
def corpus() -> Iterator[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    yield CORPUS


# ----------------------------------------------------------------- assignment and timers


@pytest.fixture
async def team(ctx: AppContext, clock: ManualClock) -> AppContext:
    ctx.config = parse_config(TEAM_CONFIG)
    clock.set(MONDAY_10)
    await reconcile_team(ctx)
    return ctx


# ------------------------------------------------------------------------------ channels


@pytest.fixture
def team_config() -> Config:
    return channel_team_config()


@pytest.fixture
def forms_team_config() -> Config:
    return channel_team_config(default_region="RU")


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    async with SmtpServer() as server:
        yield server


@pytest.fixture
async def wa() -> AsyncIterator[WhatsAppEmulator]:
    async with WhatsAppEmulator(WHATSAPP_TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def form_service(database_url: str, forms_team_config: Config) -> AsyncIterator[str]:
    async with running_service(form_settings(database_url), forms_team_config) as service:
        yield f"http://127.0.0.1:{service.port}"


# ------------------------------------------------------------------------------- scale-out


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database of its own (skips without PostgreSQL)."""
    async with fresh_database() as url:
        yield url
