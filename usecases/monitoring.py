"""What an operator watches, in Prometheus' text format."""

from __future__ import annotations

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
    ]
    return "\n".join(lines) + "\n"
