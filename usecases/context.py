"""What every use case is given: storage, time, the business config and the texts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.config import Config
from app.texts import Texts
from domain.clock import Clock
from storage.uow import Database


@dataclass
class AppContext:
    db: Database
    clock: Clock
    config: Config
    texts: Texts
    # Called after a commit that queued work (e.g. "outbox"), so that a worker in this
    # process starts at once instead of at its next tick.
    wake: Callable[[str], None] = field(default=lambda _topic: None)
