"""The free-text matcher: latency per message over the labelled questions, and build time.

python -m bench.matcher [--rounds 5] [--malloc off]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from bot import allocator
from bot.config import PROJECT_ROOT
from bot.core.intents import Matcher
from bot.evaluate import load_cases
from bot.knowledge.examples import check_examples, matcher_tables


def main() -> None:
    """Print p50/p99 per language and the build time as a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--malloc", choices=("on", "off"), default="on")
    args = parser.parse_args()
    if args.malloc == "on":
        allocator.tune()  # as `prbot` does at start-up (bot/allocator.py)
    builds = []
    with tempfile.TemporaryDirectory() as cache:  # the first build trains, the others read
        for _ in range(4):
            start = time.perf_counter()
            tables = matcher_tables(check_examples(PROJECT_ROOT / "data" / "intents"))
            matcher = Matcher(*tables, cache=Path(cache))
            builds.append(time.perf_counter() - start)
    gc.collect()
    gc.freeze()  # as `prbot` does after loading: the loaded index is never collected
    cases = load_cases(Path(PROJECT_ROOT / "tests" / "nlu"))
    by_language: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for case in cases:
            start = time.perf_counter()
            matcher.match(case.text)
            by_language.setdefault(case.language, []).append((time.perf_counter() - start) * 1000)
    print("| language | p50 | p99 |")
    print("|---|---|---|")
    everything: list[float] = []
    for language, samples in sorted(by_language.items()):
        samples.sort()
        everything += samples
        p99 = samples[int(0.99 * (len(samples) - 1))]
        print(f"| {language} | {statistics.median(samples):.2f} ms | {p99:.2f} ms |")
    everything.sort()
    p99_all = everything[int(0.99 * (len(everything) - 1))]
    print(f"| all | {statistics.median(everything):.2f} ms | {p99_all:.2f} ms |")
    print(
        f"\nBuilding the matcher at start-up: median {statistics.median(builds[1:]):.2f} s of 3"
        f" with the ridge weights cached, {builds[0]:.2f} s training them (first start)."
    )


if __name__ == "__main__":
    main()
