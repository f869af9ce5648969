"""Engine latency per message (p50/p99) for English and Chinese free text, start-up and memory.

    python -m bench.engine [--rounds 200] [--memo off] [--malloc off] [--repeat 1]

Runs the real engine in-process on a SQLite file, as in production: each message is one unit
of work (dedupe record, conversation, the step's writes, one commit), so the figures are the
cost of matching, composing the answer and the transaction. The event loop is the one `prbot
run` uses (uvloop where it is installed).

The same eight questions per language come again and again, so with the memos on (as `prbot`
runs) nearly every question is one the matcher has seen and every answer one composed this
minute; `--memo off` (PRBOT_MEMO=off) measures each question matched and answered afresh,
which is what a question never asked before costs. `--malloc off` leaves glibc's allocator
as it comes instead of tuning it as `prbot` does (bot/allocator.py). `--repeat N` measures N
times in one process and prints each run's p50 / p99 and their medians: on a shared machine
one run's p99 moves by half between minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot import allocator

QUESTIONS = {
    "en": [
        "how much is the application fee",
        "opning hours?",
        "where is the office",
        "I lost my card what should I do",
        "how do I renew my green card",
        "who can apply for permanent residence",
        "is the office open on saturday",
        "what documents do I need",
    ],
    "zh": [
        "申请费多少钱",
        "几点开门",
        "办公地点在哪里",
        "我的卡丢了怎么办",
        "永居证怎么续签",
        "谁可以申请永久居留",
        "周六开门吗",
        "需要准备什么材料",
    ],
}


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(rounds: int, memo: str = "on") -> dict[str, tuple[float, float]]:
    """Latency per language: (p50, p99) in milliseconds."""
    from bot.app import build_app
    from bot.config import Settings
    from bot.core.types import Inbound, InboundKind

    folder = tempfile.mkdtemp(prefix="prbot-bench-")
    environ = {"PRBOT_DATABASE": f"{folder}/bench.sqlite3", "PRBOT_MEMO": memo}
    cache = os.environ.get("PRBOT_CACHE_DIR")
    if cache:  # a warm start-up cache of one's own (the default folder is shared)
        environ["PRBOT_CACHE_DIR"] = cache
    settings = Settings.from_env(environ, Path("-"))
    app = build_app(settings)
    gc.freeze()  # as `prbot` does after loading: the loaded data is never collected
    await app.start()
    results = {}
    for language, questions in QUESTIONS.items():
        timings = []
        for n in range(rounds):
            for i, text in enumerate(questions):
                inbound = Inbound(
                    "bench",
                    f"{language}{i}",
                    InboundKind.TEXT,
                    dt.datetime.now(dt.UTC),
                    text=text,
                    language_hint=language,
                )
                start = time.perf_counter()
                await app.engine.handle(inbound)
                timings.append((time.perf_counter() - start) * 1000)
            if n == 0:
                timings.clear()  # warm-up round
        results[language] = (percentile(timings, 0.5), percentile(timings, 0.99))
    await app.stop()
    shutil.rmtree(folder)
    return results


def startup() -> tuple[float, float]:
    """Seconds and peak MiB for a fresh process to load everything (`prbot check`)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(['check']))"],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kib / 1024


def main() -> None:
    """Print the figures as a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--memo",
        choices=("on", "off"),
        default="on",
        help="off: every question matched and answered afresh (PRBOT_MEMO=off)",
    )
    parser.add_argument(
        "--malloc",
        choices=("on", "off"),
        default="on",
        help="off: glibc's allocator untuned (PRBOT_MALLOC=off)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs; medians are printed")
    args = parser.parse_args()
    if args.malloc == "on":
        allocator.tune()  # as `prbot` does at start-up
    # on the event loop `prbot run` uses (uvloop where installed), as in production
    from bot.cli import loop_factory

    runs: list[dict[str, tuple[float, float]]] = []
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        for _ in range(args.repeat):
            runs.append(runner.run(measure(args.rounds, args.memo)))
    seconds, mib = startup()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| measure | value |")
    print("|---|---|")
    for language in runs[0]:
        p50 = statistics.median(run[language][0] for run in runs)
        p99 = statistics.median(run[language][1] for run in runs)
        each = ""
        if len(runs) > 1:
            each = (
                " (runs: "
                + ", ".join(f"{run[language][0]:.2f} / {run[language][1]:.2f}" for run in runs)
                + ")"
            )
        print(
            f"| engine latency, {language} free text, p50 / p99 (memos {args.memo}) "
            f"| {p50:.2f} ms / {p99:.2f} ms{each} |"
        )
    print(f"| start-up to ready (`prbot check`, fresh process) | {seconds:.2f} s |")
    print(f"| peak memory of that process | {mib:.0f} MiB |")
    print(f"| peak memory of this benchmark process | {rss:.0f} MiB |")


if __name__ == "__main__":
    main()
