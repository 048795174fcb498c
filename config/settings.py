"""Secrets and endpoints from the environment and `.env`: the one settings object."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.durations import parse_duration
from domain.web_tokens import LINK_LIFETIME, SESSION_LIFETIME


class TelegramMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class MaxMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


def avito_webhook_secret(url: str | None) -> str | None:
    """The `secret` in AVITO_WEBHOOK_URL's query: Avito signs nothing, so the address
    itself is the proof that a request comes from the subscription."""
    if not url:
        return None
    values = parse_qs(urlsplit(url.strip()).query).get("secret")
    return values[0] if values and values[0] else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./leadkeeper.db"
    leadkeeper_config: Path = Path("./leadkeeper.yaml")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_mode: TelegramMode = TelegramMode.POLLING
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Telegram allows about 30 messages a second per bot; stay a little under it.
    telegram_send_rate: float = Field(default=29.0, gt=0)
    # Seconds between two messages to one chat (Telegram asks for about one a second).
    telegram_chat_interval: float = Field(default=1.0, ge=0)
    # Seconds a send may take before it counts as failed and is retried (Telegram may
    # still have delivered it: that is the one way a message can go out twice).
    telegram_request_timeout: float = Field(default=15.0, gt=0)
    # Every process beats a heartbeat this often (seconds); one that has not beaten for
    # WORKER_DEAD_AFTER is taken for dead and the rows it claimed return to the others
    # (on its own host at once, when its pid is gone).
    worker_heartbeat: float = Field(default=2.0, gt=0)
    worker_dead_after: float = Field(default=10.0, gt=0)
    # Seconds a claim lasts without renewal; the holder's heartbeat renews it, so it runs
    # out only for a holder that is alive but stuck.
    inbox_lease: float = Field(default=30.0, gt=0)
    outbox_lease: float = Field(default=30.0, gt=0)
    # Webhook payloads arriving within DOOR_WINDOW seconds of each other (at most
    # DOOR_BATCH of them) are committed to the inbox together (storage/door.py).
    door_window: float = Field(default=0.002, ge=0)
    door_batch: int = Field(default=500, ge=1, le=5000)

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    api_token: SecretStr | None = None

    log_level: str = "INFO"
    # Shared conversation state for several processes (aiogram FSM); memory when unset.
    redis_url: SecretStr | None = None

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        """Webhook mode without its URL or secret fails here, before anything starts."""
        if self.telegram_bot_token is None or self.telegram_mode is not TelegramMode.WEBHOOK:
            return self
        if not (self.telegram_webhook_url or "").strip():
            raise ValueError(
                "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL, the public https address "
                "Telegram posts updates to (e.g. https://crm.example.ru/telegram/webhook)"
            )
        if self.telegram_webhook_secret is None:
            raise ValueError(
                "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET, a long random string "
                "(letters, digits, _ and -) that proves an update comes from Telegram"
            )
        return self

    @field_validator(
        "telegram_bot_token", "telegram_webhook_secret", "api_token", "redis_url", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # Site forms (POST /intake/form): on when FORMS_TOKEN is set.
    forms_token: SecretStr | None = None
    # Submissions a minute from one address; more get 429.
    forms_rate_limit: int = Field(default=10, ge=1)
    # Browser origins allowed to post a form (comma-separated), or * for any.
    forms_allowed_origins: str = "*"
    # A field people never see (hidden by CSS) and so leave empty; bots fill it in.
    forms_honeypot_field: str = "website"
    # Behind a reverse proxy: the client address is the first of X-Forwarded-For.
    forms_trust_forwarded: bool = False

    # VK community messages (Callback API, POST /vk/callback): on when VK_GROUP_TOKEN is set.
    vk_group_token: SecretStr | None = None
    vk_confirmation_code: str | None = None
    vk_secret: SecretStr | None = None
    vk_group_id: int | None = None
    vk_api_base: str = "https://api.vk.com"
    vk_api_version: str = "5.199"
    # The public URL that reaches POST /vk/callback, as entered in the community's Callback
    # API settings; when set, the watchdog checks that server is there with status "ok"
    # (groups.getCallbackServers, which needs the key's community management right).
    vk_callback_url: str | None = None
    # Messages in group chats the community is in become leads only when this is true.
    vk_allow_chats: bool = False

    # WhatsApp Cloud API (GET|POST /whatsapp/webhook): on when WHATSAPP_TOKEN is set.
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v21.0"
    # The WhatsApp Business Account (WABA) id: when set, the watchdog checks that an app
    # (WHATSAPP_APP_ID when set) gets its webhooks (GET /{waba-id}/subscribed_apps).
    whatsapp_business_account_id: str | None = None
    whatsapp_app_id: str | None = None
    # The approved template sent instead of text 24 hours after the customer's last message.
    whatsapp_template: str | None = None
    whatsapp_template_language: str = "ru"
    # The template has one body variable ({{1}}) that carries the manager's text.
    whatsapp_template_with_text: bool = False

    # MAX (long polling, or the webhook POST /max/webhook): on when MAX_BOT_TOKEN is set.
    max_bot_token: SecretStr | None = None
    max_api_base: str = "https://platform-api.max.ru"
    max_mode: MaxMode = MaxMode.POLLING
    max_webhook_url: str | None = None
    max_webhook_secret: SecretStr | None = None
    # Outbox sends a second to MAX (it takes 30 requests a second from one bot in all).
    max_send_rate: float = Field(default=20.0, gt=0)

    # Avito Messenger (the webhook POST /avito/webhook): on when AVITO_CLIENT_ID and
    # AVITO_CLIENT_SECRET are set. Avito signs nothing, so AVITO_WEBHOOK_URL carries the
    # secret itself, as ?secret=... (see docs/channels.md, Avito).
    avito_client_id: str | None = None
    avito_client_secret: SecretStr | None = None
    avito_api_base: str = "https://api.avito.ru"
    avito_webhook_url: str | None = None

    # E-mail: IMAP polling in (on when IMAP_HOST is set), SMTP out.
    imap_host: str | None = None
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    imap_security: Literal["ssl", "none"] = "ssl"
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str = "INBOX"
    imap_poll_interval: float = Field(default=30.0, gt=0)
    # First start (or a recreated folder): take mail this many days back, not the archive.
    imap_backfill_days: int = Field(default=3, ge=0)
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # The From of replies, e.g. "Acme <sales@acme.example>"; IMAP_USER when unset.
    email_from: str | None = None

    @field_validator(
        "forms_token",
        "vk_group_token",
        "vk_confirmation_code",
        "vk_secret",
        "vk_group_id",
        "vk_callback_url",
        "whatsapp_token",
        "whatsapp_phone_number_id",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
        "whatsapp_business_account_id",
        "whatsapp_app_id",
        "whatsapp_template",
        "max_bot_token",
        "max_webhook_url",
        "max_webhook_secret",
        "avito_client_id",
        "avito_client_secret",
        "avito_webhook_url",
        "imap_host",
        "imap_port",
        "imap_user",
        "imap_password",
        "smtp_host",
        "smtp_port",
        "smtp_user",
        "smtp_password",
        "email_from",
        mode="before",
    )
    @classmethod
    def _blank_channel_setting_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def channel_secrets(self) -> list[str]:
        """Every channel secret, for the log scrubber."""
        values = [
            self.forms_token,
            self.vk_group_token,
            self.vk_secret,
            self.whatsapp_token,
            self.whatsapp_app_secret,
            self.whatsapp_verify_token,
            self.max_bot_token,
            self.max_webhook_secret,
            self.avito_client_secret,
            self.imap_password,
            self.smtp_password,
        ]
        secrets = [value.get_secret_value() for value in values if value is not None]
        webhook_secret = avito_webhook_secret(self.avito_webhook_url)
        return [*secrets, webhook_secret] if webhook_secret else secrets

    # The web dashboard (/dashboard/): on when DASHBOARD_PASSWORD is set; only its scrypt
    # hash is kept in memory.
    dashboard_password: SecretStr | None = None
    # Signs the dashboard's session cookies. Set it (the same in every process) so that
    # sessions survive a restart and work across processes; empty: a random key per process.
    dashboard_secret: SecretStr | None = None

    # The public address the dashboard is reached at (https://crm.example.ru): the login
    # links the bot sends on /web point there. Empty: this process's own HTTP address.
    dashboard_url: str | None = None
    # How long a /web login link stays good (it works once), and a web session lasts.
    dashboard_link_lifetime: timedelta = LINK_LIFETIME
    dashboard_session_lifetime: timedelta = SESSION_LIFETIME

    @field_validator("dashboard_password", "dashboard_secret", "dashboard_url", mode="before")
    @classmethod
    def _blank_dashboard_setting(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        address = value.strip().rstrip("/").removesuffix("/dashboard")
        scheme, _, host = address.partition("://")
        if scheme not in ("https", "http") or not host:
            raise ValueError(
                "DASHBOARD_URL: expected the dashboard's public address such as "
                "https://crm.example.ru"
            )
        return address

    @field_validator("dashboard_link_lifetime", "dashboard_session_lifetime", mode="before")
    @classmethod
    def _lifetime(cls, value: object) -> timedelta:
        """Seconds, or a duration as the YAML writes them (`10m`, `12h`)."""
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        lifetime = parse_duration(value)
        if lifetime <= timedelta(0):
            raise ValueError("a lifetime must be longer than zero")
        return lifetime
