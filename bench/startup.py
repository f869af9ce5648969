"""Start-up of the Telegram bot as a process, and its peak memory after a burst.

    python -m bench.startup [--runs 5] [--updates 2000] [--users 200] [--env KEY=VALUE ...]

Needs the bench extra (pip install -e '.[test,bench]'). Each run queues a `/start` update on
the fake Bot API (bench/fake_api.py), then starts the bot (t=0 just before the process is
created, a fresh temporary SQLite file for prbot) and takes, on the fake API's clock:

- t=0 to the bot's first getUpdates call (it is ready to receive);
- t=0 to the first reply to that `/start` (queued before the process existed);

then it calibrates, pushes the throughput burst (default 2000 updates from 200 users, as in
bench/throughput.py), waits until every user is answered and reads VmHWM (peak resident
memory) from /proc/<pid>/status; VmHWM is also read right after the first reply. Medians
are printed; the bare PTB echo bot (bench/echo_bot.py) runs too, as the floor.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.blackbox import (
    QUESTIONS,
    BenchError,
    BotProcess,
    burst,
    calibrate,
    exit_on_sigterm,
    median,
    message_update,
    vm_hwm_mib,
    wait_first_get_updates,
    wait_until,
)
from bench.fake_api import FakeApi
from bench.throughput import KINDS, parse_env

START_USER = 8_000_000  # + run: the user who sends /start


def one_run(
    kind: str, api: FakeApi, args: argparse.Namespace, run: int, extra_env: dict[str, str]
) -> dict[str, float]:
    """One start of a bot: its times and memory."""
    workdir = Path(tempfile.mkdtemp(prefix=f"prbot-startup-{kind}-"))
    try:
        api.reset(queue=True)
        api.push([message_update(START_USER + run, "/start", "en", 1)])
        bot = BotProcess(kind, api, workdir, extra_env)
        with bot:  # started_at: just before the process is created
            first_poll = wait_first_get_updates(bot, timeout=args.timeout)
            first_reply = float(
                wait_until(lambda: api.stats()["first_reply"], bot, args.timeout, "reply")
            )
            figures = {
                "first getUpdates (s)": first_poll - bot.started_at,
                "first reply to /start (s)": first_reply - bot.started_at,
                "VmHWM after start (MiB)": vm_hwm_mib(bot.pid),
            }
            if args.updates:
                per_user = -(-args.updates // args.users)
                counts = calibrate(bot, QUESTIONS, per_user, run)
                result = burst(
                    bot,
                    args.updates,
                    args.users,
                    QUESTIONS,
                    counts,
                    first_user=1_000_000 * (run + 1),
                    timeout=args.timeout,
                )
                figures["VmHWM after burst (MiB)"] = vm_hwm_mib(bot.pid)
                figures["burst updates/s"] = result.rate
                if not result.complete:
                    short = result.short_chats
                    print(f"  {kind} run {run + 1}: burst ended early ({short} chats short)")
            figures["exit code"] = float(bot.close() or 0)
        return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    """Run and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--updates", type=int, default=2000, help="burst size; 0: no burst")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per wait")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--only", choices=KINDS, help="run one bot only")
    args = parser.parse_args()
    if args.runs < 1 or args.users < 1 or (args.updates and args.updates < args.users):
        parser.error("need --runs >= 1 and --updates 0 or >= --users >= 1")
    extra_env = parse_env(args.env)
    kinds = (args.only,) if args.only else KINDS
    figures: dict[str, dict[str, list[float]]] = {kind: {} for kind in kinds}
    with FakeApi() as api:
        print(f"fake Bot API: {api.base_url} ({api.flavour}), separate process")
        for run in range(args.runs):
            for kind in kinds:
                started = time.monotonic()
                one = one_run(kind, api, args, run, extra_env)
                for name, value in one.items():
                    figures[kind].setdefault(name, []).append(value)
                shown = ", ".join(
                    f"{name} {value:.2f}" for name, value in one.items() if name != "exit code"
                )
                print(
                    f"run {run + 1} {kind}: {shown}; exit {one['exit code']:.0f}; "
                    f"wall {time.monotonic() - started:.1f} s",
                    flush=True,
                )
    names = [name for name in next(iter(figures.values())) if name != "exit code"]
    print()
    print(f"| measure (median of {args.runs}) | {' | '.join(kinds)} |")
    print("|---|" + "---|" * len(kinds))
    for name in names:
        cells = " | ".join(f"{median(figures[kind].get(name, [])):.2f}" for kind in kinds)
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    exit_on_sigterm()
    try:
        main()
    except BenchError as err:
        sys.exit(f"benchmark failed: {err}")
