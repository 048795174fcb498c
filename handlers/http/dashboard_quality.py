"""The heads' quality page: the weekly sample's conversations that wait for a grade, each
with its messages and a form (1–5, an optional comment), through the same use case as
the Telegram card's buttons; the outcome comes back as a notice on the page."""

from __future__ import annotations

from aiohttp import web

from domain.quality import COMMENT_LIMIT
from domain.web_access import Power
from handlers.http.dashboard_base import (
    FORM,
    VIEWER,
    app_context,
    form_field,
    head_only,
    message_page,
    redirect,
    render,
    request_language,
)
from texts import dashboard_text
from usecases import quality
from usecases.quality import Graded

NOTICES = {Graded.SAVED: "quality_saved", Graded.ALREADY: "quality_already"}


@head_only(Power.QUALITY)
async def quality_page(request: web.Request) -> web.StreamResponse:
    done = request.query.get("done")
    known = done in NOTICES.values()
    notice = dashboard_text(request_language(request), done) if known and done else None
    samples = await quality.pending_samples(app_context(request))
    return render(request, "quality.html", samples=samples, notice=notice, limit=COMMENT_LIMIT)


@head_only(Power.QUALITY)
async def grade(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["sample_id"]
    if not raw.isdigit() or int(raw) > 2**31:
        return message_page(request, 400, "bad_request", reason="sample id: a whole number")
    form = request[FORM]
    grade_raw = form_field(form, "grade") or ""
    if grade_raw not in {"1", "2", "3", "4", "5"}:
        reason = dashboard_text(request_language(request), "quality_bad_grade")
        return message_page(request, 400, "bad_request", reason=reason)
    comment = (form_field(form, "comment") or "").strip() or None
    if comment is not None and len(comment) > COMMENT_LIMIT:
        return message_page(
            request, 400, "bad_request", reason=f"comment: at most {COMMENT_LIMIT} characters"
        )
    result = await quality.grade_on_dashboard(
        app_context(request), int(raw), request[VIEWER], int(grade_raw), comment
    )
    if result.outcome is Graded.STALE:
        return message_page(request, 404, "not_found")
    if result.outcome is Graded.HEADS_ONLY:
        return message_page(request, 403, "heads_only")
    return redirect(f"/dashboard/quality?done={NOTICES[result.outcome]}")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard/quality", quality_page)
    app.router.add_post("/dashboard/quality/{sample_id}", grade)
