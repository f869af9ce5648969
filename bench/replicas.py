"""Updates per second of one versus two `prbot serve` replicas on one PostgreSQL database.

    python -m bench.replicas [--updates 2000] [--users 200] [--repeat 3]

Everything on 127.0.0.1: a throwaway PostgreSQL cluster (tests/pg_server.py), the fake Bot API
(bench/fake_api.py, its own process), and `prbot serve` replicas with Telegram in webhook mode
(tests/channels/telegram_serve.py: TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET,
PRBOT_DATABASE_URL, PRBOT_HTTP_PORT, PRBOT_RATE_LIMIT=off). Updates are POSTed to the replicas'
/telegram routes as Telegram does (a user's next update after the 200 for the previous one,
users concurrently, replicas in turn), and the replies are counted at the fake Bot API until
every update is answered (the replies each question gets are calibrated first with one user).
Rate = updates / (first post .. last reply). Each configuration gets its own database; the
figure is the median of the repeats. Every process is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.blackbox import (
    LANGUAGES,
    QUESTIONS,
    cpu_seconds,
    exit_on_sigterm,
    message_update,
    sequence,
)
from bench.fake_api import FakeApi
from tests.channels.telegram_serve import SECRET, WebhookReplica
from tests.pg_server import PostgresServer

UPDATE_IDS = itertools.count(1)


def postgres_cpu(server: PostgresServer) -> float:
    """CPU seconds used so far by the cluster: its running processes (their working directory
    is the data directory) plus the children the postmaster has reaped (cutime + cstime)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd") == str(server.data_dir):
                    total += cpu_seconds(int(entry))
            except OSError:
                continue
    try:
        postmaster = (server.data_dir / "postmaster.pid").read_text().split()[0]
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        pass
    return total


def cpu_now(server: PostgresServer, api: FakeApi, replicas: list[WebhookReplica]) -> list[float]:
    """CPU seconds so far of: the replicas together, PostgreSQL, the fake API, this process."""
    assert api.process is not None
    return [
        sum(cpu_seconds(r.process.pid) for r in replicas),
        postgres_cpu(server),
        cpu_seconds(api.process.pid),
        time.process_time(),
    ]


def update(user: int, text: str, message_id: int) -> dict[str, Any]:
    """A whole update body as Telegram posts it to a webhook."""
    body = message_update(user, text, LANGUAGES[user % 2], message_id)
    body["update_id"] = next(UPDATE_IDS)
    return body


def replies_of(api: FakeApi, chats: list[int]) -> int:
    """Replies the fake Bot API counted for these chats."""
    replies = api.stats()["replies"]
    return sum(int(replies.get(str(chat), 0)) for chat in chats)


def wait_replies(api: FakeApi, chats: list[int], expected: int, timeout: float) -> float:
    """Until the chats got `expected` replies; the fake API's monotonic time of the last one."""
    deadline = time.monotonic() + timeout
    while True:
        stats = api.stats()
        got = sum(int(stats["replies"].get(str(chat), 0)) for chat in chats)
        if got >= expected:
            return float(stats["last_reply"])
        if time.monotonic() >= deadline:
            raise RuntimeError(f"only {got} of {expected} replies within {timeout:.0f} s")
        time.sleep(0.05)


def calibrate(api: FakeApi, replica: WebhookReplica, user: int, questions: list[str]) -> int:
    """Replies one user gets for the questions asked in order (each waited out until quiet)."""
    total = 0
    with httpx.Client(timeout=15.0) as client:
        for n, text in enumerate(questions, start=1):
            answer = replica.post_update(update(user, text, n), client=client)
            answer.raise_for_status()
            start = time.monotonic()
            changed = start
            while True:
                now_count = replies_of(api, [user])
                now = time.monotonic()
                if now_count != total:
                    total, changed = now_count, now
                elif now - changed >= 0.5 and now_count > 0:
                    break
                if now - start > 15:
                    raise RuntimeError(f"no reply to {text!r} while calibrating")
                time.sleep(0.02)
    return total


class Poster:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, one connection per replica:
    httpx's AsyncClient used more CPU than the replica it fed, on the same two cores."""

    def __init__(self) -> None:
        self._streams: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}

    async def post(self, port: int, body: bytes) -> int:
        """POST /telegram with the secret header; the status code."""
        if port not in self._streams:
            self._streams[port] = await asyncio.open_connection("127.0.0.1", port)
        reader, writer = self._streams[port]
        try:
            writer.write(
                b"POST /telegram HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            return int(lines[0].split()[1])
        except BaseException:
            self._streams.pop(port, None)
            writer.close()
            raise

    def close(self) -> None:
        """Close every connection."""
        for _reader, writer in self._streams.values():
            writer.close()
        self._streams.clear()


async def post_all(
    replicas: list[WebhookReplica], bodies: dict[int, list[dict[str, Any]]]
) -> None:
    """Each user's updates in turn (next after the 200), users concurrently, replicas in turn;
    an update that got no 200 (or a broken connection) is posted again, as Telegram does."""
    turn = itertools.count()

    async def user(updates: list[dict[str, Any]]) -> None:
        poster = Poster()
        try:
            for body in updates:
                data = json.dumps(body).encode()
                replica = replicas[next(turn) % len(replicas)]
                status: int | str = "none"
                for _attempt in range(5):
                    try:
                        status = await poster.post(replica.port, data)
                    except (OSError, asyncio.IncompleteReadError) as err:
                        status = repr(err)
                    if status == 200:
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise RuntimeError(f"update refused: {status}")
        finally:
            poster.close()

    await asyncio.gather(*(user(updates) for updates in bodies.values()))


def run_config(
    server: PostgresServer, api: FakeApi, count: int, args: argparse.Namespace, workdir: Path
) -> list[float]:
    """updates/s of each repeat with `count` replicas on a fresh database."""
    dsn = server.dsn(server.create_database(f"replicas{count}"))
    replicas: list[WebhookReplica] = []
    try:
        for n in range(count):
            replicas.append(
                WebhookReplica(
                    api.base_url,
                    dsn,
                    workdir,
                    log=workdir / f"r{count}-{n}.log",
                    extra_env={"PRBOT_OUTBOX_LEASE": str(args.outbox_lease)},
                )
            )
        for replica in replicas:
            replica.wait_ready()
        per_user = args.updates // args.users
        questions = sequence(QUESTIONS, per_user)
        base = 1_000_000 * count
        expected_per_user = {
            lang: calibrate(api, replicas[0], base + 900_000 + i, questions)
            for i, lang in enumerate(LANGUAGES)
        }
        rates = []
        for run in range(args.repeat):
            first = base + 10_000 * (run + 1)
            users = list(range(first, first + args.users))
            bodies = {
                u: [update(u, text, n) for n, text in enumerate(questions, start=1)] for u in users
            }
            expected = sum(expected_per_user[LANGUAGES[u % 2]] for u in users)
            cpu_before = cpu_now(server, api, replicas)
            started = time.monotonic()
            asyncio.run(asyncio.wait_for(post_all(replicas, bodies), args.timeout))
            last = wait_replies(api, users, expected, args.timeout)
            for replica in replicas:
                if replica.process.poll() is not None:
                    raise RuntimeError(f"a replica exited with {replica.process.returncode}")
            cpu = [b - a for a, b in zip(cpu_before, cpu_now(server, api, replicas), strict=True)]
            time.sleep(0.5)
            extra = replies_of(api, users) - expected
            rate = len(users) * per_user / (last - started)
            rates.append(rate)
            print(
                f"  {count} replica(s), run {run + 1}: {len(users) * per_user} updates, "
                f"{expected} replies (+{extra} extra) in {last - started:.2f} s "
                f"= {rate:.0f} updates/s; CPU s: replicas {cpu[0]:.1f}, PostgreSQL {cpu[1]:.1f}, "
                f"fake API {cpu[2]:.1f}, poster {cpu[3]:.1f}",
                flush=True,
            )
        return rates
    finally:
        for replica in replicas:
            try:
                replica.stop()
            except Exception:  # never leave a replica running
                replica.process.kill()


def main() -> None:
    """Start PostgreSQL and the fake API, run one then two replicas, print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--outbox-lease",
        type=float,
        default=60.0,
        help="PRBOT_OUTBOX_LEASE of the replicas, seconds (the default; the tests use 2)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per burst")
    args = parser.parse_args()
    exit_on_sigterm()
    server = PostgresServer()
    server.start()
    results: dict[int, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="prbot-replicas-") as tmp, FakeApi() as api:
            for count in (1, 2):
                results[count] = run_config(server, api, count, args, Path(tmp))
    finally:
        server.stop()
    print()
    print(f"| replicas | updates/s, median of {args.repeat} | runs |")
    print("|---|---|---|")
    for count, rates in results.items():
        runs = ", ".join(f"{r:.0f}" for r in rates)
        print(f"| {count} | {statistics.median(rates):.0f} | {runs} |")


if __name__ == "__main__":
    main()
