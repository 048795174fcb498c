"""The two reads every gate question starts from: the playbooks of the config, and what
a lead's move to a stage still lacks (its checklist answers and fields, then the rule in
domain/gates.py). Apart from usecases/gates.py so that the card builders can ask without
importing the move's verdicts."""

from __future__ import annotations

from domain import gates
from domain.gates import Missing, Playbook
from storage.models import Lead
from storage.uow import UnitOfWork
from usecases.context import AppContext


def playbooks(ctx: AppContext) -> dict[str, Playbook]:
    return ctx.config.stages.playbooks()


async def missing_for(ctx: AppContext, uow: UnitOfWork, lead: Lead, stage: str) -> Missing:
    """What a move of `lead` to `stage` lacks now (nothing: the gate is open)."""
    books = playbooks(ctx)
    if not any(book.checklist or book.required for book in books.values()):
        return Missing()
    answers = await uow.checklists.for_lead(lead.id)
    contact = await uow.contacts.get(lead.contact_id)
    filled = gates.filled_fields(
        amount=lead.amount_minor,
        phone=contact.phone if contact else None,
        email=contact.email if contact else None,
        name=contact.display_name if contact else None,
    )
    return gates.missing(books, lead.status, stage, set(answers), filled)
