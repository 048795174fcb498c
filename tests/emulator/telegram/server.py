"""The aiohttp server: lifecycle, routing, reading request parameters (query, JSON, form,
multipart uploads), and dispatching one API call to its method with faults and latency."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Self

from aiohttp import web

from .protocol import ApiError, _bad
from .records import Call, UploadedFile
from .state import EmulatorState

# Form fields that always carry JSON (aiogram serialises objects and lists into them).
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "explanation_entities",
        "options",
        "results",
        "reaction",
    }
)
# Free text must never be reinterpreted, even when a customer types "[1, 2]".
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "data",
        "callback_query_id",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "title",
        "description",
        "short_description",
        "question",
        "explanation",
        "emoji",
        "action",
        "language_code",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "file_id",
        "ip_address",
        "name",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "performer",
        "address",
        "foursquare_id",
    }
)


def _decode_form_value(key: str, value: str) -> Any:
    if key in _STRING_FIELDS:
        return value
    if key in _JSON_FIELDS or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class ServerMixin(EmulatorState):
    """Lifecycle and the HTTP side of every API call."""

    # ----------------------------------------------------------------------------------------
    # Lifecycle
    # ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._closing.clear()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Long polls are woken on stop, so a short shutdown timeout never cuts real work.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing.set()
        self._update_event.set()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("TelegramEmulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ----------------------------------------------------------------------------------------
    # HTTP
    # ----------------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except ApiError as error:
            params, parse_error = {}, error
        else:
            parse_error = None
        call, hold = await self._dispatch(token, method, params, parse_error=parse_error)
        if hold > 0:
            await self._pause(hold)
        response = web.json_response(call.response, status=call.status)
        try:
            await response.prepare(request)
            await response.write_eof()
            call.written = True
        except ConnectionError:
            # The client gave up (its timeout fired) before the answer was ready.
            call.written = False
        if call.delivered:
            if call.written:
                self.delivered_ok.append(call)
            else:
                self.delivered_after_timeout.append(call)
        return response

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token or self.auth_rejected:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.path == path), None)
        if stored is None or stored.data is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {
            key: _decode_form_value(key, value) for key, value in request.query.items()
        }
        if request.method != "POST" or not request.can_read_body:
            return params
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON") from None
            if not isinstance(body, dict):
                raise _bad("JSON body must be an object")
            params.update(body)
            return params
        if content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise _bad(f"unsupported Content-Type {content_type}")
        form = await request.post()
        uploads: dict[str, UploadedFile] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = UploadedFile(
                    field=key,
                    filename=value.filename,
                    content_type=value.content_type,
                    data=value.file.read(),
                )
            elif isinstance(value, str):
                params[key] = _decode_form_value(key, value)

        def resolve(value: Any) -> Any:
            if isinstance(value, str) and value.startswith("attach://"):
                upload = uploads.get(value.removeprefix("attach://"))
                if upload is not None:
                    return upload
            return value

        used: set[str] = set()
        for key, value in list(params.items()):
            resolved = resolve(value)
            if isinstance(resolved, UploadedFile):
                params[key] = resolved
                used.add(resolved.field)
        if isinstance(params.get("media"), list):
            for item in params["media"]:
                if isinstance(item, dict):
                    for key in ("media", "thumbnail"):
                        resolved = resolve(item.get(key))
                        if isinstance(resolved, UploadedFile):
                            item[key] = resolved
                            used.add(resolved.field)
        for key, upload in uploads.items():
            # A file sent directly as the parameter (photo=<file>), not via attach://.
            if key not in used:
                params[key] = upload
        return params

    async def _pause(self, seconds: float) -> None:
        # Waiting on the closing flag lets stop() cut artificial delays short.
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass

    async def _dispatch(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        *,
        parse_error: ApiError | None = None,
        via_webhook: bool = False,
    ) -> tuple[Call, float]:
        """Run one API call; return the recorded call and how long to hold the answer."""
        entry = self._handlers.get(method.lower())
        call = Call(
            method=entry[0] if entry else method,
            params=params,
            time=time.monotonic(),
            via_webhook=via_webhook,
        )
        # Recorded on arrival so tests see in-flight calls (a long poll's offset, say).
        self.calls.append(call)
        hold = 0.0
        if self.latency > 0:
            await self._pause(self.latency)
        try:
            if token != self.token or self.auth_rejected:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            if parse_error is not None:
                raise parse_error
            failure = self._take_failure(call.method, params.get("chat_id"))
            if failure is not None:
                raise failure
            self._check_business(call.method, params)
            if self._roll_chaos(call.method) == "timeout" and self._chaos is not None:
                hold = self._chaos.timeout_seconds
            result = await entry[1](params, call)
            call.status = 200
            call.response = {"ok": True, "result": result}
            if call.ok_description:
                call.response["description"] = call.ok_description
        except ApiError as error:
            call.status = error.status
            call.response = error.body()
            call.delivered = False
            if error.status == 429:
                self.rate_limited += 1
        return call, hold
