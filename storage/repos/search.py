"""Full-text search over message text: PostgreSQL's `russian` text search (expression
index of migration 0014), SQLite's FTS5 table `messages_fts` kept by triggers."""

from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.search import MARK_END, MARK_START, prefix_stem, search_words

# Must be the very expression of the index, or PostgreSQL will not use it.
_PG_VECTOR = "to_tsvector('russian', coalesce(messages.text, ''))"
_PG_HEADLINE = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=18, MinWords=6, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)

_PG_HITS = text(
    f"SELECT messages.lead_id, max(ts_rank({_PG_VECTOR}, query)) AS score "
    "FROM messages, plainto_tsquery('russian', :query) AS query "
    f"WHERE messages.lead_id IS NOT NULL AND {_PG_VECTOR} @@ query "
    "GROUP BY messages.lead_id ORDER BY score DESC, messages.lead_id DESC LIMIT :limit"
)
_PG_SNIPPETS = text(
    "SELECT messages.lead_id, "
    "ts_headline('russian', messages.text, query, :options) AS fragment "
    "FROM messages, plainto_tsquery('russian', :query) AS query "
    f"WHERE messages.lead_id IN :ids AND {_PG_VECTOR} @@ query "
    f"ORDER BY messages.lead_id, ts_rank({_PG_VECTOR}, query) DESC, messages.id DESC"
).bindparams(bindparam("ids", expanding=True))

_SQLITE_HITS = text(
    "SELECT messages.lead_id, min(messages_fts.rank) AS score "
    "FROM messages_fts JOIN messages ON messages.id = messages_fts.rowid "
    "WHERE messages_fts MATCH :query AND messages.lead_id IS NOT NULL "
    "GROUP BY messages.lead_id ORDER BY score, messages.lead_id DESC LIMIT :limit"
)
_SQLITE_SNIPPETS = text(
    "SELECT messages.lead_id, "
    "snippet(messages_fts, 0, char(2), char(3), '…', 16) AS fragment "
    "FROM messages_fts JOIN messages ON messages.id = messages_fts.rowid "
    "WHERE messages_fts MATCH :query AND messages.lead_id IN :ids "
    "ORDER BY messages.lead_id, messages_fts.rank, messages.id DESC"
).bindparams(bindparam("ids", expanding=True))


def fts5_query(words: list[str]) -> str:
    """Every word must occur, as a prefix of a word in the text; quoted, so that a
    customer's quotes, stars or NEAR are words, not syntax."""
    return " ".join('"' + prefix_stem(word).replace('"', '""') + '"*' for word in words)


class MessageSearch:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def _postgres(self) -> bool:
        return self._session.bind.dialect.name == "postgresql"

    def _query(self, query: str) -> str | None:
        words = search_words(query)
        if not words:
            return None
        return " ".join(words) if self._postgres else fts5_query(words)

    async def lead_ranks(self, query: str, limit: int = 500) -> list[int]:
        """The leads whose messages match, best match first."""
        prepared = self._query(query)
        if prepared is None:
            return []
        statement = _PG_HITS if self._postgres else _SQLITE_HITS
        rows = await self._session.execute(statement, {"query": prepared, "limit": limit})
        return [int(lead_id) for lead_id, _score in rows]

    async def fragments(self, query: str, lead_ids: list[int]) -> dict[int, str]:
        """Per lead, its best matching message as a fragment with the matches marked
        (domain.search.MARK_START … MARK_END)."""
        prepared = self._query(query)
        if prepared is None or not lead_ids:
            return {}
        values: dict[str, object] = {"query": prepared, "ids": lead_ids}
        if self._postgres:
            statement = _PG_SNIPPETS
            values["options"] = _PG_HEADLINE
        else:
            statement = _SQLITE_SNIPPETS
        found: dict[int, str] = {}
        for lead_id, fragment in await self._session.execute(statement, values):
            found.setdefault(int(lead_id), fragment)
        return found
