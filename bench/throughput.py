"""Updates per second of the whole Telegram bot as a process, against a bare PTB echo bot.

    python -m bench.throughput [--updates 2000] [--users 200] [--repeat 3]
                               [--env PRBOT_X=Y ...] [--profile [--profiler cprofile]]

Needs the bench extra (pip install -e '.[test,bench]'). One fake Bot API process
(bench/fake_api.py) serves both bots in turn. Each run starts a fresh bot process (prbot with
a fresh temporary SQLite file), waits for its first getUpdates, calibrates (one fresh user
per language asks the questions one at a time: how many replies each question gets; this is
the warm-up too), then queues all updates at once and waits until every chat got the
replies calibration expects. seconds = from the push to the last of those replies, timed by
the fake API. Runs alternate echo, prbot, echo, prbot... and the table shows medians.

Both bots are treated as black boxes: a command line and environment variables.
"""

from __future__ import annotations

import argparse
import io
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.blackbox import (
    QUESTIONS,
    BenchError,
    BotProcess,
    Burst,
    burst,
    calibrate,
    exit_on_sigterm,
    median,
    vm_hwm_mib,
    wait_first_get_updates,
)
from bench.fake_api import FakeApi

KINDS = ("echo", "prbot")


def parse_env(pairs: list[str]) -> dict[str, str]:
    """KEY=VALUE pairs."""
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--env wants KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def one_run(
    kind: str,
    api: FakeApi,
    args: argparse.Namespace,
    run: int,
    extra_env: dict[str, str],
    wrapper: tuple[str, ...] = (),
) -> tuple[Burst, float, int | None]:
    """Start a bot, calibrate, burst, stop. Returns the burst, VmHWM (MiB), exit code."""
    per_user = -(-args.updates // args.users)
    workdir = Path(tempfile.mkdtemp(prefix=f"prbot-bench-{kind}-"))
    try:
        api.reset(queue=True)
        with BotProcess(kind, api, workdir, extra_env, wrapper) as bot:
            try:
                wait_first_get_updates(bot, timeout=args.timeout)
                counts = calibrate(bot, QUESTIONS, per_user, run)
                if args.verbose:
                    print(f"  {kind} replies per question: {counts}", file=sys.stderr)
                result = burst(
                    bot,
                    args.updates,
                    args.users,
                    QUESTIONS,
                    counts,
                    first_user=1_000_000 * (run + 1),
                    timeout=args.timeout,
                    quiet=args.quiet,
                )
                hwm = vm_hwm_mib(bot.pid)
            except BenchError:
                raise
            except BaseException:
                print(bot.tail(), file=sys.stderr)
                raise
            code = bot.close()
        return result, hwm, code
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def describe(result: Burst) -> str:
    """One line about a run."""
    end = "all answered" if result.complete else f"ENDED EARLY, {result.short_chats} chats short"
    return (
        f"{result.updates} updates in {result.seconds:.2f} s = {result.rate:.0f}/s; "
        f"replies {result.replies}/{result.expected} expected (sendMessage "
        f"{result.send_message}), peak {result.peak_per_second} replies in one second, "
        f"{result.get_updates_calls} getUpdates; CPU s bot {result.bot_cpu:.2f}, "
        f"fake API {result.api_cpu:.2f}; {end}"
    )


def profile(api: FakeApi, args: argparse.Namespace, extra_env: dict[str, str]) -> None:
    """One more prbot run under a profiler; print where the time goes."""
    out = Path(tempfile.mkdtemp(prefix="prbot-bench-profile-"))
    if args.profiler == "pyinstrument":
        target = out / "prbot.pyisession"
        wrapper: tuple[str, ...] = ("-m", "pyinstrument", "-r", "pyisession", "-o", str(target))
    else:
        target = out / "prbot.prof"
        wrapper = ("-m", "cProfile", "-o", str(target))
    result, _, code = one_run("prbot", api, args, args.repeat + 1, extra_env, wrapper)
    print(f"\nprofiled prbot run ({args.profiler}, slower than unprofiled): {describe(result)}")
    if not target.exists():
        print(f"no profile written (exit code {code})")
        return
    kept = Path(args.profile_out) if args.profile_out else target
    if kept != target:
        shutil.copyfile(target, kept)
    if args.profiler == "pyinstrument":
        text = subprocess.run(
            [
                sys.executable,
                "-m",
                "pyinstrument",
                "--load",
                str(target),
                "-r",
                "text",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ).stdout
        print("\n".join(text.splitlines()[:120]))
    else:
        for order, count in (("cumulative", 25), ("tottime", 25)):
            buffer = io.StringIO()
            stats = pstats.Stats(str(target), stream=buffer)
            stats.strip_dirs().sort_stats(order).print_stats(count)
            print(f"\ntop {count} by {order}:")
            lines = buffer.getvalue().splitlines()
            start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
            print("\n".join(lines[max(start - 3, 0) :]))
    print(f"\nprofile kept in {kept}")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per wait")
    parser.add_argument(
        "--quiet",
        type=float,
        default=5.0,
        help="end a burst early when no reply came for this long (and every user got one)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for both bots, e.g. a send rate of the bot (repeatable)",
    )
    parser.add_argument("--only", choices=KINDS, help="run one bot only")
    parser.add_argument("--profile", action="store_true", help="one more prbot run, profiled")
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument("--profile-out", help="where to keep the profile file")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.users < 1 or args.updates < args.users or args.repeat < 1:
        parser.error("need --repeat >= 1 and --updates >= --users >= 1")
    extra_env = parse_env(args.env)
    kinds = (args.only,) if args.only else KINDS

    results: dict[str, list[Burst]] = {kind: [] for kind in kinds}
    memory: dict[str, list[float]] = {kind: [] for kind in kinds}
    with FakeApi() as api:
        print(f"fake Bot API: {api.base_url} ({api.flavour}), separate process")
        print(
            "send limits: the echo bot has none (PTB without a rate limiter); prbot's own "
            "limits are not visible from outside: extra env "
            + (" ".join(f"{k}={v}" for k, v in extra_env.items()) or "none")
            + "; see 'peak replies in one second' below"
        )
        for run in range(args.repeat):
            for kind in kinds:
                started = time.monotonic()
                result, hwm, code = one_run(kind, api, args, run, extra_env)
                results[kind].append(result)
                memory[kind].append(hwm)
                print(
                    f"run {run + 1} {kind}: {describe(result)}; VmHWM {hwm:.0f} MiB; "
                    f"exit {code}; wall {time.monotonic() - started:.1f} s",
                    flush=True,
                )
        print()
        print("| bot | updates | users | seconds | updates/s | ratio full/echo | VmHWM |")
        print("|---|---|---|---|---|---|---|")
        echo_rate = median([r.rate for r in results.get("echo", [])])
        for kind in kinds:
            seconds = median([r.seconds for r in results[kind]])
            rates = [r.rate for r in results[kind]]
            rate = median(rates)
            ratio = rate / echo_rate if echo_rate == echo_rate and echo_rate else float("nan")
            spread = f" ({min(rates):.0f}–{max(rates):.0f})" if len(rates) > 1 else ""
            print(
                f"| {'echo (bare PTB)' if kind == 'echo' else 'prbot (full)'} | {args.updates} "
                f"| {args.users} | {seconds:.2f} | {rate:.0f}{spread} | {ratio:.2f} "
                f"| {median(memory[kind]):.0f} MiB |"
            )
        print(f"\nmedian of {args.repeat}; updates/s = updates / seconds (min–max in brackets)")
        if len(kinds) == 2:
            pairs = zip(results["echo"], results["prbot"], strict=True)
            paired = [full.rate / echo.rate for echo, full in pairs]
            shown = ", ".join(f"{ratio:.2f}" for ratio in paired)
            print(f"ratio full/echo run by run: {shown}; median {median(paired):.2f}")
        if any(not r.complete for rs in results.values() for r in rs):
            print("WARNING: some runs ended before every chat got its expected replies")
        if args.profile:
            profile(api, args, extra_env)


if __name__ == "__main__":
    exit_on_sigterm()
    try:
        main()
    except BenchError as err:
        sys.exit(f"benchmark failed: {err}")
