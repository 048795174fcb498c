"""How often aiogram's `Response[Message]` model is built again, and what that costs.

    python -m bench.pydantic_rebuild [--answers 5000] [--every 20]

Reads the same sendMessage answer through aiogram's own path (BaseSession.check_response,
what every API call ends in) `--answers` times, with a full garbage collection every
`--every` answers (a busy worker, which makes and drops ORM objects by the thousand, runs
one every few dozen sends; a model class that survived its first young collections is
freed only by a full one), once as aiogram comes and once with
channels/telegram/response_types imported (each in a fresh interpreter, so neither sees
the other's models). Counts the
`Response[Message]` classes built (a WeakSet of the answers' classes: a class freed by a
collection and built again is a new one) and the time per answer.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
import weakref

ANSWER = json.dumps(
    {
        "ok": True,
        "result": {
            "message_id": 42,
            "date": 1_700_000_000,
            "chat": {"id": 7001, "type": "private", "first_name": "Иван"},
            "from": {"id": 1, "is_bot": True, "first_name": "Leadkeeper", "username": "lk_bot"},
            "text": "Спасибо! Менеджер ответит в течение 30 минут.",
        },
    }
)


def measure(answers: int, every: int, hold: bool) -> dict[str, float]:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.methods import SendMessage

    if hold:
        import channels.telegram.response_types  # noqa: F401

    bot = Bot("42:" + "x" * 35, session=AiohttpSession())
    method = SendMessage(chat_id=7001, text="Спасибо!")
    seen: weakref.WeakSet[type] = weakref.WeakSet()
    built = 0
    collecting = 0.0
    started = time.perf_counter()
    for number in range(1, answers + 1):
        response = bot.session.check_response(bot, method, 200, ANSWER)
        if type(response) not in seen:
            seen.add(type(response))
            built += 1
        del response
        if number % every == 0:
            before = time.perf_counter()
            gc.collect()
            collecting += time.perf_counter() - before
    # The collections themselves cost the same either way: only the answers are counted.
    elapsed = time.perf_counter() - started - collecting
    return {"built": built, "ms_per_answer": elapsed * 1000 / answers, "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--every", type=int, default=20, help="a full collection every N")
    parser.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.answers, args.every, args.hold)))
        return
    results = {}
    for label, extra in (("aiogram as it comes", []), ("Response types held", ["--hold"])):
        command = [sys.executable, "-m", "bench.pydantic_rebuild", "--one"]
        numbers = ["--answers", str(args.answers), "--every", str(args.every)]
        output = subprocess.run(
            [*command, *numbers, *extra], check=True, capture_output=True, text=True
        ).stdout
        results[label] = json.loads(output)
    print(f"{'':22} {'models built':>12} {'ms per answer':>14} {'total s':>8}")
    for label, row in results.items():
        built, per, total = row["built"], row["ms_per_answer"], row["seconds"]
        print(f"{label:22} {built:>12.0f} {per:>14.3f} {total:>8.2f}")
    before, after = results["aiogram as it comes"], results["Response types held"]
    print(
        f"rebuilds: {before['built']:.0f} → {after['built']:.0f}; "
        f"time per answer: {after['ms_per_answer'] / before['ms_per_answer']:.2f} × "
        f"(before / after: {before['ms_per_answer'] / after['ms_per_answer']:.1f} ×)"
    )


if __name__ == "__main__":
    main()
