"""What every use case is given: storage, time, the business config and the texts."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from config.business import Config
from domain.clock import Clock
from domain.web_tokens import WebLogins
from storage.uow import Database
from texts import Texts
from usecases.loop_lag import LoopLag


@dataclass
class HeldEffects:
    """What a batch's payloads asked for that must wait for the batch's commit: the
    workers to wake (woken earlier they would look before the commit and find nothing)
    and whether the new leads are to be handed out."""

    wakes: set[str] = field(default_factory=set)
    distribute: bool = False


_HELD: ContextVar[HeldEffects | None] = ContextVar("held_effects", default=None)


@contextlib.contextmanager
def holding_effects() -> Iterator[HeldEffects]:
    """While inside, ctx.wake in this task is collected instead of called."""
    held = HeldEffects()
    token = _HELD.set(held)
    try:
        yield held
    finally:
        _HELD.reset(token)


def held_effects() -> HeldEffects | None:
    """The effects being held for a batch's commit, if this task is inside one."""
    return _HELD.get()


class _Waker:
    """ctx.wake as given, unless this task holds its effects for a commit to come."""

    def __init__(self, target: Callable[[str], None]) -> None:
        self.target = target

    def __call__(self, topic: str) -> None:
        held = _HELD.get()
        if held is not None:
            held.wakes.add(topic)
        else:
            self.target(topic)


@dataclass
class AppContext:
    db: Database
    clock: Clock
    config: Config
    texts: Texts
    # Called after a commit that queued work (e.g. "outbox"), so that a worker in this
    # process starts at once instead of at its next tick.
    wake: Callable[[str], None] = field(default=lambda _topic: None)
    # Batch distribution in a worker loop (the service) instead of after each capture.
    distribute_after_capture: bool = True
    # The longest text each channel's sender takes in one message (set from the senders);
    # longer replies are split before they are queued. A channel not named: no limit.
    text_limits: dict[str, int] = field(default_factory=lambda: {"telegram": 4096})
    # Channels where a business may only answer (Avito): nothing goes to a customer there
    # in a lead he did not open by writing (usecases/answer_only.py). Set from the senders.
    answer_only: set[str] = field(default_factory=set)
    # Channels besides Telegram whose sender passes on a photo a manager sent the bot.
    photo_channels: set[str] = field(default_factory=set)
    # Small per-process caches (e.g. who is staff), each with its own freshness rule.
    caches: dict[str, Any] = field(default_factory=dict)
    # This process's event-loop lag, measured by a task the service runs (LoopLag.run).
    loop_lag: LoopLag = field(default_factory=LoopLag)
    # Where the /web login links point and how long links and web sessions last.
    web: WebLogins = field(default_factory=WebLogins)
    # Where random choices come from (the weekly quality sample); tests give a seeded one.
    rng: random.Random = field(default_factory=random.Random)

    def __setattr__(self, name: str, value: Any) -> None:
        # Whoever sets the waker (the service, a test), a batch can hold its calls back.
        if name == "wake" and not isinstance(value, _Waker):
            value = _Waker(value)
        super().__setattr__(name, value)
