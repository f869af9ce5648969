"""Passive-reply latency of the WeChat channel under concurrent followers.

    python -m bench.wechat [--followers 50] [--questions 20] [--repeat 3] [--think 0]

Starts `prbot serve` (fresh temporary SQLite file) with the WeChat channel pointed at the
local fake WeChat API (tests/channels/wechat/fake_wechat_api.py, a thread in this process),
then every follower subscribes and asks its questions one after another, as a person does,
all followers at once. Latency: from sending the signed callback to having the whole passive
reply, as the client sees it over 127.0.0.1. With `--think 0` every follower asks again the
moment its reply arrives: a saturated server; `--think 1` is closer to people typing. The
first round (subscribe) is reported apart: it includes the user/info lookup of the language.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.blackbox import BenchError, exit_on_sigterm
from tests.channels.wechat.fake_wechat_api import (
    FakeWeChatApi,
    event_xml,
    signed_query,
    text_xml,
)
from tests.channels.wechat.serve_process import TOKEN, ServeProcess

QUESTIONS = (
    "办公时间",
    "申请费多少钱",
    "how much is the application fee",
    "/hours",
    "我的卡丢了怎么办",
    "when does the office open on saturday",
    "换证需要什么材料",
    "/address",
    "who can apply for permanent residence",
    "1",
)


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


class Connection:
    """One follower's keep-alive HTTP/1.1 connection, each request written in one piece.

    (httpx writes the headers and the body separately; against the server's delayed ACK that
    adds about 40 ms to every POST, which would be measured as the bot's latency.)
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def post(self, xml: str) -> tuple[int, str]:
        """POST a signed callback; the status and the body."""
        body = xml.encode()
        path = "/wechat?" + urlencode(signed_query(TOKEN))
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _sep, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        content = await self.reader.readexactly(length)
        return int(status_line.split()[1]), content.decode("utf-8")

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def follower(
    port: int,
    user: str,
    offset: int,
    questions: int,
    ids: itertools.count[int],
    think: float,
) -> tuple[float, list[float]]:
    """Subscribe, then ask; the subscribe latency and each question's latency (seconds)."""
    connection = await Connection.open(port)

    async def post(xml: str) -> float:
        started = time.perf_counter()
        status, text = await connection.post(xml)
        elapsed = time.perf_counter() - started
        if status != 200 or "<Content>" not in text:
            raise BenchError(f"no passive reply: HTTP {status} {text[:80]!r}")
        return elapsed

    try:
        welcome = await post(event_xml(user, "subscribe"))
        asked = []
        for number in range(questions):
            question = QUESTIONS[(offset + number) % len(QUESTIONS)]
            if think:  # a person reads the answer before asking again; start times spread out
                await asyncio.sleep(think * (0.5 + ((offset * 7 + number) % 10) / 10))
            asked.append(await post(text_xml(user, question, next(ids))))
    finally:
        await connection.close()
    return welcome, asked


async def run_once(
    bot: ServeProcess, followers: int, questions: int, run: int, think: float = 0.0
) -> dict[str, float]:
    """One round of all followers at once; the figures in milliseconds."""
    ids = itertools.count(run * 10_000_000 + 1)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            follower(bot.port, f"oBench{run}x{n:04d}", n, questions, ids, think)
            for n in range(followers)
        )
    )
    wall = time.perf_counter() - started
    welcomes = [w for w, _asked in results]
    asked = [latency for _w, latencies in results for latency in latencies]
    return {
        "p50": percentile(asked, 0.50) * 1000,
        "p99": percentile(asked, 0.99) * 1000,
        "max": max(asked) * 1000,
        "welcome_p50": percentile(welcomes, 0.50) * 1000,
        "welcome_p99": percentile(welcomes, 0.99) * 1000,
        "per_second": (len(asked) + len(welcomes)) / wall,
        "count": len(asked),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m bench.wechat")
    parser.add_argument("--followers", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a follower waits (on average) between a reply and its next question",
    )
    args = parser.parse_args(argv)
    exit_on_sigterm()
    rounds = []
    with tempfile.TemporaryDirectory() as tmp, FakeWeChatApi() as fake:
        workdir = Path(tmp)
        bot = ServeProcess(
            fake.base_url,
            workdir / "bench.sqlite3",
            workdir,
            extra_env={"PRBOT_LOG_LEVEL": "WARNING"},
        )
        try:
            bot.wait_ready()
            asyncio.run(run_once(bot, 5, 2, run=0))  # warm-up
            for run in range(1, args.repeat + 1):
                figures = asyncio.run(
                    run_once(bot, args.followers, args.questions, run, args.think)
                )
                rounds.append(figures)
                print(
                    f"run {run}: p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, "
                    f"{figures['per_second']:.0f} callbacks/s",
                    file=sys.stderr,
                )
        except BenchError as err:
            print(f"bench.wechat: {err}", file=sys.stderr)
            return 1
        finally:
            bot.stop()
    median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(
        f"| measure ({args.followers} followers, think {args.think:g} s, median of "
        f"{args.repeat} runs) | value |"
    )
    print("|---|---|")
    print(
        f"| passive reply to a question, p50 / p99 | {median['p50']:.1f} ms / "
        f"{median['p99']:.1f} ms |"
    )
    print(f"| slowest question | {median['max']:.1f} ms |")
    print(
        f"| welcome on subscribe (with user/info), p50 / p99 | {median['welcome_p50']:.1f} ms"
        f" / {median['welcome_p99']:.1f} ms |"
    )
    print(f"| callbacks answered per second | {median['per_second']:.0f} |")
    print(f"| questions per run | {int(median['count'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
