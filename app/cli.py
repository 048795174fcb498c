"""`leadkeeper run`, `leadkeeper db upgrade`, `leadkeeper config check`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr, ValidationError

from config.business import Config, ConfigError, load_config
from config.logs import setup_logging
from config.settings import Settings


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        ]
        raise ConfigError("environment settings are invalid:\n  " + "\n  ".join(lines)) from None


def _secrets(settings: Settings) -> list[str]:
    values = [
        settings.telegram_bot_token,
        settings.telegram_webhook_secret,
        settings.api_token,
        settings.redis_url,
        settings.dashboard_password,
        settings.dashboard_secret,
    ]
    # The passwords inside the database and Redis URLs, should a URL or a part of one be
    # logged (the whole Redis URL is in the list above already). Very short ones would
    # blank out ordinary words and numbers, so they are left to the URL's owner.
    urls = [settings.database_url, _secret_value(settings.redis_url)]
    passwords = [_url_password(url) for url in urls if url]
    return (
        [value.get_secret_value() for value in values if value is not None]
        + list(settings.channel_secrets())
        + [password for password in passwords if password and len(password) >= 4]
    )


def _secret_value(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _url_password(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _load(settings: Settings) -> Config:
    return load_config(settings.leadkeeper_config)


def cmd_run(args: argparse.Namespace) -> int:
    from app.runtime import Role, Service

    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    config = _load(settings)
    service = Service(settings, config, role=Role(args.role))
    asyncio.run(service.run_until_signal())
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade_sync

    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    upgrade_sync(settings.database_url, args.revision)
    print(f"database is at revision {args.revision}")
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    settings = _settings()
    config = _load(settings)
    team = config.team
    print(
        f"{settings.leadkeeper_config}: OK — {len(team.heads)} head(s), "
        f"{len(team.managers)} manager(s)"
    )
    return 0


def cmd_followups_dispatch(args: argparse.Namespace) -> int:
    """Queue every due follow-up step now (what the scheduler does every few seconds)."""
    from domain.clock import SystemClock
    from storage.db import create_engine, create_session_factory
    from storage.uow import Database
    from texts import Texts
    from usecases.context import AppContext
    from usecases.followups import dispatch_due

    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    config = _load(settings)

    async def dispatch() -> int:
        engine = create_engine(settings.database_url)
        ctx = AppContext(
            Database(create_session_factory(engine)), SystemClock(), config, Texts(config.texts)
        )
        total = 0
        try:
            while handled := await dispatch_due(ctx, args.batch):
                total += handled
        finally:
            await engine.dispose()
        return total

    print(f"handled {asyncio.run(dispatch())} due follow-up steps")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadkeeper", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the service")
    run.add_argument("--role", choices=["all", "web", "worker"], default="all")
    run.set_defaults(handler=cmd_run)
    db = commands.add_parser("db", help="database commands")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    db_upgrade.add_argument("revision", nargs="?", default="heads")
    db_upgrade.set_defaults(handler=cmd_db_upgrade)
    config = commands.add_parser("config", help="config commands")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    check = config_commands.add_parser("check", help="validate the YAML config")
    check.set_defaults(handler=cmd_config_check)
    followups = commands.add_parser("followups", help="follow-up commands")
    followups_commands = followups.add_subparsers(dest="followups_command", required=True)
    dispatch = followups_commands.add_parser("dispatch", help="queue the due steps now")
    dispatch.add_argument("--batch", type=int, default=500)
    dispatch.set_defaults(handler=cmd_followups_dispatch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"leadkeeper: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
