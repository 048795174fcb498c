"""Avito Messenger as its webhook v3 delivers it: `{"id", "version", "timestamp",
"payload": {"type": "message", "value": {...}}}`, times in seconds, the account the
message was delivered to in `user_id`, its writer in `author_id`, chats as `u2i-…`."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_EPOCH = 1_770_000_000


@dataclass
class Listing:
    item_id: int
    title: str
    url: str
    price: str = "15 000 ₽"


@dataclass
class Chat:
    chat_id: str
    item_id: int | None
    buyer_id: int
    buyer_name: str
    created: int
    messages: list[dict[str, Any]] = field(default_factory=list)


class EventFactory:
    account_id: int

    def __init__(self) -> None:
        self._clock = itertools.count(1)
        self._items = itertools.count(4_100_000_001)
        self.listings: dict[int, Listing] = {}
        self.chats: dict[str, Chat] = {}

    def _now(self) -> int:
        return _EPOCH + next(self._clock)

    def listing(self, title: str, url: str | None = None) -> int:
        item_id = next(self._items)
        self.listings[item_id] = Listing(
            item_id, title, url or f"https://www.avito.ru/moskva/predlozheniya/{item_id}"
        )
        return item_id

    def chat_for(self, buyer_id: int, item_id: int | None, buyer_name: str = "Анна") -> Chat:
        """The buyer's chat about this listing, opened by his first message."""
        seed = f"{buyer_id}:{item_id}".encode()
        prefix = "u2i" if item_id is not None else "u2u"
        chat_id = f"{prefix}-{hashlib.sha256(seed).hexdigest()[:22]}"
        if chat_id not in self.chats:
            self.chats[chat_id] = Chat(chat_id, item_id, buyer_id, buyer_name, self._now())
        return self.chats[chat_id]

    def message_event(
        self,
        chat: Chat,
        author_id: int,
        kind: str,
        content: dict[str, Any],
        *,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        created = self._now()
        value = {
            # Unique across emulators, as Avito's are: two test emulators never collide.
            "id": message_id or uuid.uuid4().hex,
            "chat_id": chat.chat_id,
            "user_id": self.account_id,
            "author_id": author_id,
            "created": created,
            "type": kind,
            "chat_type": "u2i" if chat.item_id is not None else "u2u",
            "content": content,
            "item_id": chat.item_id,
            "published_at": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "read": None,
        }
        chat.messages.append(value)
        return {
            "id": str(uuid.uuid4()),
            "version": "v3.0.0",
            "timestamp": created,
            "payload": {"type": "message", "value": value},
        }

    def buyer_writes(
        self,
        buyer_id: int,
        item_id: int | None,
        text: str | None = None,
        *,
        name: str = "Анна",
        kind: str = "text",
        content: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The event Avito sends when a buyer writes in his chat about a listing."""
        chat = self.chat_for(buyer_id, item_id, name)
        body = content if content is not None else {"text": text}
        return self.message_event(chat, buyer_id, kind, body)

    def chat_answer(self, chat: Chat) -> dict[str, Any]:
        """GET /messenger/v2/accounts/{user_id}/chats/{chat_id}."""
        listing = self.listings.get(chat.item_id) if chat.item_id is not None else None
        answer: dict[str, Any] = {
            "id": chat.chat_id,
            "created": chat.created,
            "updated": chat.messages[-1]["created"] if chat.messages else chat.created,
            "users": [
                {"id": self.account_id, "name": "Acme", "public_user_profile": {}},
                {
                    "id": chat.buyer_id,
                    "name": chat.buyer_name,
                    "public_user_profile": {
                        "user_id": chat.buyer_id,
                        "url": f"https://www.avito.ru/user/{chat.buyer_id}/profile",
                    },
                },
            ],
            "last_message": chat.messages[-1] if chat.messages else None,
        }
        if listing is not None:
            answer["context"] = {
                "type": "item",
                "value": {
                    "id": listing.item_id,
                    "title": listing.title,
                    "url": listing.url,
                    "price_string": listing.price,
                    "status_id": 0,
                    "user_id": self.account_id,
                    "images": {"main": {"140x105": f"https://img.avito.st/{listing.item_id}"}},
                },
            }
        return answer
