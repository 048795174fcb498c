"""Staff sign in to the dashboard without a password: /web in the bot sends a one-time,
short-lived link; opening it starts a server-side session as him, which "log out" ends
and "log out everywhere" ends in every browser he used.

The link's token is in the message the bot sends (the outbox row carries it until it is
used or expires, which is why it lives minutes and works once); the session's token is
only ever in his cookie. The database keeps digests of both (domain.web_tokens)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from domain.web_access import Viewer
from domain.web_tokens import (
    LinkState,
    digest,
    link_state,
    looks_like_token,
    new_token,
    session_alive,
)
from storage.models import Manager
from usecases import cards
from usecases.context import AppContext
from usecases.spans import format_span

log = logging.getLogger(__name__)


def _usable(manager: Manager | None) -> bool:
    return manager is not None and manager.active and manager.retired_at is None


async def send_login_link(ctx: AppContext, telegram_id: int) -> bool:
    """Queue a fresh login link to this staff member's chat; False when he is not staff."""
    token = new_token()
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        manager = await uow.managers.by_telegram_id(telegram_id)
        if not _usable(manager):
            return False
        await uow.web.add_link(digest(token), manager.id, now, now + ctx.web.link_lifetime)
        language = manager.language
        text = ctx.texts.get(
            "web_link",
            language,
            link=ctx.web.link(token),
            lifetime=format_span(ctx.texts, ctx.web.link_lifetime, language),
        )
        await uow.outbox.add(
            channel="telegram",
            chat_id=str(telegram_id),
            purpose="staff",
            payload=cards.payload(text),
            now=now,
        )
        await uow.commit()
        manager_id = manager.id
    ctx.wake("outbox")
    log.info("web login link sent to staff member %s", manager_id)
    return True


@dataclass(frozen=True)
class LinkCheck:
    state: LinkState
    name: str = ""


async def check_link(ctx: AppContext, token: str) -> LinkCheck:
    """Whether the link would sign someone in now, and whom; it stays unused."""
    if not looks_like_token(token):
        return LinkCheck(LinkState.UNKNOWN)
    async with ctx.db.uow() as uow:
        link = await uow.web.link(digest(token))
        state = link_state(link, ctx.clock.now())
        manager = await uow.managers.get(link.manager_id) if link is not None else None
    if state is LinkState.VALID and not _usable(manager):
        return LinkCheck(LinkState.UNKNOWN)
    return LinkCheck(state, manager.name if manager is not None else "")


@dataclass(frozen=True)
class SignIn:
    state: LinkState
    session_token: str | None = None
    language: str = "ru"


async def sign_in_by_link(ctx: AppContext, token: str) -> SignIn:
    """Use the link (once) and open a session as its staff member."""
    if not looks_like_token(token):
        return SignIn(LinkState.UNKNOWN)
    now = ctx.clock.now()
    session_token = new_token()
    async with ctx.db.uow() as uow:
        link = await uow.web.use_link(digest(token), now)
        if link is None:
            return SignIn(link_state(await uow.web.link(digest(token)), now))
        manager = await uow.managers.get(link.manager_id)
        if not _usable(manager):
            await uow.commit()  # the link is spent all the same
            return SignIn(LinkState.UNKNOWN)
        await uow.web.add_session(
            digest(session_token), manager.id, now, now + ctx.web.session_lifetime, link.id
        )
        await uow.commit()
        language, manager_id = manager.language, manager.id
    log.info("web session opened for staff member %s", manager_id)
    return SignIn(LinkState.VALID, session_token, language)


async def viewer_of(ctx: AppContext, session_token: str) -> Viewer | None:
    """Whose live session this is; None when it is unknown, expired or revoked, or its
    owner is no longer active staff."""
    if not looks_like_token(session_token):
        return None
    async with ctx.db.uow() as uow:
        session = await uow.web.session(digest(session_token))
        if not session_alive(session, ctx.clock.now()):
            return None
        assert session is not None
        manager = await uow.managers.get(session.manager_id)
    if manager is None or not _usable(manager):
        return None
    return Viewer(
        manager_id=manager.id, telegram_id=manager.telegram_id, name=manager.name, role=manager.role
    )


async def sign_out(ctx: AppContext, session_token: str, *, everywhere: bool = False) -> int:
    """End this session, or every session of its owner; how many were ended."""
    if not looks_like_token(session_token):
        return 0
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        session = await uow.web.session(digest(session_token))
        if session is None:
            return 0
        if everywhere:
            ended = await uow.web.revoke_all(session.manager_id, now)
        else:
            ended = await uow.web.revoke(digest(session_token), now)
        await uow.commit()
        manager_id = session.manager_id
    log.info("web sessions ended for staff member %s: %s", manager_id, ended)
    return ended
