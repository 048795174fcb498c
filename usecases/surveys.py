"""Satisfaction surveys: a 1-5 rating with buttons, then an optional comment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.buttons import survey_button
from texts import language_of
from usecases.complaints import open_complaint
from usecases.context import AppContext


def survey_payload(
    ctx: AppContext, survey_id: int, language: str | None, text: str | None = None
) -> dict[str, Any]:
    lang = language_of(language)
    buttons = [
        [
            {"text": "⭐" * score, "callback_data": survey_button(survey_id, score)}
            for score in range(1, 6)
        ]
    ]
    body = text or str(ctx.texts.get("survey_question", lang))
    return {"text": body, "parse_mode": "HTML", "buttons": buttons}


@dataclass(frozen=True)
class SurveyAnswer:
    accepted: bool
    complaint_id: int | None = None
    language: str = "ru"


async def answer_survey(
    ctx: AppContext, survey_id: int, channel: str, external_id: str, score: int
) -> SurveyAnswer:
    """Store the rating; a low one opens a complaint. Only the surveyed customer may answer."""
    if not 1 <= score <= 5:
        return SurveyAnswer(False)
    async with ctx.db.uow() as uow:
        now = ctx.clock.now()
        survey = await uow.surveys.get(survey_id)
        identity = await uow.identities.get(channel, external_id)
        if survey is None or identity is None or identity.contact_id != survey.contact_id:
            return SurveyAnswer(False)
        language = language_of(identity.language)
        if survey.score is not None:
            return SurveyAnswer(False, language=language)
        survey.score = score
        survey.answered_at = now
        uow.events.add(
            survey.lead_id, "survey_answered", now, actor="customer", data={"score": score}
        )
        complaint_id = None
        if score <= ctx.config.complaints.survey_threshold:
            # The complaint's words are the heads' to read, in their language, not the
            # customer's (his own words, if he adds any, are kept as he wrote them).
            heads = await uow.managers.heads()
            team_language = heads[0].language if heads else "ru"
            complaint = await open_complaint(
                ctx,
                uow,
                contact_id=survey.contact_id,
                lead_id=survey.lead_id,
                manager_id=survey.manager_id,
                source="survey",
                text=str(ctx.texts.get("complaint_from_survey", team_language, score=score)),
            )
            complaint_id = complaint.id
        await uow.commit()
    ctx.wake("outbox")
    return SurveyAnswer(True, complaint_id, language)


async def add_survey_comment(ctx: AppContext, survey_id: int, text: str) -> None:
    async with ctx.db.uow() as uow:
        survey = await uow.surveys.get(survey_id)
        if survey is None:
            return
        survey.comment = text
        if survey.score is not None and survey.score <= ctx.config.complaints.survey_threshold:
            for complaint in await uow.complaints.search(open_only=True):
                if complaint.lead_id == survey.lead_id and complaint.source == "survey":
                    complaint.text = f"{complaint.text}\n{text}"
        await uow.commit()
