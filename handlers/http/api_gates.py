"""The JSON API's side of stage gates: a stage move its gate refuses is a 422 naming each
missing item (a checklist question by its key and words, a lead field by its name), and
the body of POST /api/leads/{id}/checklist, the answers by question key."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from channels.web import json_response
from domain.gates import ANSWER_LENGTH, clean_answer, question_of
from handlers.http.params import BadParameter
from texts import dashboard_text, language_of
from usecases.context import AppContext
from usecases.gate_rules import playbooks
from usecases.gates import StageMove

MAX_ANSWERS = 50


def checklist_answers(ctx: AppContext, body: dict[str, Any]) -> dict[str, str]:
    """{"answers": {"volume": "5 т", "route": "Москва — Казань"}}; every key a question of
    the config's `stages:`, every answer text of 1 to ANSWER_LENGTH characters."""
    answers = body.get("answers")
    if not isinstance(answers, dict) or not 0 < len(answers) <= MAX_ANSWERS:
        raise BadParameter(
            f"answers: expected an object of 1 to {MAX_ANSWERS} question keys and answers, "
            'e.g. {"volume": "5 т"}'
        )
    books = playbooks(ctx)
    known = sorted(q.key for book in books.values() for q in book.checklist)
    cleaned: dict[str, str] = {}
    for key, text in answers.items():
        if question_of(books, str(key)) is None:
            listed = ", ".join(known) or "none (the config has no checklist)"
            raise BadParameter(f"answers.{key}: no such question; known keys: {listed}")
        if not isinstance(text, str) or not clean_answer(text) or len(text) > ANSWER_LENGTH:
            raise BadParameter(f"answers.{key}: expected text of 1 to {ANSWER_LENGTH} characters")
        cleaned[str(key)] = text
    return cleaned


def gate_refused(request: web.Request, move: StageMove, override: bool) -> web.Response:
    """422: what is missing, in the words of the Accept-Language (Russian by default)."""
    language = language_of(request.headers.get("Accept-Language", ""))
    missing = [
        {"kind": "question", "key": question.key, "text": question.text}
        for question in move.missing.questions
    ] + [
        {
            "kind": "field",
            "key": field.value,
            "text": dashboard_text(language, f"gate_field_{field.value}"),
        }
        for field in move.missing.fields
    ]
    reason = "the stage's gate is not met: answer the checklist and fill the fields listed"
    if override and not move.may_override:
        reason += "; only a head may override it"
    elif move.may_override:
        reason += ', or move with "override": true'
    body = {"error": reason, "missing": missing, "may_override": move.may_override}
    return json_response(body, status=422)
