"""Button data read back from Telegram; written by usecases/cards.button_data."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LeadAction(CallbackData, prefix="lead"):
    action: str
    lead_id: int
    argument: str = ""
