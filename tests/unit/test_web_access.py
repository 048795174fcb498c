"""Who sees what on the dashboard (domain.web_access), the login links' and sessions'
rules (domain.web_tokens), their settings, and the dashboard's words in both languages."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from config.settings import Settings
from domain.lead_access import Access, work_access
from domain.web_access import ADMINISTRATOR, Power, Viewer, lead_scope, may, may_see_lead
from domain.web_tokens import (
    LinkState,
    WebLogins,
    digest,
    link_state,
    looks_like_token,
    new_token,
    session_alive,
)
from texts import DASHBOARD_TEXTS

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
SERGEY = Viewer(manager_id=1, telegram_id=101, name="Сергей", role="manager")
HEAD = Viewer(manager_id=3, telegram_id=900, name="Ольга", role="head")


@dataclass
class Lead:
    is_open: bool = True
    manager_id: int | None = None
    offered_manager_id: int | None = None


@dataclass
class Row:
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@pytest.mark.parametrize(
    ("lead", "manager_sees"),
    [
        (Lead(manager_id=1), True),  # his
        (Lead(offered_manager_id=1), True),  # offered to him
        (Lead(), True),  # the queue
        (Lead(manager_id=2), False),  # another manager's
        (Lead(offered_manager_id=2), False),  # on offer to another
        (Lead(is_open=False), False),  # closed and nobody's: not the queue
        (Lead(is_open=False, manager_id=1), True),  # his closed lead
    ],
)
def test_a_manager_sees_his_own_and_the_queue_a_head_everything(
    lead: Lead, manager_sees: bool
) -> None:
    assert may_see_lead(SERGEY, lead) is manager_sees
    assert may_see_lead(HEAD, lead) and may_see_lead(ADMINISTRATOR, lead)
    inactive = Viewer(manager_id=3, telegram_id=900, name="", role="head", active=False)
    assert not may_see_lead(inactive, lead)


def test_head_powers_and_list_scope() -> None:
    for power in Power:
        assert may(HEAD, power) and may(ADMINISTRATOR, power) and not may(SERGEY, power)
    assert lead_scope(SERGEY) == 1 and lead_scope(HEAD) is None
    assert lead_scope(ADMINISTRATOR) is None


def test_the_administrator_works_any_open_lead_as_a_head() -> None:
    assert work_access(ADMINISTRATOR, Lead(manager_id=2)) is Access.DONE
    assert work_access(ADMINISTRATOR, Lead(is_open=False)) is Access.STALE
    assert work_access(SERGEY, Lead(manager_id=2)) is Access.NOT_YOURS
    assert work_access(SERGEY, Lead()) is Access.NOT_YOURS  # the queue: seen, not worked


def test_links_work_once_within_their_lifetime() -> None:
    assert link_state(None, NOW) is LinkState.UNKNOWN
    assert link_state(Row(NOW + timedelta(seconds=1)), NOW) is LinkState.VALID
    assert link_state(Row(NOW), NOW) is LinkState.EXPIRED
    assert link_state(Row(NOW + timedelta(minutes=5), used_at=NOW), NOW) is LinkState.USED
    assert session_alive(Row(NOW + timedelta(hours=1)), NOW)
    assert not session_alive(Row(NOW + timedelta(hours=1), revoked_at=NOW), NOW)
    assert not session_alive(Row(NOW), NOW) and not session_alive(None, NOW)


def test_tokens_are_random_and_kept_as_digests() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(looks_like_token(token) for token in tokens)
    token = next(iter(tokens))
    assert digest(token) == digest(token) and token not in digest(token)
    assert len(digest(token)) == 64
    for odd in ("", "short", "a" * 65, "x" * 30 + "/../", "токен" * 6):
        assert not looks_like_token(odd)
    assert WebLogins("https://crm.example.ru").link("abc") == (
        "https://crm.example.ru/dashboard/login/abc"
    )


def test_dashboard_settings() -> None:
    settings = Settings(
        _env_file=None,
        dashboard_url="https://crm.example.ru/dashboard/",
        dashboard_link_lifetime="5m",
        dashboard_session_lifetime="3600",
    )
    assert settings.dashboard_url == "https://crm.example.ru"
    assert settings.dashboard_link_lifetime == timedelta(minutes=5)
    assert settings.dashboard_session_lifetime == timedelta(hours=1)
    defaults = Settings(_env_file=None, dashboard_url=" ")
    assert defaults.dashboard_url is None
    assert defaults.dashboard_link_lifetime == timedelta(minutes=10)
    assert defaults.dashboard_session_lifetime == timedelta(hours=12)
    for bad in (
        {"dashboard_url": "crm.example.ru"},
        {"dashboard_url": "https://"},
        {"dashboard_link_lifetime": "0"},
        {"dashboard_session_lifetime": "soon"},
    ):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, **bad)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_dashboard_words_in_both_languages() -> None:
    assert DASHBOARD_TEXTS["ru"].keys() == DASHBOARD_TEXTS["en"].keys()
    for key, russian in DASHBOARD_TEXTS["ru"].items():
        assert _fields(russian) == _fields(DASHBOARD_TEXTS["en"][key]), key
    # The Russian has no English words: test_lead_story checks every dashboard word.


def test_web_is_a_staff_command_with_a_menu_line() -> None:
    from handlers.telegram import staff
    from handlers.telegram.commands import commands_of
    from texts import DEFAULTS

    assert "web" in commands_of(staff.router)
    assert DEFAULTS["ru"]["menu_web"] and DEFAULTS["en"]["menu_web"]
