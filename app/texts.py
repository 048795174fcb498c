"""Every text the bots send, Russian first, English second; the YAML may override any.

Texts are HTML (Telegram parse mode): placeholders are escaped when filled, so a
customer named `<b>&Co` never breaks a message.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from typing import Any

LANGUAGES = ("ru", "en")

DEFAULTS: dict[str, dict[str, str]] = {
    "ru": {
        "welcome": (
            "Здравствуйте, {name}! Это {company}. Напишите ваш вопрос — {when}.\n"
            "Можно оставить номер телефона кнопкой ниже, и мы перезвоним."
        ),
        "ack_new_lead": (
            "Спасибо, {name}! Ваше обращение получено, {when}.\n"
            "Чтобы мы могли перезвонить, поделитесь номером кнопкой ниже."
        ),
        "ack_new_lead_with_phone": "Спасибо, {name}! Ваше обращение получено, {when}.",
        "when_in_hours": "менеджер ответит в течение {sla}",
        "when_closed": "сейчас мы не работаем; менеджер ответит, когда вернётся команда: {back}",
        "when_unknown": "менеджер скоро ответит",
        "phone_button": "📱 Отправить номер телефона",
        "phone_thanks": "Спасибо, номер {phone} сохранён.",
        "unsupported": "Извините, этот тип сообщения не поддерживается. Напишите, пожалуйста, текстом.",
        "customer_only": "Эта команда доступна только сотрудникам. Напишите ваш вопрос — мы ответим.",
        "error_retry": "Извините, не удалось обработать сообщение. Попробуйте ещё раз чуть позже.",
        "minutes": "{n} мин",
        "hours": "{n} ч",
        "days": "{n} дн",
        # Staff side.
        "card": (
            "<b>Лид #{lead_id}</b> · {lead_class} · {channel}\n"
            "Клиент: {customer}\nИсточник: {source}\n{contacts}"
            "Создан: {age} назад\n\n«{first_message}»"
        ),
        "card_contacts": "Телефон: {phone}\nE-mail: {email}\n",
        "offer_header": "🔔 Новый лид для вас. Примите в течение {timeout}.",
        "assigned_header": "📌 Вам назначен лид.",
        "btn_accept": "✅ Принять",
        "btn_decline": "↩️ Отказаться",
        "btn_reply": "💬 Ответить",
        "btn_comment": "📝 Комментарий",
        "btn_won": "🏆 Выигран",
        "btn_lost": "❌ Проигран",
        "btn_disqualify": "🚫 Дисквалифицировать",
        "btn_stage": "→ {stage}",
        "btn_take": "🙋 Взять себе",
        "btn_assign_to": "👤 {name}",
        "btn_reason_other": "Другое…",
        "stage_new": "новый",
        "stage_contacted": "связались",
        "stage_qualified": "квалифицирован",
        "stage_proposal": "предложение",
        "stage_won": "выигран",
        "stage_lost": "проигран",
        "stage_disqualified": "дисквалифицирован",
        "accepted": "Лид #{lead_id} ваш. Ответьте клиенту кнопкой «Ответить».",
        "declined": "Лид #{lead_id} передан дальше.",
        "ask_decline_reason": "Почему отказываетесь от лида #{lead_id}? Напишите коротко.",
        "ask_reply": "Напишите ответ клиенту по лиду #{lead_id} — он уйдёт в {channel}. /cancel — отмена.",
        "reply_queued": "Ответ по лиду #{lead_id} отправляется клиенту.",
        "ask_comment": "Комментарий к лиду #{lead_id}:",
        "comment_saved": "Комментарий сохранён.",
        "ask_loss_reason": "Причина для лида #{lead_id}:",
        "ask_loss_text": "Опишите причину своими словами:",
        "stage_moved": "Лид #{lead_id}: этап «{stage}».",
        "closed": "Лид #{lead_id} закрыт: {stage}.",
        "stale": "Это действие уже неактуально.",
        "not_yours": "Этот лид не ваш.",
        "cancelled": "Отменено.",
        "customer_says": "💬 Лид #{lead_id} · {customer}:\n{text}",
        "remind_first_response": "⏰ Лид #{lead_id}: клиент ждёт ответа уже {age}. Ответьте, пожалуйста.",
        "remind_stage": "⏰ Лид #{lead_id} в этапе «{stage}» уже {age}. Пора двигать дальше.",
        "head_first_response": "🚨 Лид #{lead_id}: нет ответа клиенту {age} (SLA {sla}). Менеджер: {manager}.",
        "head_stage": "🚨 Лид #{lead_id} застрял в этапе «{stage}» на {age}. Менеджер: {manager}.",
        "head_no_taker": "🚨 Лид #{lead_id} никто не принял после {passes} передач. Назначьте вручную.",
        "head_queue": "🌙 Нет свободных менеджеров: лид #{lead_id} ждёт в очереди ({waiting} в очереди). Раздам, как только кто-то освободится.",
        "head_no_reason": "🚨 Лид #{lead_id} закрыт как «{stage}» без внятной причины ({reason}). Менеджер: {manager}.",
        "head_reassigned": "Лид #{lead_id} передан: {name}.",
        "nobody": "никто",
        "leads_header": "Ваши открытые лиды ({count}):",
        "leads_line": "#{lead_id} · {stage} · {customer} · {age}{overdue}",
        "overdue_mark": " ⚠️ просрочен",
        "leads_empty": "Открытых лидов нет.",
        "today_header": "На сегодня:",
        "today_empty": "На сегодня ничего срочного.",
        "lead_not_found": "Лид #{lead_id} не найден.",
        "lead_usage": "Напишите номер: /lead 42",
        "history_line": "{at} · {event} · {actor}",
        "team_header": "Команда:",
        "team_line": "{name} ({role}, {level}) · лидов {load}/{capacity} · {state}",
        "state_on_shift": "на смене",
        "state_off_shift": "не на смене",
        "state_paused": "пауза",
        "state_inactive": "отключён",
        "invite_link": "Ссылка-приглашение (одноразовая, действует {ttl}):\n{link}",
        "invite_bad": "Приглашение недействительно или уже использовано.",
        "invite_done": "Добро пожаловать, {name}! Вы в команде. Лиды будут приходить сюда.",
        "paused": "Пауза включена: новые лиды вам не придут. /resume — вернуться.",
        "resumed": "С возвращением! Новые лиды снова приходят.",
        "manager_usage": "Укажите Telegram id: /deactivate 123456",
        "manager_not_found": "Сотрудник не найден.",
        "manager_deactivated": "{name} отключён; его лиды остаются за ним.",
        "manager_activated": "{name} снова в работе.",
        "heads_only": "Эта команда — для руководителя отдела продаж.",
        "staff_help": "Команды: /leads — мои лиды, /lead N — карточка, /today — что сегодня, /pause, /resume.",
        "head_help": "Руководителю: /team, /invite [junior|middle|senior], /deactivate ID, /activate ID.",
        "survey_question": "Пожалуйста, оцените нашу работу от 1 до 5:",
        "survey_thanks": "Спасибо за оценку! Если хотите, напишите пару слов — что понравилось или что улучшить.",
        "survey_sorry": "Спасибо за честную оценку. Нам жаль; руководитель уже знает и свяжется с вами.",
        "survey_comment_thanks": "Спасибо, мы учтём ваш отзыв.",
        "complaint_from_survey": "Низкая оценка в опросе: {score} из 5.",
        "complaint_new": "📣 Жалоба #{complaint_id} от {customer} ({source}):\n{text}",
        "complaint_suspected": "❓ Похоже на жалобу #{complaint_id} от {customer}:\n{text}\nПодтвердите или отклоните.",
        "complaint_received": "Ваша жалоба #{complaint_id} принята. Мы разберёмся и ответим.",
        "complaint_yours": "📣 Вам поручена жалоба #{complaint_id}:\n{text}",
        "complaint_resolved": "По вашей жалобе #{complaint_id}: {resolution}",
        "complaint_overdue": "⏰ Жалоба #{complaint_id} просрочена: {text}",
        "complaint_saved": "Жалоба записана.",
        "ask_complaint": "Опишите, пожалуйста, что случилось — мы передадим руководителю.",
        "ask_complaint_staff": "Опишите жалобу клиента по лиду #{lead_id}:",
        "ask_resolution": "Как решена жалоба #{complaint_id}? Этот текст получит клиент.",
        "complaints_header": "Открытые жалобы ({count}):",
        "complaints_line": "#{complaint_id} · {status} · {text}{overdue}",
        "complaints_empty": "Открытых жалоб нет.",
        "btn_confirm": "✅ Это жалоба",
        "btn_reject": "✖️ Не жалоба",
        "btn_resolve": "✅ Решить",
        "btn_complaint": "📣 Жалоба",
        "unsubscribed": "Вы отписались от рассылок. Ответы на ваши обращения по-прежнему будут приходить. /start — подписаться снова.",
        "subscribed": "Вы снова подписаны на новости.",
        "menu_start": "Начать / подписаться",
        "menu_complaint": "Оставить жалобу",
        "menu_stop": "Отписаться от рассылок",
        # Reports and the daily digest.
        "report_usage": "Отчёт: /report today | week | month, или даты: /report 2026-01-01 2026-01-31.",
        "period_today": "сегодня",
        "period_yesterday": "вчера",
        "period_week": "эта неделя",
        "period_month": "этот месяц",
        "period_dates": "период",
        "report_title_team": "📊 <b>Отчёт команды: {period}</b>, {dates}",
        "report_title_own": "📊 <b>Ваши показатели: {period}</b>, {dates}",
        "report_leads": "Новых лидов: {total}{channels}",
        "report_sources": "Источники: {sources}",
        "report_funnel": "Воронка: {steps}",
        "report_outcomes": "Выиграно: {won} · проиграно: {lost} · дисквалифицировано: {disqualified}",
        "report_reasons": "Причины: {reasons}",
        "report_first_response": "Первый ответ: медиана {median}, 90% — до {p90} (ответов: {count})",
        "report_accept": "Принятие: медиана {median}; предложено {offered}, отказов {declined}, просрочено {expired}",
        "report_stage_time": "Время в этапах (медиана): {stages}",
        "report_sla": "SLA: в срок {rate} ({met} из {judged}), нарушений: {breached}",
        "report_surveys": "Оценка клиентов: {average} (ответов: {count})",
        "report_complaints": "Жалобы: новых {new}, открыто {open}, просрочено {overdue}, решено {resolved}",
        "report_managers": "<b>По менеджерам:</b>",
        "report_manager_line": "{name}: лидов {leads}, выиграно {won}, ответ {median}, SLA {sla}, оценка {score}",
        "report_nobody": "без менеджера",
        "report_chart_caption": "📈 Воронка и время первого ответа: {period}, {dates}",
        "digest_title": "☀️ <b>Сводка за вчера</b>, {date}",
        "digest_breaches": "<b>Нарушения SLA ({count}):</b>",
        "digest_breach_line": "Лид #{lead_id} · {kind} · {manager}",
        "digest_no_breaches": "Нарушений SLA не было.",
        "digest_more": "…и ещё {count}",
        "digest_complaints": "<b>Жалобы:</b> открыто {open}, просрочено {overdue}{ids}",
        "sla_first_response": "первый ответ",
        "chart_funnel": "Воронка",
        "chart_response": "Первый ответ по менеджерам, мин",
        "chart_median": "медиана",
        "chart_p90": "90%",
        "chart_no_data": "нет данных",
        "chart_team": "команда",
    },
    "en": {
        "welcome": (
            "Hello, {name}! This is {company}. Write your question — {when}.\n"
            "You can share your phone number with the button below and we will call you back."
        ),
        "ack_new_lead": (
            "Thank you, {name}! We have received your enquiry, {when}.\n"
            "Share your phone number with the button below so that we can call you back."
        ),
        "ack_new_lead_with_phone": "Thank you, {name}! We have received your enquiry, {when}.",
        "when_in_hours": "a manager will answer within {sla}",
        "when_closed": "we are closed now; a manager will answer when the team is back: {back}",
        "when_unknown": "a manager will answer soon",
        "phone_button": "📱 Share phone number",
        "phone_thanks": "Thank you, your number {phone} is saved.",
        "unsupported": "Sorry, this kind of message is not supported. Please write in text.",
        "customer_only": "This command is for staff only. Write your question and we will answer.",
        "error_retry": "Sorry, we could not process your message. Please try again a bit later.",
        "minutes": "{n} min",
        "hours": "{n} h",
        "days": "{n} d",
        "card": (
            "<b>Lead #{lead_id}</b> · {lead_class} · {channel}\n"
            "Customer: {customer}\nSource: {source}\n{contacts}"
            "Created: {age} ago\n\n“{first_message}”"
        ),
        "card_contacts": "Phone: {phone}\nE-mail: {email}\n",
        "offer_header": "🔔 A new lead for you. Accept within {timeout}.",
        "assigned_header": "📌 A lead is assigned to you.",
        "btn_accept": "✅ Accept",
        "btn_decline": "↩️ Decline",
        "btn_reply": "💬 Reply",
        "btn_comment": "📝 Comment",
        "btn_won": "🏆 Won",
        "btn_lost": "❌ Lost",
        "btn_disqualify": "🚫 Disqualify",
        "btn_stage": "→ {stage}",
        "btn_take": "🙋 Take it",
        "btn_assign_to": "👤 {name}",
        "btn_reason_other": "Other…",
        "stage_new": "new",
        "stage_contacted": "contacted",
        "stage_qualified": "qualified",
        "stage_proposal": "proposal",
        "stage_won": "won",
        "stage_lost": "lost",
        "stage_disqualified": "disqualified",
        "accepted": "Lead #{lead_id} is yours. Answer the customer with the Reply button.",
        "declined": "Lead #{lead_id} is passed on.",
        "ask_decline_reason": "Why do you decline lead #{lead_id}? Write briefly.",
        "ask_reply": "Write your answer for lead #{lead_id}; it goes to {channel}. /cancel to cancel.",
        "reply_queued": "Your answer for lead #{lead_id} is on its way.",
        "ask_comment": "Comment on lead #{lead_id}:",
        "comment_saved": "Comment saved.",
        "ask_loss_reason": "Reason for lead #{lead_id}:",
        "ask_loss_text": "Describe the reason in your own words:",
        "stage_moved": "Lead #{lead_id}: stage “{stage}”.",
        "closed": "Lead #{lead_id} closed: {stage}.",
        "stale": "This action is no longer current.",
        "not_yours": "This lead is not yours.",
        "cancelled": "Cancelled.",
        "customer_says": "💬 Lead #{lead_id} · {customer}:\n{text}",
        "remind_first_response": "⏰ Lead #{lead_id}: the customer has waited {age} for an answer. Please answer.",
        "remind_stage": "⏰ Lead #{lead_id} has been in “{stage}” for {age}. Time to move it on.",
        "head_first_response": "🚨 Lead #{lead_id}: no answer to the customer for {age} (SLA {sla}). Manager: {manager}.",
        "head_stage": "🚨 Lead #{lead_id} is stuck in “{stage}” for {age}. Manager: {manager}.",
        "head_no_taker": "🚨 Nobody accepted lead #{lead_id} after {passes} passes. Assign it by hand.",
        "head_queue": "🌙 No manager is free: lead #{lead_id} waits in the queue ({waiting} waiting). It goes out as soon as someone is free.",
        "head_no_reason": "🚨 Lead #{lead_id} closed as “{stage}” without a real reason ({reason}). Manager: {manager}.",
        "head_reassigned": "Lead #{lead_id} handed to {name}.",
        "nobody": "nobody",
        "leads_header": "Your open leads ({count}):",
        "leads_line": "#{lead_id} · {stage} · {customer} · {age}{overdue}",
        "overdue_mark": " ⚠️ overdue",
        "leads_empty": "No open leads.",
        "today_header": "For today:",
        "today_empty": "Nothing urgent today.",
        "lead_not_found": "Lead #{lead_id} not found.",
        "lead_usage": "Give the number: /lead 42",
        "history_line": "{at} · {event} · {actor}",
        "team_header": "Team:",
        "team_line": "{name} ({role}, {level}) · leads {load}/{capacity} · {state}",
        "state_on_shift": "on shift",
        "state_off_shift": "off shift",
        "state_paused": "paused",
        "state_inactive": "inactive",
        "invite_link": "Invite link (single use, valid {ttl}):\n{link}",
        "invite_bad": "This invite is invalid or already used.",
        "invite_done": "Welcome, {name}! You are on the team. Leads will come here.",
        "paused": "Paused: no new leads will come to you. /resume to come back.",
        "resumed": "Welcome back! New leads come to you again.",
        "manager_usage": "Give the Telegram id: /deactivate 123456",
        "manager_not_found": "No such team member.",
        "manager_deactivated": "{name} is deactivated; his leads stay with him.",
        "manager_activated": "{name} is back at work.",
        "heads_only": "This command is for the head of sales.",
        "staff_help": "Commands: /leads — my leads, /lead N — a lead card, /today — what is due, /pause, /resume.",
        "head_help": "Head of sales: /team, /invite [junior|middle|senior], /deactivate ID, /activate ID.",
        "survey_question": "Please rate our work from 1 to 5:",
        "survey_thanks": "Thank you for the rating! If you like, write a few words: what was good, what to improve.",
        "survey_sorry": "Thank you for the honest rating. We are sorry; the head of sales knows and will contact you.",
        "survey_comment_thanks": "Thank you, we will take it into account.",
        "complaint_from_survey": "Low survey score: {score} of 5.",
        "complaint_new": "📣 Complaint #{complaint_id} from {customer} ({source}):\n{text}",
        "complaint_suspected": "❓ This looks like complaint #{complaint_id} from {customer}:\n{text}\nConfirm or reject.",
        "complaint_received": "Your complaint #{complaint_id} is registered. We will look into it and answer.",
        "complaint_yours": "📣 Complaint #{complaint_id} is yours:\n{text}",
        "complaint_resolved": "About your complaint #{complaint_id}: {resolution}",
        "complaint_overdue": "⏰ Complaint #{complaint_id} is overdue: {text}",
        "complaint_saved": "Complaint recorded.",
        "ask_complaint": "Please describe what happened; we will pass it to the head of sales.",
        "ask_complaint_staff": "Describe the customer's complaint on lead #{lead_id}:",
        "ask_resolution": "How was complaint #{complaint_id} resolved? The customer gets this text.",
        "complaints_header": "Open complaints ({count}):",
        "complaints_line": "#{complaint_id} · {status} · {text}{overdue}",
        "complaints_empty": "No open complaints.",
        "btn_confirm": "✅ A complaint",
        "btn_reject": "✖️ Not a complaint",
        "btn_resolve": "✅ Resolve",
        "btn_complaint": "📣 Complaint",
        "unsubscribed": "You are unsubscribed from news. Answers to your enquiries will still reach you. /start to subscribe again.",
        "subscribed": "You are subscribed to news again.",
        "menu_start": "Start / subscribe",
        "menu_complaint": "File a complaint",
        "menu_stop": "Unsubscribe from news",
        # Reports and the daily digest.
        "report_usage": "Report: /report today | week | month, or dates: /report 2026-01-01 2026-01-31.",
        "period_today": "today",
        "period_yesterday": "yesterday",
        "period_week": "this week",
        "period_month": "this month",
        "period_dates": "dates",
        "report_title_team": "📊 <b>Team report: {period}</b>, {dates}",
        "report_title_own": "📊 <b>Your numbers: {period}</b>, {dates}",
        "report_leads": "New leads: {total}{channels}",
        "report_sources": "Sources: {sources}",
        "report_funnel": "Funnel: {steps}",
        "report_outcomes": "Won: {won} · lost: {lost} · disqualified: {disqualified}",
        "report_reasons": "Reasons: {reasons}",
        "report_first_response": "First response: median {median}, 90% within {p90} (answers: {count})",
        "report_accept": "Accepting: median {median}; offered {offered}, declined {declined}, expired {expired}",
        "report_stage_time": "Time in stages (median): {stages}",
        "report_sla": "SLA: on time {rate} ({met} of {judged}), breaches: {breached}",
        "report_surveys": "Customer rating: {average} (answers: {count})",
        "report_complaints": "Complaints: new {new}, open {open}, overdue {overdue}, resolved {resolved}",
        "report_managers": "<b>By manager:</b>",
        "report_manager_line": "{name}: leads {leads}, won {won}, answer {median}, SLA {sla}, rating {score}",
        "report_nobody": "no manager",
        "report_chart_caption": "📈 Funnel and first response time: {period}, {dates}",
        "digest_title": "☀️ <b>Yesterday's digest</b>, {date}",
        "digest_breaches": "<b>SLA breaches ({count}):</b>",
        "digest_breach_line": "Lead #{lead_id} · {kind} · {manager}",
        "digest_no_breaches": "No SLA breaches.",
        "digest_more": "…and {count} more",
        "digest_complaints": "<b>Complaints:</b> open {open}, overdue {overdue}{ids}",
        "sla_first_response": "first response",
        "chart_funnel": "Funnel",
        "chart_response": "First response by manager, min",
        "chart_median": "median",
        "chart_p90": "90%",
        "chart_no_data": "no data",
        "chart_team": "team",
    },
}


class Safe(str):
    """Text that is already HTML (a rendered text); it is not escaped again."""


def _escape(value: Any) -> str:
    return value if isinstance(value, Safe) else html.escape(str(value), quote=False)


def language_of(code: str | None) -> str:
    """Russian unless the user's client says English."""
    return "en" if code and code.lower().startswith("en") else "ru"


def _fields(template: str) -> set[str]:
    """Placeholder names; a positional `{}` or `{0}` is reported as an unknown name."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(name if name and not name.isdigit() else "{}")
    return names


def validate_overrides(overrides: Mapping[str, Mapping[str, str]]) -> None:
    for language, texts in overrides.items():
        if language not in DEFAULTS:
            raise ValueError(f"unknown language {language!r}, expected one of ru, en")
        for key, template in texts.items():
            if key not in DEFAULTS[language]:
                raise ValueError(f"{language}.{key}: unknown text key")
            try:
                fields = _fields(template)
            except ValueError as exc:
                raise ValueError(f"{language}.{key}: {exc}") from None
            unknown = fields - _fields(DEFAULTS[language][key])
            if unknown:
                allowed = ", ".join(sorted(_fields(DEFAULTS[language][key]))) or "none"
                raise ValueError(
                    f"{language}.{key}: unknown placeholder {{{sorted(unknown)[0]}}}; "
                    f"allowed: {allowed}"
                )


class Texts:
    def __init__(self, overrides: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._catalog = {lang: dict(texts) for lang, texts in DEFAULTS.items()}
        for language, texts in (overrides or {}).items():
            self._catalog[language].update(texts)

    def get(self, key: str, language: str, **params: Any) -> Safe:
        """The text in `language` with every placeholder HTML-escaped."""
        template = self._catalog.get(language, self._catalog["ru"]).get(key)
        if template is None:
            template = self._catalog["ru"][key]
        return Safe(template.format(**{name: _escape(value) for name, value in params.items()}))
