"""The command line as an administrator meets it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def leadkeeper(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_invalid_config_refuses_to_start_with_one_readable_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "team:\n  managers:\n"
        "    - {telegram_id: 1, name: A}\n    - {telegram_id: 2, name: B}\n"
        "    - {telegram_id: 3, name: C, level: boss}\n"
        "sla:\n  first_response: soon\n"
    )
    result = leadkeeper(
        "run",
        env={"LEADKEEPER_CONFIG": str(bad), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"},
    )
    assert result.returncode == 2
    assert "team.managers[2].level: expected one of junior, middle, senior" in result.stderr
    assert "sla.first_response: expected a duration such as 45s, 30m, 2h or 3d" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    result = leadkeeper("config", "check", env={"LEADKEEPER_CONFIG": str(tmp_path / "none.yaml")})
    assert result.returncode == 2
    assert "none.yaml not found" in result.stderr


def test_example_config_checks_and_db_upgrade_creates_schema(tmp_path: Path) -> None:
    env = {
        "LEADKEEPER_CONFIG": str(ROOT / "leadkeeper.example.yaml"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/lk.db",
    }
    check = leadkeeper("config", "check", env=env)
    assert check.returncode == 0, check.stderr
    assert "1 head(s), 2 manager(s)" in check.stdout
    upgrade = leadkeeper("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    import sqlite3

    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "lk.db").execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert {"contacts", "leads", "messages", "lead_events", "outbox", "managers"} <= tables


@pytest.mark.parametrize("token", ["not-a-token"])
def test_bad_bot_token_is_explained(tmp_path: Path, token: str) -> None:
    result = leadkeeper(
        "run",
        env={
            "LEADKEEPER_CONFIG": str(ROOT / "leadkeeper.example.yaml"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/lk.db",
            "TELEGRAM_BOT_TOKEN": token,
            "HTTP_PORT": "0",
        },
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not a bot token" in result.stderr
