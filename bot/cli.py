"""The `prbot` command: Telegram when a token is set, the console chat otherwise."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot import allocator
from bot.config import PROJECT_ROOT, ConfigError, Settings

if TYPE_CHECKING:
    from bot.app import BotApp
    from bot.runtime import Channel
    from bot.storage.sqlite import SqliteStore

CONNECT_HINT = (
    "Console mode (no TELEGRAM_BOT_TOKEN set). To connect Telegram, get a token from "
    "@BotFather and run: TELEGRAM_BOT_TOKEN=123456:ABC... prbot"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="prbot",
        description="Assistant for the Beijing Foreign Permanent Resident ID Card.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser(
        "serve",
        help="run the HTTP server (WeChat, Telegram webhooks, /healthz, /readyz, /metrics), "
        "reminders and Telegram polling",
    )
    sub.add_parser("wechat-menu", help="publish the WeChat custom menu (needs WECHAT_* settings)")
    sub.add_parser("console", help="chat with the bot in this terminal, offline")
    sub.add_parser("check", help="load data, catalogs and settings, then exit")
    evaluate = sub.add_parser("evaluate", help="matcher accuracy on the labelled questions")
    evaluate.add_argument("--tests", type=Path, default=PROJECT_ROOT / "tests" / "nlu")
    evaluate.add_argument("--misses", action="store_true", help="list every miss")
    evaluate.add_argument(
        "--folds",
        type=int,
        default=5,
        help="k of the k-fold cross-validation over the examples (0: none)",
    )
    evaluate.add_argument(
        "--fixed",
        type=Path,
        metavar="DIR",
        help="cross-validate only the examples of DIR (an earlier data/intents or"
        " data/pathway_intents), dealt as they were; newer examples are always trained on",
    )
    evaluate.add_argument(
        "--pathways",
        action="store_true",
        help="measure the pathway matcher on tests/nlu/pathways.yaml instead",
    )
    sub.add_parser("diagram", help="print the state diagram (Mermaid) of the dialogue")
    stats = sub.add_parser("stats", help="answers and ratings per topic, unplaced questions")
    stats.add_argument("--unplaced", type=int, default=30, help="how many questions to list")
    return parser.parse_args(argv)


async def format_stats(store: SqliteStore, unplaced: int) -> str:
    """Counts per topic and the latest questions the bot could not place."""
    async with store:
        stats = await store.topic_stats()
        questions = await store.unplaced(unplaced)
    lines = [f"{'topic':<16} {'answered':>8} {'helpful':>8} {'not helpful':>11}"]
    lines += [f"{s.topic:<16} {s.asked:>8} {s.helpful:>8} {s.unhelpful:>11}" for s in stats]
    if not stats:
        lines.append("(no answers yet)")
    lines += ["", f"questions the bot could not place (latest {len(questions)}):"]
    lines += [f"  {when} [{language or '?'}] {text}" for when, language, text in questions]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `prbot` command; returns the exit code."""
    args = parse_args(argv)
    if args.command == "diagram":
        from bot.core.dialogue import build_dialogue
        from bot.core.engine import mermaid

        print(mermaid(build_dialogue()))
        return 0
    try:
        settings = Settings.from_env()
    except ConfigError as err:
        print(f"prbot: configuration error: {err}", file=sys.stderr)
        return 2
    allocator.tune(settings.malloc)  # before anything large is loaded (bot/allocator.py)
    logging.basicConfig(
        level=settings.log_level_number,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(max(settings.log_level_number, logging.WARNING))
    mode = args.command or ("run" if settings.telegram_token else "console")
    if mode == "run" and not settings.telegram_token:
        print(
            "prbot: TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather, or use "
            "'prbot console' to chat offline.",
            file=sys.stderr,
        )
        return 2

    if mode == "run" and settings.telegram_webhook_url:
        print(
            "prbot: TELEGRAM_WEBHOOK_URL is set: webhooks are received by 'prbot serve' (or "
            "unset it to poll with 'prbot run').",
            file=sys.stderr,
        )
        return 2

    if mode == "wechat-menu":
        return publish_wechat_menu(settings)

    from bot.app import build_app
    from bot.knowledge.loader import KnowledgeError

    try:
        app = build_app(settings)
    except (KnowledgeError, OSError) as err:
        print(f"prbot: cannot start: {err}", file=sys.stderr)
        return 2
    if mode == "stats":
        from bot.storage.sqlite import SqliteStore

        store = SqliteStore(settings.database, read_only=True)
        print(asyncio.run(format_stats(store, args.unplaced)))
        return 0
    if mode == "evaluate":
        from functools import partial

        from bot.core.intents import Matcher
        from bot.evaluate import cross_validate, evaluate, format_report, load_cases
        from bot.knowledge.examples import check_examples, matcher_tables

        services = app.engine.services
        if args.pathways and services.pathways is not None:
            cases = load_cases(args.tests / "pathways.yaml")
            report = evaluate(services.pathways, cases, as_pathways=True)
            folder = "pathway_intents"
        else:
            report = evaluate(services.matcher, load_cases(args.tests), services.pathways)
            folder = "intents"
        folds = None
        if args.folds > 1:
            tables = matcher_tables(check_examples(settings.data_dir / folder))
            second = None if args.pathways else services.pathways
            # as the bot builds them: the pathway matcher without the ridge classifier
            build = partial(Matcher, ridge=0.0) if args.pathways else Matcher
            fixed = matcher_tables(check_examples(args.fixed)) if args.fixed else None
            folds = cross_validate(
                tables,
                args.folds,
                build=build,
                pathways=second,
                as_pathways=args.pathways,
                fixed=fixed,
            )
        print(format_report(report, show_misses=args.misses, folds=folds))
        return 0
    if mode == "check":
        print(f"ok: {len(app.knowledge.offices)} offices, languages {', '.join(app.translators)}")
        return 0
    if mode == "console":
        if args.command is None:
            print(CONNECT_HINT)
        if settings.log_level_number > logging.DEBUG:
            logging.getLogger().setLevel(logging.WARNING)
    return serve(app, mode)


def publish_wechat_menu(settings: Settings) -> int:
    """Publish the WeChat custom menu; one line and exit code 1 when it fails."""
    if settings.wechat is None:
        print("prbot: the WeChat menu was not published: WECHAT_TOKEN is not set", file=sys.stderr)
        return 1
    from bot.channels.wechat.api import WeChatApi, WeChatApiError, WeChatUnavailable
    from bot.channels.wechat.channel import build_menu
    from bot.i18n import load_translators

    wechat = settings.wechat
    try:
        chinese = load_translators(settings.locales_dir)["zh"]
    except (OSError, KeyError) as err:
        print(f"prbot: the WeChat menu was not published: no Chinese catalog ({err})")
        return 1
    menu = build_menu(chinese.gettext)

    async def publish() -> None:
        async with WeChatApi(wechat.app_id, wechat.app_secret, wechat.api_url) as api:
            await api.create_menu(menu)

    try:
        asyncio.run(publish())
    except (WeChatApiError, WeChatUnavailable) as err:
        print(f"prbot: the WeChat menu was not published: {err}", file=sys.stderr)
        return 1
    count = sum(len(button["sub_button"]) for button in menu["button"])
    print(f"WeChat menu published: {len(menu['button'])} menus, {count} items")
    return 0


def serve(app: BotApp, mode: str) -> int:
    """Run the channels of `mode` until end of input, SIGINT or SIGTERM; the exit code.

    `serve` runs the HTTP server with the web channels (WeChat), Telegram polling when a
    token is set, and the reminder loop, all in one runtime. A database that cannot be used,
    or a port that cannot be listened on, ends the start-up with one line and exit code 1.
    """
    from bot.core.ports import StoreError
    from bot.runtime import Runtime

    # Everything loaded so far (facts, catalogs, the matcher's index) lives as long as the
    # process: keep it out of the garbage collector's scans, which otherwise cost milliseconds
    # on ordinary messages.
    gc.freeze()
    stop = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        channels: list[Channel]
        if mode == "console":
            from bot.channels.console import ConsoleChannel

            channels = [ConsoleChannel(app, on_end=stop.set)]
        elif mode == "serve":
            channels = serve_channels(app)
        else:
            from bot.channels.telegram import TelegramChannel

            channels = [TelegramChannel(app)]
        await Runtime(app, channels).run(stop)

    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(run())
    except StoreError as err:
        if stop.is_set():  # asked to stop while the database was still being opened
            return 0
        where = app.settings.database_label
        print(f"prbot: cannot use the database at {where}: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        settings = app.settings
        print(
            f"prbot: cannot listen on {settings.http_host}:{settings.http_port} "
            f"(PRBOT_HTTP_HOST, PRBOT_HTTP_PORT): {err}",
            file=sys.stderr,
        )
        return 1
    return 0


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (Linux, macOS), else asyncio's own.

    Each update wakes the loop several times (the poll, aiosqlite's thread, every reply's
    HTTP answer); uvloop's C loop costs a fraction of asyncio's per wake-up.
    """
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def serve_channels(app: BotApp) -> list[Channel]:
    """The channels of `prbot serve`: WeChat if configured, Telegram if a token is set, and
    the HTTP server last, so the channels whose routes it serves are ready before it listens."""
    from bot.web import Operations, WebChannel, WebServer

    settings = app.settings
    channels: list[Channel] = []
    web: list[WebChannel] = [Operations(app.store, app.metrics)]
    if settings.wechat is not None:
        from bot.channels.wechat.channel import WeChatChannel

        wechat = WeChatChannel(app, settings.wechat)
        channels.append(wechat)
        web.append(wechat)
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(app)
        channels.append(telegram)
        web.append(telegram)
    if not channels:
        logging.getLogger(__name__).warning(
            "no channel is configured (WECHAT_TOKEN, TELEGRAM_BOT_TOKEN): only /healthz and "
            "the reminder loop run"
        )
    channels.append(WebServer(settings.http_host, settings.http_port, web))
    return channels


if __name__ == "__main__":
    sys.exit(main())
