"""Whether an error means the database is away for a while (retry later) rather than a
fault in the work itself; what the layers above storage ask instead of storage."""

from __future__ import annotations

from storage.db import is_transient


def is_outage(exc: BaseException) -> bool:
    return is_transient(exc)
