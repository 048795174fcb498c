"""What an operator watches, in Prometheus' text format."""

from __future__ import annotations

from usecases.channel_health import channel_states
from usecases.context import AppContext


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
        return f"{name}{{{inner}}} {value}"
    return f"{name} {value}"


async def prometheus_text(ctx: AppContext) -> str:
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        captured = await uow.metrics.captured_by_channel()
        outbox = await uow.metrics.outbox_by_status()
        oldest = await uow.metrics.oldest_due(now)
        escalations = await uow.metrics.escalations()
        maybe_sent = await uow.outbox.maybe_sent_count()
        holders = await uow.workers.count()
        inbox = await uow.metrics.inbox_by_status()
        webhooks = await uow.metrics.webhooks()
    channels = await channel_states(ctx)
    lines = [
        "# HELP leadkeeper_captured_messages_total Inbound messages stored, by channel.",
        "# TYPE leadkeeper_captured_messages_total counter",
        *(
            _line("leadkeeper_captured_messages_total", count, {"channel": channel})
            for channel, count in sorted(captured.items())
        ),
        "# HELP leadkeeper_outbox_messages Outbox rows by status (pending = backlog).",
        "# TYPE leadkeeper_outbox_messages gauge",
        *(
            _line("leadkeeper_outbox_messages", outbox.get(status, 0), {"status": status})
            for status in ("pending", "sending", "sent", "failed")
        ),
        "# HELP leadkeeper_outbox_maybe_sent Rows sent again after their holder died "
        "mid-send (each may have reached the recipient twice).",
        "# TYPE leadkeeper_outbox_maybe_sent gauge",
        _line("leadkeeper_outbox_maybe_sent", maybe_sent),
        "# HELP leadkeeper_workers Processes beating a heartbeat (claim holders).",
        "# TYPE leadkeeper_workers gauge",
        _line("leadkeeper_workers", holders),
        "# HELP leadkeeper_timer_lag_seconds Age of the oldest due item not yet handled.",
        "# TYPE leadkeeper_timer_lag_seconds gauge",
        *(
            _line(
                "leadkeeper_timer_lag_seconds",
                max(0.0, (now - moment).total_seconds()) if moment else 0.0,
                {"work": work},
            )
            for work, moment in sorted(oldest.items())
        ),
        "# HELP leadkeeper_escalations_total Escalations to the head of sales.",
        "# TYPE leadkeeper_escalations_total counter",
        _line("leadkeeper_escalations_total", escalations),
        "# HELP leadkeeper_inbox_payloads Inbound payloads by status (failed = dead letters).",
        "# TYPE leadkeeper_inbox_payloads gauge",
        *(
            _line("leadkeeper_inbox_payloads", inbox.get(status, 0), {"status": status})
            for status in ("pending", "processing", "failed")
        ),
        "# HELP leadkeeper_inbox_failed Inbound payloads kept as failed (leadkeeper inbox "
        "failed lists them).",
        "# TYPE leadkeeper_inbox_failed gauge",
        _line("leadkeeper_inbox_failed", inbox.get("failed", 0)),
        "# HELP leadkeeper_event_loop_lag_seconds How late this process's event loop woke "
        "a timer, last measurement.",
        "# TYPE leadkeeper_event_loop_lag_seconds gauge",
        _line("leadkeeper_event_loop_lag_seconds", round(ctx.loop_lag.last, 6)),
        "# HELP leadkeeper_event_loop_lag_max_seconds The largest event-loop lag of this "
        "process over the last minute.",
        "# TYPE leadkeeper_event_loop_lag_max_seconds gauge",
        _line("leadkeeper_event_loop_lag_max_seconds", round(ctx.loop_lag.max(), 6)),
        "# HELP leadkeeper_event_loop_busy_max_seconds The largest part of an event-loop "
        "lag over the last minute that this process's own loop thread spent on the CPU "
        "(a stall by its own code, not the machine being busy).",
        "# TYPE leadkeeper_event_loop_busy_max_seconds gauge",
        _line("leadkeeper_event_loop_busy_max_seconds", round(ctx.loop_lag.busy_max(), 6)),
        "# HELP leadkeeper_webhook_deliveries Outgoing webhook events by status (retrying: "
        "pending after a failed attempt; failed: given up, with the reason in the outbox).",
        "# TYPE leadkeeper_webhook_deliveries gauge",
        *(
            _line("leadkeeper_webhook_deliveries", webhooks.get(status, 0), {"status": status})
            for status in ("pending", "retrying", "sent", "failed")
        ),
        "# HELP leadkeeper_channel_up 1 while the watchdog finds the channel working, 0 "
        "while it fails (the problem label says how).",
        "# TYPE leadkeeper_channel_up gauge",
        *(
            _line(
                "leadkeeper_channel_up",
                0 if state.problem else 1,
                {"channel": state.channel, "problem": state.problem or ""},
            )
            for state in channels
        ),
        "# HELP leadkeeper_channel_outages_total Outages told to the heads, by channel.",
        "# TYPE leadkeeper_channel_outages_total counter",
        *(
            _line("leadkeeper_channel_outages_total", state.outages, {"channel": state.channel})
            for state in channels
        ),
        "# HELP leadkeeper_channel_probe_age_seconds Time since the watchdog last looked at "
        "the channel.",
        "# TYPE leadkeeper_channel_probe_age_seconds gauge",
        *(
            _line(
                "leadkeeper_channel_probe_age_seconds",
                max(0.0, (now - state.probed_at).total_seconds()) if state.probed_at else -1,
                {"channel": state.channel},
            )
            for state in channels
        ),
    ]
    return "\n".join(lines) + "\n"
