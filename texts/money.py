"""Money in words, Russian then English: how an amount is written, the "won" dialog,
revenue in reports, and the dashboard's amount form. MONEY_TEXTS joins the bots'
catalogue (texts/catalogue.py), MONEY_DASHBOARD the dashboard's (texts/dashboard.py).

Counted texts come in three forms, `_one`, `_few`, `_many` (1 сделка, 2 сделки,
5 сделок; English uses `_one` and `_many`); Texts.plural picks the form.
"""

from __future__ import annotations

MONEY_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        # 150 000 ₽, 150 000,50 ₽: thousands and the sign apart by non-breaking spaces.
        "money": "{number}\u00a0{sign}",
        "money_group": "\u00a0",
        "money_point": ",",
        "deals_one": "{count} сделка",
        "deals_few": "{count} сделки",
        "deals_many": "{count} сделок",
        "decimal_places_one": "{count} знака",
        "decimal_places_few": "{count} знаков",
        "decimal_places_many": "{count} знаков",
        "btn_no_amount": "Без суммы",
        "ask_amount": (
            "🏆 Сумма сделки по лиду #{lead_id}, {currency}?\n"
            "Напишите число, например: 150 000, 150000,50 или 1,5 млн. "
            "Если суммы нет, нажмите «Без суммы»; передумали закрывать — /cancel."
        ),
        "amount_not_a_number": "Не получилось прочитать сумму. Напишите число, например: 150 000, 150000,50 или 1,5 млн.",
        "amount_other_currency": "Суммы сделок ведутся в {currency}: напишите сумму без другой валюты, например 150 000.",
        "amount_negative": "Сумма не может быть отрицательной.",
        "amount_zero": "Сумма должна быть больше нуля.",
        "amount_too_large": "Слишком большая сумма: можно не больше {max}. Проверьте, пожалуйста, число.",
        "amount_too_precise": "Слишком много знаков после запятой: можно не больше {places}.",
        "amount_whole_only": "Сумма пишется целым числом, без дробной части.",
        "amount_retry": "Напишите сумму ещё раз или нажмите «Без суммы».",
        "closed_won_amount": "Лид #{lead_id} закрыт: {stage}, сумма сделки {amount}.",
        "report_revenue": "💰 Выручка: {revenue} ({deals}{unpriced}), средний чек {average}",
        "report_revenue_unpriced": ", ещё {count} без суммы",
        "report_revenue_sources": "Выручка по источникам: {sources}",
        "report_revenue_managers": "Выручка по менеджерам: {managers}",
    },
    "en": {
        "money": "{number}\u00a0{sign}",
        "money_group": ",",
        "money_point": ".",
        "deals_one": "{count} deal",
        "deals_few": "{count} deals",
        "deals_many": "{count} deals",
        "decimal_places_one": "{count} decimal place",
        "decimal_places_few": "{count} decimal places",
        "decimal_places_many": "{count} decimal places",
        "btn_no_amount": "No amount",
        "ask_amount": (
            "🏆 Deal amount for lead #{lead_id}, {currency}?\n"
            "Type a number, e.g. 150,000, 150000.50 or 1.5m. "
            "No amount: press “No amount”; changed your mind about closing: /cancel."
        ),
        "amount_not_a_number": "That does not read as an amount. Type a number, e.g. 150,000, 150000.50 or 1.5m.",
        "amount_other_currency": "Deal amounts are kept in {currency}: type the amount without another currency, e.g. 150,000.",
        "amount_negative": "An amount cannot be negative.",
        "amount_zero": "An amount must be more than zero.",
        "amount_too_large": "That amount is too large: at most {max}. Please check the number.",
        "amount_too_precise": "Too many digits after the decimal point: at most {places}.",
        "amount_whole_only": "The amount is a whole number, without a fraction.",
        "amount_retry": "Type the amount again or press “No amount”.",
        "closed_won_amount": "Lead #{lead_id} closed: {stage}, deal amount {amount}.",
        "report_revenue": "💰 Revenue: {revenue} ({deals}{unpriced}), average deal {average}",
        "report_revenue_unpriced": ", {count} more without an amount",
        "report_revenue_sources": "Revenue by source: {sources}",
        "report_revenue_managers": "Revenue by manager: {managers}",
    },
}

MONEY_DASHBOARD: dict[str, dict[str, str]] = {
    "ru": {
        "amount": "Сумма сделки",
        "amount_none": "не указана",
        "amount_save": "Сохранить сумму",
        "amount_hint": "например, 150 000 или 1,5 млн; пустое поле убирает сумму",
        "amount_saved": "Сумма сделки сохранена.",
        "amount_stale": "Сумму этого лида изменить нельзя: он проигран или дисквалифицирован.",
        "amount_not_yours": "Этот лид не ваш.",
        "revenue": "Выручка",
        "average_deal": "Средний чек",
        "deals_with_amount": "сделок с суммой",
        "deals_without_amount": "без суммы",
        "revenue_by_source": "Выручка по источникам",
        "csv_revenue": "Выручка",
        "csv_deals_with_amount": "Сделок с суммой",
        "csv_deals_without_amount": "Сделок без суммы",
        "csv_average_deal": "Средний чек",
        "csv_currency": "Валюта",
    },
    "en": {
        "amount": "Deal amount",
        "amount_none": "not set",
        "amount_save": "Save the amount",
        "amount_hint": "e.g. 150,000 or 1.5m; an empty field removes the amount",
        "amount_saved": "The deal amount is saved.",
        "amount_stale": "This lead's amount cannot be changed: it is lost or disqualified.",
        "amount_not_yours": "This lead is not yours.",
        "revenue": "Revenue",
        "average_deal": "Average deal",
        "deals_with_amount": "deals with an amount",
        "deals_without_amount": "without an amount",
        "revenue_by_source": "Revenue by source",
        "csv_revenue": "Revenue",
        "csv_deals_with_amount": "Deals with an amount",
        "csv_deals_without_amount": "Deals without an amount",
        "csv_average_deal": "Average deal",
        "csv_currency": "Currency",
    },
}
