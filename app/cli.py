"""`leadkeeper run`, `leadkeeper db upgrade`, `leadkeeper config check`,
`leadkeeper followups dispatch`, `leadkeeper inbox failed|retry`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr, ValidationError

from config.business import Config, ConfigError, load_config
from config.logs import setup_logging
from config.settings import Settings

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        whole = [error for error in exc.errors() if not error["loc"]]
        if whole:
            # A rule across settings (webhook mode needs its URL): its message names them.
            raise ConfigError(str(whole[0]["msg"]).removeprefix("Value error, ")) from None
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
    # The settings and the config first: a mistake in them is told before anything loads.
    settings = _settings()
    config = _load(settings)
    setup_logging(settings.log_level, _secrets(settings))
    for warning in config.warnings():
        logging.getLogger("leadkeeper").warning("config: %s", warning)
    from app.runtime import Role, Service

    service = Service(settings, config, role=Role(args.role))
    asyncio.run(service.run_until_signal())
    if service.fatal is not None:
        raise service.fatal
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
    for warning in config.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{settings.leadkeeper_config}: OK — {len(team.heads)} head(s), "
        f"{len(team.managers)} manager(s)"
    )
    return 0


async def _with_context(
    settings: Settings, config: Config, work: Callable[[Any], Awaitable[T]]
) -> T:
    """Run `work(ctx)` against the configured database, outside the service."""
    from domain.clock import SystemClock
    from storage.db import create_engine, create_session_factory
    from storage.uow import Database
    from texts import Texts
    from usecases.context import AppContext

    engine = create_engine(settings.database_url)
    ctx = AppContext(
        Database(create_session_factory(engine)), SystemClock(), config, Texts(config.texts)
    )
    try:
        return await work(ctx)
    finally:
        await engine.dispose()


def cmd_followups_dispatch(args: argparse.Namespace) -> int:
    """Queue every due follow-up step now (what the scheduler does every few seconds)."""
    from usecases.followups import dispatch_due

    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    config = _load(settings)

    async def dispatch(ctx: Any) -> int:
        total = 0
        while handled := await dispatch_due(ctx, args.batch):
            total += handled
        return total

    print(f"handled {asyncio.run(_with_context(settings, config, dispatch))} due follow-up steps")
    return 0


def _one_line(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def cmd_inbox_failed(args: argparse.Namespace) -> int:
    """The inbound payloads kept as failed (dead letters), newest first."""
    from usecases.inbox import failed_payloads

    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    config = _load(settings)
    rows = asyncio.run(
        _with_context(settings, config, lambda ctx: failed_payloads(ctx, args.limit))
    )
    if not rows:
        print("no failed inbound payloads")
        return 0
    print(f"{'ID':>8}  {'CHANNEL':<10} {'ATTEMPTS':>8}  {'FAILED AT (UTC)':<19}  ERROR")
    for row in rows:
        moment = (row.failed_at or row.received_at).strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{row.id:>8}  {row.channel:<10} {row.attempts:>8}  {moment:<19}  "
            f"{_one_line(row.error, 120)}"
        )
    return 0


def cmd_inbox_retry(args: argparse.Namespace) -> int:
    """Queue failed payloads again; a running worker takes them within a second."""
    from usecases.inbox import retry_failed

    if not args.all and not args.ids:
        print(
            "leadkeeper: give the ids to retry (see `leadkeeper inbox failed`) or --all",
            file=sys.stderr,
        )
        return 2
    settings = _settings()
    setup_logging(settings.log_level, _secrets(settings))
    config = _load(settings)
    ids = None if args.all else list(args.ids)
    requeued = asyncio.run(_with_context(settings, config, lambda ctx: retry_failed(ctx, ids)))
    print(f"queued again: {', '.join(map(str, requeued)) if requeued else 'nothing'}")
    missing = sorted(set(ids or ()) - set(requeued))
    if missing:
        print(f"not failed (or unknown): {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
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
    inbox = commands.add_parser("inbox", help="inbound payloads that failed (dead letters)")
    inbox_commands = inbox.add_subparsers(dest="inbox_command", required=True)
    failed = inbox_commands.add_parser("failed", help="list the failed inbound payloads")
    failed.add_argument("--limit", type=int, default=100)
    failed.set_defaults(handler=cmd_inbox_failed)
    retry = inbox_commands.add_parser("retry", help="queue failed payloads again")
    retry.add_argument("ids", nargs="*", type=int, metavar="ID")
    retry.add_argument("--all", action="store_true", help="every failed payload")
    retry.set_defaults(handler=cmd_inbox_retry)
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
