"""aiogram's Response[T] models survive garbage collection once the bot's setup is
imported: pydantic caches them weakly, so without a strong reference every collection
made the next answer build `Response[Message]` again (~2.6 ms each, issue 15)."""

from __future__ import annotations

import gc
import weakref

from aiogram.client.session.base import Response
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import Message

import channels.telegram.plugin  # noqa: F401  (the bot's setup)
from channels.telegram import response_types


def test_the_bot_uses_the_held_models_after_a_collection() -> None:
    first = Response[SendMessage.__returning__]  # type: ignore[name-defined]
    gc.collect()
    assert Response[SendMessage.__returning__] is first  # type: ignore[name-defined]
    assert first is response_types.HELD[Message]
    assert Response[AnswerCallbackQuery.__returning__] is response_types.HELD[bool]  # type: ignore[name-defined]


def test_an_unheld_model_is_rebuilt_so_the_test_can_tell() -> None:
    # A type the bot never asks for: pydantic forgets it at the next collection.
    built = weakref.ref(Response[list[Message]])
    gc.collect()
    assert built() is None
