"""How updates reach the bot: getUpdates long polling (offsets, confirmation, 409 on a
newer poll) and webhooks (setWebhook / deleteWebhook / getWebhookInfo, POSTs, redelivery)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from .protocol import TERMINATED, WEBHOOK_CONFLICT, ApiError, _as_bool, _as_int, _bad, _clone
from .records import Call, WebhookDelivery
from .state import EmulatorState


class DeliveryMixin(EmulatorState):
    """Long polling and webhooks."""

    # ----------------------------------------------------------------------------------------
    # Long polling and webhook settings (Bot API methods)
    # ----------------------------------------------------------------------------------------

    async def _get_updates(self, params: dict[str, Any], call: Call) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = _as_int(params, "offset")
        limit = min(max(_as_int(params, "limit", 100) or 100, 1), 100)
        timeout = max(_as_int(params, "timeout", 0) or 0, 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            # Telegram keeps the last given list; an empty one restores the default.
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if offset is not None and offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

        self._poll_generation += 1
        generation = self._poll_generation
        # A newer getUpdates terminates a waiting older one, exactly like Telegram.
        self._notify()
        deadline = time.monotonic() + timeout
        while True:
            batch = [u for u in self._pending if self._is_allowed(u)][:limit]
            if batch or self._closing.is_set():
                return _clone(batch)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            event = self._update_event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []
            if self._poll_generation != generation:
                raise ApiError(409, TERMINATED)
            if self.webhook_url:
                raise ApiError(409, WEBHOOK_CONFLICT)

    async def _set_webhook(self, params: dict[str, Any], call: Call) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and secret != "":
            secret = str(secret)
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                raise _bad("secret token contains unallowed characters")
        else:
            secret = None
        if _as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if not url:
            self.webhook_url, self.webhook_secret = None, None
            call.ok_description = "Webhook was deleted"
            return True
        if not url.startswith(("https://", "http://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url, self.webhook_secret = url, secret
        self._webhook_error = None
        # Wakes any long poll so it answers 409 like Telegram does.
        self._notify()
        call.ok_description = "Webhook was set"
        return True

    async def _delete_webhook(self, params: dict[str, Any], call: Call) -> bool:
        if _as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        was_set = self.webhook_url is not None
        self.webhook_url, self.webhook_secret = None, None
        call.ok_description = "Webhook was deleted" if was_set else "Webhook is already deleted"
        return True

    async def _get_webhook_info(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    # ----------------------------------------------------------------------------------------
    # Webhook delivery
    # ----------------------------------------------------------------------------------------

    async def deliver_webhook(
        self,
        update: dict[str, Any],
        *,
        url: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> WebhookDelivery:
        """POST one update to the webhook; on 2xx it stops being pending.

        A JSON answer with a "method" field is executed like Telegram does.  Connection
        errors come back as status 0 rather than raising, as they are just another failed
        delivery for Telegram.
        """
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("no webhook is set; call setWebhook or pass url=")
        if "update_id" not in update:
            update["update_id"] = self._next_update_id()
        update_id = int(update["update_id"])
        headers = {}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        if self._http is None or self._http.closed:
            self._http = ClientSession()
        try:
            async with self._http.post(
                target, json=update, headers=headers, timeout=ClientTimeout(total=timeout)
            ) as response:
                body = await response.text()
                delivery = WebhookDelivery(update_id, response.status, body)
                reason = response.reason or ""
        except (ClientError, TimeoutError) as exc:
            delivery = WebhookDelivery(update_id, 0, "", error=f"{type(exc).__name__}: {exc}")
            reason = delivery.error or ""
        self.webhook_deliveries.append(delivery)
        if delivery.ok:
            self._pending = [item for item in self._pending if item["update_id"] != update_id]
            self._webhook_error = None
            await self._run_webhook_reply(delivery.body)
        elif delivery.status:
            self._webhook_error = (
                int(time.time()),
                f"Wrong response from the webhook: {delivery.status} {reason}".strip(),
            )
        else:
            self._webhook_error = (int(time.time()), f"Connection failed: {reason}")
        return delivery

    async def deliver_pending_webhooks(
        self,
        *,
        url: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[WebhookDelivery]:
        """POST queued updates in order; stop at the first failure, which stays queued.

        Stopping keeps the order: Telegram retries the failed update before later ones.
        """
        results = []
        for update in list(self._pending):
            if not self._is_allowed(update):
                self._pending = [u for u in self._pending if u is not update]
                continue
            delivery = await self.deliver_webhook(_clone(update), url=url, timeout=timeout)
            results.append(delivery)
            if not delivery.ok:
                break
        return results

    async def _run_webhook_reply(self, body: str) -> None:
        try:
            reply = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if not isinstance(reply, dict) or not isinstance(reply.get("method"), str):
            return
        params = {key: value for key, value in reply.items() if key != "method"}
        await self._dispatch(self.token, reply["method"], params, via_webhook=True)
