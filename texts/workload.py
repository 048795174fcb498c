"""The workload norm in words, Russian then English: the load line of /report and the
digest (work against the shifts, managers needed), each manager's load and actions outside
his shift, and the head's alarm when the queue's wait outgrows the first-response SLA.
Part of the one catalogue (texts/catalogue.py merges them); counts take their plural form
from `<key>_one`, `<key>_few`, `<key>_many`, and a fraction the `_few` text in Russian
(«1,1 менеджера»)."""

from __future__ import annotations

WORKLOAD_RU: dict[str, str] = {
    "decimal_point": ",",
    # 156 %: a non-breaking space, as Russian writes it.
    "workload_percent": "{value}\u00a0%",
    "workload_team": "⚖️ Нагрузка {percent}, {verdict} (работы на {work}, в сменах {capacity}: {needed})",
    "workload_team_no_shifts": "⚖️ Нагрузка: работы на {work}, а смен в эти дни нет",
    "workload_enough": "менеджеров хватает",
    "workload_more_one": "нужно ещё {count} менеджер",
    "workload_more_few": "нужно ещё {count} менеджера",
    "workload_more_many": "нужно ещё {count} менеджеров",
    "workload_needed_one": "нужен {count} менеджер",
    "workload_needed_few": "нужно {count} менеджера",
    "workload_needed_many": "нужно {count} менеджеров",
    "workload_managers": "<b>Нагрузка по менеджерам:</b>",
    "workload_manager_line": "{name}: {percent} (работы на {work}, смена {capacity}){overtime}",
    "workload_own": "⚖️ Ваша нагрузка: {percent} (работы на {work}, смена {capacity}){overtime}",
    "workload_no_percent": "без смены",
    "workload_overtime_one": ", вне смены {count} действие",
    "workload_overtime_few": ", вне смены {count} действия",
    "workload_overtime_many": ", вне смены {count} действий",
    "workload_waiting_one": "{count} лид ждёт ответа",
    "workload_waiting_few": "{count} лида ждут ответа",
    "workload_waiting_many": "{count} лидов ждут ответа",
    "workload_on_shift_one": "{count} менеджер",
    "workload_on_shift_few": "{count} менеджера",
    "workload_on_shift_many": "{count} менеджеров",
    "workload_alarm": (
        "🚨 Очередь не успевает: {waiting}, в смене {on_shift}. Новому клиенту ждать "
        "около {wait}, а ответить нужно за {sla}. Помогите команде: возьмите лиды сами "
        "или позовите ещё менеджера (/today, /leads)."
    ),
}

WORKLOAD_EN: dict[str, str] = {
    "decimal_point": ".",
    "workload_percent": "{value}%",
    "workload_team": "⚖️ Load {percent}, {verdict} (work for {work}, shifts of {capacity}: {needed})",
    "workload_team_no_shifts": "⚖️ Load: work for {work}, and no shifts on these days",
    "workload_enough": "enough managers",
    "workload_more_one": "{count} more manager needed",
    "workload_more_few": "{count} more managers needed",
    "workload_more_many": "{count} more managers needed",
    "workload_needed_one": "{count} manager needed",
    "workload_needed_few": "{count} managers needed",
    "workload_needed_many": "{count} managers needed",
    "workload_managers": "<b>Load by manager:</b>",
    "workload_manager_line": "{name}: {percent} (work for {work}, shift {capacity}){overtime}",
    "workload_own": "⚖️ Your load: {percent} (work for {work}, shift {capacity}){overtime}",
    "workload_no_percent": "no shift",
    "workload_overtime_one": ", {count} action outside the shift",
    "workload_overtime_few": ", {count} actions outside the shift",
    "workload_overtime_many": ", {count} actions outside the shift",
    "workload_waiting_one": "{count} lead is waiting for an answer",
    "workload_waiting_few": "{count} leads are waiting for an answer",
    "workload_waiting_many": "{count} leads are waiting for an answer",
    "workload_on_shift_one": "{count} manager",
    "workload_on_shift_few": "{count} managers",
    "workload_on_shift_many": "{count} managers",
    "workload_alarm": (
        "🚨 The queue is falling behind: {waiting}, {on_shift} on shift. A new customer "
        "would wait about {wait}, and the answer is due within {sla}. Help the team: take "
        "leads yourself or call in another manager (/today, /leads)."
    ),
}
