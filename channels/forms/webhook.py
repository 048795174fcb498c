"""POST /intake/form: site forms (JSON, form-encoded or multipart; Tilda and Mobizon too).

Order of checks: rate limit per address (so a token cannot be guessed quickly), origin,
token, size, body. Tilda's connection test and honeypot hits get 200 and make no lead.
A plain HTML form may name a `_redirect` URL to land on a thank-you page. A form whose
capture fails is kept in the inbox (by its submission id or hash) and answered as taken;
the inbox worker retries it through `process`, with the time it came.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web

from channels import door
from channels.forms.normalise import (
    BadForm,
    Skip,
    fields_from_json,
    fields_from_pairs,
    inbound_from_form,
    is_connection_test,
)
from channels.forms.ratelimit import RateLimiter
from channels.web import json_error, json_response, read_capped
from domain.inbound import InboundMessage
from domain.tokens import same_token
from usecases.capture import capture
from usecases.context import AppContext
from usecases.inbox import keep_failed_inbound
from usecases.outage import is_outage

log = logging.getLogger(__name__)

MAX_FORM_BODY = 64 * 1024
# Multipart forms may carry files; they are not kept, but the body may be larger.
MAX_MULTIPART_BODY = 1024 * 1024
TOKEN_HEADER = "X-Leadkeeper-Token"


def _decode(body: bytes, charset: str | None = None) -> str:
    """The declared charset when it is known, else UTF-8 with a cp1251 fallback."""
    if charset:
        with contextlib.suppress(LookupError):
            return body.decode(charset, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1251", errors="replace")


def _charset(request: web.Request) -> str:
    """The charset that percent-escapes of a form body stand for."""
    declared = request.charset
    if declared:
        with contextlib.suppress(LookupError):
            return codecs.lookup(declared).name
    return "utf-8"


def _given_token(request: web.Request) -> str | None:
    header = request.headers.get(TOKEN_HEADER)
    if header:
        return header.strip()
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query.get("token")


@dataclass
class FormIntake:
    ctx: AppContext
    token: str
    limiter: RateLimiter
    allowed_origins: tuple[str, ...] = ("*",)
    honeypot: str | None = "website"
    trust_forwarded: bool = False

    def _address(self, request: web.Request) -> str:
        if self.trust_forwarded:
            forwarded = request.headers.get("X-Forwarded-For", "")
            first = forwarded.split(",")[0].strip()
            if first:
                return first
        return request.remote or "unknown"

    def _origin_allowed(self, origin: str) -> bool:
        return "*" in self.allowed_origins or origin.rstrip("/") in self.allowed_origins

    def _cors(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin and self._origin_allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = (
                "*" if "*" in self.allowed_origins else origin
            )
            response.headers["Vary"] = "Origin"
        return response

    async def preflight(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin", "")
        if not origin or not self._origin_allowed(origin):
            return json_error(403, "origin not allowed")
        response = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            f"Content-Type, Authorization, {TOKEN_HEADER}"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
        return self._cors(request, response)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        return self._cors(request, await self._handle(request))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        address = self._address(request)
        wait = self.limiter.hit(address)
        if wait:
            log.debug("form from %s refused: rate limit", address)
            response = json_error(429, "too many submissions from this address, try later")
            response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            return response
        origin = request.headers.get("Origin")
        if origin and not self._origin_allowed(origin):
            log.info("form from %s refused: origin %s is not allowed", address, origin[:100])
            return json_error(403, "origin not allowed")
        given = _given_token(request)
        if not given:
            log.info("form from %s refused: no token", address)
            return json_error(401, f"missing form token ({TOKEN_HEADER} header or ?token=)")
        if not same_token(given, self.token):
            log.warning("form from %s refused: wrong token", address)
            return json_error(403, "wrong form token")
        try:
            fields = await self._fields(request)
        except BadForm as problem:
            log.info("form from %s rejected: %s", address, problem)
            return json_error(400, str(problem))
        except _TooLarge as limit:
            return json_error(413, f"request body too large (at most {limit} bytes)")
        except Skip as reason:
            log.info("form from %s skipped: %s", address, reason)
            return json_response({"ok": True})
        if is_connection_test(fields):
            return json_response({"ok": True, "test": True})
        redirect = _redirect_target(fields, self.allowed_origins)
        received_at = self.ctx.clock.now()
        try:
            inbound = self._inbound(fields, received_at)
        except Skip as reason:
            log.info("form from %s skipped: %s", address, reason)
            return _answer(redirect, {"ok": True})
        except BadForm as problem:
            log.info("form from %s rejected: %s", address, problem)
            return json_error(400, str(problem))
        try:
            result = await capture(self.ctx, inbound)
        except Exception as exc:
            if is_outage(exc):
                log.warning("form: database unavailable: %s", type(exc).__name__)
                return json_error(503, "database unavailable, try again later")
            log.exception("form from %s could not be captured; kept in the inbox", address)
            payload = {"fields": fields, "received_at": received_at.isoformat()}
            try:
                await keep_failed_inbound(
                    self.ctx, "form", inbound.external_message_id, _dumps(payload), exc
                )
            except Exception as kept:
                if is_outage(kept):
                    return json_error(503, "database unavailable, try again later")
                raise
            return _answer(redirect, {"ok": True})
        log.info("form → lead %s (%s)", result.lead_id, result.outcome.value)
        return _answer(redirect, {"ok": True, "duplicate": result.outcome.value == "duplicate"})

    def _inbound(self, fields: dict[str, str], received_at: datetime) -> InboundMessage:
        return inbound_from_form(
            fields,
            region=self.ctx.config.company.default_region,
            honeypot=self.honeypot,
            now=received_at,
        )

    async def process(self, payload: str) -> None:
        """A form kept in the inbox, captured again as of the time it came (so its
        message id is the one it had); a legacy dead letter holds the fields alone."""
        data = json.loads(payload)
        if isinstance(data, dict) and isinstance(data.get("fields"), dict):
            fields = {str(name): str(value) for name, value in data["fields"].items()}
            received_at = datetime.fromisoformat(str(data["received_at"]))
        elif isinstance(data, dict):
            fields = {str(name): str(value) for name, value in data.items()}
            received_at = self.ctx.clock.now()
        else:
            raise ValueError("a stored form is a JSON object")
        try:
            inbound = self._inbound(fields, received_at)
        except Skip as reason:
            log.info("form from the inbox skipped: %s", reason)
            return
        result = await capture(self.ctx, inbound)
        log.info("form → lead %s (%s), from the inbox", result.lead_id, result.outcome.value)

    async def _fields(self, request: web.Request) -> dict[str, str]:
        content_type = request.content_type.lower()
        if content_type.startswith("multipart/"):
            if request.content_length is not None and request.content_length > MAX_MULTIPART_BODY:
                raise _TooLarge(MAX_MULTIPART_BODY)
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                raise _TooLarge(MAX_MULTIPART_BODY) from None
            except Exception as exc:
                raise BadForm(f"malformed multipart body: {type(exc).__name__}") from None
            pairs = [(name, value) for name, value in form.items() if isinstance(value, str)]
            return fields_from_pairs(pairs)
        body = await read_capped(request, MAX_FORM_BODY)
        if isinstance(body, web.Response):
            raise _TooLarge(MAX_FORM_BODY)
        text = _decode(body, request.charset).strip()
        if not text:
            raise BadForm("the body is empty")
        if content_type == "application/json" or (
            content_type not in ("application/x-www-form-urlencoded",) and text[0] in "{["
        ):
            try:
                data = door.loads(text)
            except ValueError:
                raise BadForm("the body is not valid JSON") from None
            return fields_from_json(data)
        if "=" not in text:
            raise BadForm("expected JSON or form-encoded fields (name=value&…)")
        try:
            pairs = parse_qsl(
                text,
                keep_blank_values=True,
                max_num_fields=1000,
                encoding=_charset(request),
                errors="replace",
            )
        except ValueError as exc:
            raise BadForm(f"malformed form body: {exc}") from None
        return fields_from_pairs(pairs)


class _TooLarge(Exception):
    pass


def _redirect_target(fields: dict[str, str], allowed_origins: tuple[str, ...]) -> str | None:
    """Only to the site itself when the origins are listed, so the form cannot be used to
    send people elsewhere."""
    target = fields.get("_redirect", "").strip()
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if "*" in allowed_origins or f"{parts.scheme}://{parts.netloc}" in allowed_origins:
        return target
    return None


def _dumps(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: keep it escaped
        text = json.dumps(payload)
    return text


def _answer(redirect: str | None, body: dict[str, object]) -> web.StreamResponse:
    if redirect:
        return web.Response(status=303, headers={"Location": redirect})
    return json_response(body)


def add_routes(app: web.Application, intake: FormIntake) -> None:
    app.router.add_post("/intake/form", intake.handle)
    app.router.add_route("OPTIONS", "/intake/form", intake.preflight)
