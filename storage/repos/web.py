"""Login links and web sessions, looked up by the digest of their token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.web_models import WebLoginLink, WebSession


class WebLoginRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_link(
        self, token_hash: str, manager_id: int, now: datetime, expires_at: datetime
    ) -> None:
        self._session.add(
            WebLoginLink(
                token_hash=token_hash, manager_id=manager_id, created_at=now, expires_at=expires_at
            )
        )
        await self._session.flush()

    async def link(self, token_hash: str) -> WebLoginLink | None:
        statement = select(WebLoginLink).where(WebLoginLink.token_hash == token_hash)
        return (await self._session.scalars(statement)).first()

    async def use_link(self, token_hash: str, now: datetime) -> WebLoginLink | None:
        """Mark the link used, if it is still good: of two openers racing, one wins."""
        result = await self._session.execute(
            update(WebLoginLink)
            .where(
                WebLoginLink.token_hash == token_hash,
                WebLoginLink.used_at.is_(None),
                WebLoginLink.expires_at > now,
            )
            .values(used_at=now)
        )
        if result.rowcount != 1:
            return None
        return await self.link(token_hash)

    async def add_session(
        self,
        token_hash: str,
        manager_id: int,
        now: datetime,
        expires_at: datetime,
        link_id: int | None,
    ) -> None:
        self._session.add(
            WebSession(
                token_hash=token_hash,
                manager_id=manager_id,
                link_id=link_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self._session.flush()

    async def session(self, token_hash: str) -> WebSession | None:
        statement = select(WebSession).where(WebSession.token_hash == token_hash)
        return (await self._session.scalars(statement)).first()

    async def revoke(self, token_hash: str, now: datetime) -> int:
        result = await self._session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash, WebSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount or 0)

    async def revoke_all(self, manager_id: int, now: datetime) -> int:
        result = await self._session.execute(
            update(WebSession)
            .where(WebSession.manager_id == manager_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount or 0)
