"""A lead's deal amount: given with the win (usecases.work.close, after the «Сумма
сделки?» dialog in Telegram), or set on an open or won lead from the dashboard and the
API by whoever may (domain.lead_access.amount_access). Kept in minor units of the
company's currency (domain.money), told in the lead's events, the API and webhooks."""

from __future__ import annotations

from typing import Any

from domain import money
from domain.lead_access import Access, amount_access
from domain.pipeline import LeadStatus
from storage.models import Lead
from texts import Safe
from usecases import cards
from usecases.assignment import Verdict
from usecases.context import AppContext
from usecases.money_text import format_money

NO_DEAL = (LeadStatus.LOST, LeadStatus.DISQUALIFIED)


def company_currency(ctx: AppContext) -> str:
    return ctx.config.company.currency


def read_amount(ctx: AppContext, text: str) -> int:
    """What a person typed (`150 000`, `1,5 млн`) as minor units; AmountError if it is
    no amount (usecases.money_text.amount_problem words why)."""
    currency = company_currency(ctx)
    return money.to_minor(money.parse_amount(text, currency), currency)


def amount_json(lead: Lead) -> dict[str, Any]:
    return money.amount_fields(lead.amount_minor, lead.currency)


def deal_data(lead: Lead) -> dict[str, Any]:
    """What a won lead's `closed` event records of its deal (nothing when no amount)."""
    if lead.status != LeadStatus.WON or lead.amount_minor is None:
        return {}
    return amount_json(lead)


def closed_text(ctx: AppContext, language: str, lead: Lead) -> Safe:
    """The closer's notice: «Лид #5 закрыт: выигран, сумма сделки 150 000 ₽.»"""
    stage = cards.stage_name(ctx.texts, language, lead.status)
    if deal_data(lead) and lead.currency is not None:
        amount = format_money(ctx.texts, language, lead.amount_minor, lead.currency)
        return ctx.texts.get(
            "closed_won_amount", language, lead_id=lead.id, stage=stage, amount=amount
        )
    return ctx.texts.get("closed", language, lead_id=lead.id, stage=stage)


def amount_prompt(ctx: AppContext, language: str, lead_id: int) -> tuple[Safe, list[Any]]:
    """«Сумма сделки?» with the «Без суммы» button."""
    text = ctx.texts.get(
        "ask_amount", language, lead_id=lead_id, currency=money.sign(company_currency(ctx))
    )
    return text, cards.amount_buttons(ctx.texts, language, lead_id)


async def set_amount(
    ctx: AppContext, lead_id: int, telegram_id: int | None, minor: int | None
) -> Verdict:
    """Set (or, with None, remove) the deal's amount. `telegram_id` None is the
    dashboard's administrator, who may on any open or won lead."""
    currency = company_currency(ctx)
    async with ctx.db.uow() as uow:
        lead = await uow.leads.get_for_update(lead_id)
        if lead is None:
            return Verdict.STALE
        manager = None
        if telegram_id is not None:
            manager = await uow.managers.by_telegram_id(telegram_id)
            access = amount_access(manager, lead)
        else:
            access = Access.STALE if lead.status in NO_DEAL else Access.DONE
        if access is not Access.DONE:
            return Verdict(access.value)
        before = amount_json(lead)
        lead.amount_minor = minor
        lead.currency = currency if minor is not None else None
        after = amount_json(lead)
        if after == before:
            return Verdict.DONE
        uow.events.add(
            lead.id,
            "amount_set",
            ctx.clock.now(),
            actor=f"manager:{manager.id}" if manager is not None else "dashboard",
            manager_id=manager.id if manager is not None else None,
            data={"from": before["amount"], "to": after["amount"], "currency": currency},
        )
        await uow.commit()
    return Verdict.DONE
