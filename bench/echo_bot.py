"""The baseline for bench/throughput.py: a bare python-telegram-bot echo bot.

    TELEGRAM_BOT_TOKEN=123:x TELEGRAM_API_URL=http://127.0.0.1:PORT/bot python -m bench.echo_bot

An Application with one MessageHandler that replies with the message's text, long polling,
PTB's defaults otherwise (updates handled one at a time, like prbot's Application). Set
ECHO_CONCURRENT_UPDATES=N to let PTB handle N updates at once instead.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main() -> None:
    """Run until SIGTERM or SIGINT."""
    builder = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org/bot"))
    )
    concurrent = int(os.environ.get("ECHO_CONCURRENT_UPDATES", "0") or 0)
    if concurrent > 1:
        builder = builder.concurrent_updates(concurrent)
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)


if __name__ == "__main__":
    main()
