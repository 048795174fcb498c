"""A batch of due follow-up steps handled as a set (issue 15).

The decisions stay the step-by-step path's own (usecases.followups._handle, run for each
step in claim order): it is handed a view of the batch instead of the unit of work. The
view answers its reads from rows loaded for the whole batch in a few IN-list queries and
keeps its writes, which are written afterwards in multi-row statements; a step whose
handling raised leaves nothing behind, as its rolled-back savepoint would.

Steps that need more than those reads (a handover, a survey, an "open lead" stop) go the
step-by-step way, and with them every other step of their contact and lead in the batch,
so that nothing one of them does could change what another one sees.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from config.followups import FollowupSequence
from storage.repos.contacts import reply_address_among
from storage.repos.step_batch import DueStep
from storage.uow import UnitOfWork

# Wider than any day in any zone (day_start is at most 25 hours back, on a DST change):
# the marketing messages the daily cap might count.
MARKETING_LOOKBACK = timedelta(days=2)


class OwnStepNeeded(Exception):
    """The batch view cannot answer this read: the step goes the step-by-step way."""


def needs_own_step(sequence: FollowupSequence | None, index: int) -> bool:
    if sequence is None or index >= len(sequence.steps):
        return False
    step = sequence.steps[index]
    return step.action == "handover" or bool(step.survey) or "open_lead" in sequence.stop_when


def split(
    sequences: dict[str, FollowupSequence], rows: list[DueStep]
) -> tuple[list[DueStep], list[DueStep]]:
    """(handled as a set, handled step by step), each in claim order."""
    own = [row for row in rows if needs_own_step(sequences.get(row.sequence), row.step)]
    contacts = {row.contact_id for row in own}
    leads = {row.lead_id for row in own}
    together, alone = [], []
    for row in rows:
        (alone if row.contact_id in contacts or row.lead_id in leads else together).append(row)
    return together, alone


class _ById:
    def __init__(self, rows: dict[int, Any]) -> None:
        self._rows = rows

    async def get(self, key: int) -> Any:
        return self._rows.get(key)

    async def open_for_contact(self, contact_id: int) -> Any:
        raise OwnStepNeeded("leads.open_for_contact")


class _Identities:
    def __init__(self, by_contact: dict[int, list[Any]]) -> None:
        self._by_contact = by_contact

    async def reply_address(self, contact_id: int, channel: str | None) -> Any:
        return reply_address_among(self._by_contact.get(contact_id, []), channel)


class _Writes:
    """What the batch's steps queued: kept per step (begin / keep / drop)."""

    def __init__(self, marketing: dict[int, list[datetime]]) -> None:
        self.messages: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        # When marketing went to each contact: stored before, or kept in this batch.
        self.marketing = marketing
        self._messages: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []

    def begin(self) -> None:
        self._messages, self._events = [], []

    def keep(self) -> None:
        for message in self._messages:
            if message["purpose"] == "marketing" and message.get("contact_id") is not None:
                self.marketing.setdefault(message["contact_id"], []).append(message["now"])
        self.messages += self._messages
        self.events += self._events
        self.begin()


class _Steps:
    def __init__(self, writes: _Writes) -> None:
        self._writes = writes

    async def marketing_sent_since(self, contact_id: int, since: datetime) -> int:
        return sum(1 for at in self._writes.marketing.get(contact_id, ()) if at >= since)


class _Outbox:
    def __init__(self, writes: _Writes) -> None:
        self._writes = writes

    async def add(self, **message: Any) -> None:
        self._writes._messages.append(message)


class _Events:
    def __init__(self, writes: _Writes) -> None:
        self._writes = writes

    def add(self, lead_id: int, type: str, at: datetime, **fields: Any) -> None:
        self._writes._events.append({"lead_id": lead_id, "type": type, "at": at, **fields})


class BatchView:
    """What _handle asks of a unit of work, for one batch, under the same names."""

    def __init__(
        self,
        leads: dict[int, Any],
        contacts: dict[int, Any],
        identities: dict[int, list[Any]],
        managers: dict[int, Any],
        marketing: dict[int, list[datetime]],
    ) -> None:
        self.writes = _Writes(marketing)
        self.leads = _ById(leads)
        self.contacts = _ById(contacts)
        self.managers = _ById(managers)
        self.identities = _Identities(identities)
        self.steps = _Steps(self.writes)
        self.outbox = _Outbox(self.writes)
        self.events = _Events(self.writes)

    def __getattr__(self, name: str) -> Any:
        # Any other part of the unit of work (surveys, a handover's assignment…).
        raise OwnStepNeeded(name)

    async def write(self, uow: UnitOfWork, steps: list[tuple[DueStep, dict[str, Any]]]) -> None:
        """The kept messages and events, then the steps' new values, one UPDATE per
        outcome (`steps`: each handled step with its values as claimed)."""
        batch = uow.steps.batch
        if self.writes.messages:
            await batch.queue(self.writes.messages)
        if self.writes.events:
            await batch.add_events(self.writes.events)
        outcomes: dict[tuple[tuple[str, Any], ...], list[int]] = {}
        for row, before in steps:
            changed = tuple((k, v) for k, v in row.outcome().items() if v != before[k])
            if changed:
                outcomes.setdefault(changed, []).append(row.id)
        await batch.update_steps([(dict(key), ids) for key, ids in outcomes.items()])


async def load_view(
    uow: UnitOfWork, sequences: dict[str, FollowupSequence], rows: list[DueStep], now: datetime
) -> BatchView:
    """Everything the batch's steps read, in five queries (four without marketing)."""
    batch = uow.steps.batch
    leads = await batch.leads({row.lead_id for row in rows})
    contact_ids = {row.contact_id for row in rows}
    contacts = await batch.contacts(contact_ids)
    identities = await batch.identities(contact_ids)
    managers = await batch.managers({lead.manager_id for lead in leads.values()} - {None})
    marketing_contacts = {
        row.contact_id
        for row in rows
        if (sequence := sequences.get(row.sequence)) is not None and sequence.marketing
    }
    marketing = await batch.marketing_times(marketing_contacts, now - MARKETING_LOOKBACK)
    return BatchView(leads, contacts, identities, managers, dict(marketing))
