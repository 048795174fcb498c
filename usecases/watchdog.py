"""The channel watchdog: every `watchdog.probe_every` one process looks at each channel
(its probe, what its polling loop and its sends last said, its silence), keeps the verdict
in the channel's health row, and tells the heads once per outage and once when it is over.

The scheduler only wakes this; what is due lives in the rows (`next_probe_at`, claimed by
moving it on), so several processes probe each channel once, and a restart neither probes
in a burst nor tells the heads again what they were told."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from domain.channel_health import (
    HEALTHY,
    Found,
    Problem,
    Rules,
    Say,
    State,
    silence,
    step,
    worst,
)
from storage.health_models import ChannelHealth
from storage.uow import UnitOfWork
from usecases import cards
from usecases.channel_health import STARTED, channel_states
from usecases.context import AppContext
from usecases.outage import is_outage
from usecases.spans import format_span
from usecases.staffing import HeadMail, tell_heads

log = logging.getLogger(__name__)
# A probe that takes longer than this counts as the platform not answering.
PROBE_TIMEOUT = 20.0

ProbeCall = Callable[[], Awaitable[Found]]


@dataclass(frozen=True)
class Watched:
    """A channel the watchdog looks at: its name and its probe (None: no probe of its own,
    watched through its polling loop, its sends and its silence)."""

    name: str
    probe: ProbeCall | None = None


async def _look(channel: Watched) -> Found:
    if channel.probe is None:
        return HEALTHY
    try:
        return await asyncio.wait_for(channel.probe(), timeout=PROBE_TIMEOUT)
    except TimeoutError:
        return Found(Problem.UNREACHABLE, f"no answer in {PROBE_TIMEOUT:.0f} s")
    except Exception as exc:  # a probe bug is a finding, not a stop of the watchdog
        log.exception("%s: the probe failed", channel.name)
        return Found(Problem.UNREACHABLE, f"{type(exc).__name__}: {exc}"[:300])


def _state(row: ChannelHealth) -> State:
    return State(
        problem=Problem(row.problem) if row.problem else None,
        detail=row.detail,
        failing_since=row.failing_since,
        alerted=row.alerted,
        outages=row.outages,
    )


def _signals(row: ChannelHealth) -> tuple[Found, Found]:
    polling = Found(Problem.POLLING, row.poll_error) if row.poll_error else HEALTHY
    sends = Found(Problem.SENDS, row.send_error) if row.send_error else HEALTHY
    return polling, sends


def rules_of(ctx: AppContext) -> Rules:
    settings = ctx.config.watchdog
    hours = ctx.config.hours() if settings.working_hours_only else None
    return Rules(fail_after=settings.fail_after, hours=hours)


async def run_watchdog(ctx: AppContext, channels: list[Watched]) -> None:
    """The scheduler's job: a look that fails is logged, never raised into the scheduler."""
    try:
        await watch_channels(ctx, channels)
    except asyncio.CancelledError:
        log.debug("watchdog: stopped in the middle of a look (shutting down)")
    except Exception as exc:
        if is_outage(exc):
            log.warning("watchdog: database unavailable (%s)", type(exc).__name__)
        else:
            log.exception("watchdog: the look at the channels failed")


async def watch_channels(ctx: AppContext, channels: list[Watched]) -> int:
    """Probe the channels whose turn it is; returns how many were looked at."""
    settings = ctx.config.watchdog
    if not settings.enabled or not channels:
        return 0
    now = ctx.clock.now()
    due: list[Watched] = []
    async with ctx.db.uow() as uow:
        for channel in channels:
            await uow.channel_health.ensure(channel.name, now)
            if await uow.channel_health.claim_probe(channel.name, now, now + settings.probe_every):
                due.append(channel)
        await uow.commit()
    if not due:
        return 0
    found = await asyncio.gather(*(_look(channel) for channel in due))
    told = False
    # The verdict is dated by the claim: what the probe saw was true at that moment.
    async with ctx.db.uow() as uow:
        inbound = await uow.channel_health.last_inbound() if settings.silent_after else {}
        for channel, probed in zip(due, found, strict=True):
            if channel.probe is not None and probed.ok:
                await _drop_stale_refusal(ctx, uow, channel.name)
            told |= await _judge(ctx, uow, channel.name, probed, inbound.get(channel.name), now)
        await uow.commit()
    if told:
        ctx.wake("outbox")
    return len(due)


async def _drop_stale_refusal(ctx: AppContext, uow: UnitOfWork, channel: str) -> None:
    """A send refusal from before this process started, while the probe now finds the
    credentials accepted: the settings were fixed, and no send has said so yet."""
    started = ctx.caches.get(STARTED)
    row = await uow.channel_health.get(channel)
    if row is None or not row.send_error or not isinstance(started, datetime):
        return
    if row.send_error_at is not None and row.send_error_at < started:
        await uow.channel_health.save(channel, send_error=None)


async def _judge(
    ctx: AppContext,
    uow: UnitOfWork,
    channel: str,
    probed: Found,
    last_inbound: datetime | None,
    now: datetime,
) -> bool:
    row = await uow.channel_health.get(channel)
    if row is None:
        return False
    polling, sends = _signals(row)
    quiet = silence(
        last_inbound, row.watched_since, now, ctx.config.watchdog.silent_after.get(channel)
    )
    look = worst(probed, polling, sends, quiet)
    before = _state(row)
    after, say = step(before, look, now, rules_of(ctx))
    fields: dict[str, object] = {
        "problem": after.problem.value if after.problem else None,
        "detail": after.detail,
        "failing_since": after.failing_since,
        "alerted": after.alerted,
        "outages": after.outages,
        "probed_at": now,
    }
    if look.ok:
        fields["ok_at"] = now
    if look.repaired:
        fields.update(repaired=look.repaired[:200], repaired_at=now)
        log.warning("%s: %s", channel, look.repaired)
    await uow.channel_health.save(channel, **fields)
    if after.problem is not None and before.problem is None:
        log.warning("%s: %s (%s)", channel, after.problem.value, after.detail)
    if say is Say.ALERT:
        assert after.failing_since is not None and after.problem is not None
        log.error("%s is down: %s (%s); the heads are told", channel, after.problem, after.detail)
        await _alert(ctx, uow, channel, after, now - after.failing_since)
        return True
    if say is Say.RECOVERED:
        since = before.failing_since or now
        log.info("%s works again", channel)
        await _recovered(ctx, uow, channel, after.outages, now - since)
        return True
    return False


def _text(ctx: AppContext, key: str, language: str, **values: object) -> str:
    return str(ctx.texts.get(key, language, **values))


def _mail(ctx: AppContext, subject_key: str, channel: str) -> HeadMail | None:
    """The e-mail copy for the heads when `watchdog.email_to` names addresses."""
    settings = ctx.config.watchdog
    if not settings.email_to:
        return None
    language = settings.email_language
    subject = _text(ctx, subject_key, language, channel=channel_label(ctx, channel, language))
    return HeadMail(tuple(settings.email_to), language, subject)


def own_key(ctx: AppContext, kind: str, problem: str, channel: str) -> str:
    """The channel's own words (`kind` what or todo) for the problem when the catalogue
    has them, else the problem's general ones."""
    own = f"watchdog_{kind}_{problem}_{channel}"
    try:
        ctx.texts.get(own, "ru")
    except KeyError:
        return f"watchdog_{kind}_{problem}"
    return own


def todo_key(ctx: AppContext, problem: Problem, channel: str) -> str:
    return own_key(ctx, "todo", problem.value, channel)


def channel_label(ctx: AppContext, channel: str, language: str) -> str:
    try:
        return _text(ctx, f"channel_name_{channel}", language)
    except KeyError:
        return channel


async def _alert(
    ctx: AppContext, uow: UnitOfWork, channel: str, state: State, lasted: object
) -> None:
    assert state.problem is not None
    problem = state.problem

    def build(language: str) -> dict[str, object]:
        detail = (
            ctx.texts.get("watchdog_detail", language, detail=state.detail) if state.detail else ""
        )
        return cards.payload(
            ctx.texts.get(
                "watchdog_alert",
                language,
                channel=channel_label(ctx, channel, language),
                span=format_span(ctx.texts, lasted, language),  # type: ignore[arg-type]
                what=ctx.texts.get(own_key(ctx, "what", problem.value, channel), language),
                detail=detail,
                todo=ctx.texts.get(todo_key(ctx, problem, channel), language),
            )
        )

    await tell_heads(
        ctx,
        uow,
        build,
        purpose="escalation",
        dedupe_key=f"watchdog:{channel}:{state.outages}",
        mail=_mail(ctx, "watchdog_alert_subject", channel),
    )


async def _recovered(
    ctx: AppContext, uow: UnitOfWork, channel: str, outage: int, lasted: object
) -> None:
    await tell_heads(
        ctx,
        uow,
        lambda language: cards.payload(
            ctx.texts.get(
                "watchdog_recovered",
                language,
                channel=channel_label(ctx, channel, language),
                span=format_span(ctx.texts, lasted, language),  # type: ignore[arg-type]
            )
        ),
        purpose="notice",
        dedupe_key=f"watchdog-back:{channel}:{outage}",
        mail=_mail(ctx, "watchdog_recovered_subject", channel),
    )


@dataclass(frozen=True)
class ChannelRow:
    """A channel as the dashboard shows it, in the reader's language."""

    name: str
    status: str  # ok, failing, unknown
    status_text: str
    problem: str
    detail: str
    since: datetime | None
    probed_at: datetime | None
    last_inbound_at: datetime | None


async def channel_rows(ctx: AppContext, language: str) -> list[ChannelRow]:
    rows = []
    for state in await channel_states(ctx):
        problem = (
            _text(ctx, own_key(ctx, "what", state.problem, state.channel), language)
            if state.problem in {problem.value for problem in Problem}
            else state.problem or ""
        )
        rows.append(
            ChannelRow(
                name=channel_label(ctx, state.channel, language),
                status=state.status,
                status_text=_text(ctx, f"watchdog_state_{state.status}", language),
                problem=problem,
                detail=state.detail,
                since=state.failing_since,
                probed_at=state.probed_at,
                last_inbound_at=state.last_inbound_at,
            )
        )
    return rows
