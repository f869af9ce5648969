"""What importing python-telegram-bot loads (bot/channels/ptb.py): neither `cryptography` (only
for Telegram Passport) nor httpx's command-line tool (click, pygments), in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import json, sys
import bot.channels.telegram  # the Telegram channel, as `prbot run` imports it
names = ("cryptography", "click", "pygments", "httpx._main")
loaded = {name: name in sys.modules for name in names}
import httpx, telegram
url = httpx.URL("https://api.telegram.org/bot1:x/getMe")
loaded["httpx_works"] = url.host == "api.telegram.org"
loaded["ptb_works"] = telegram.Bot("1:x").token == "1:x"
from bot.channels.wechat import crypto  # the WeChat channel still gets cryptography
loaded["cryptography_later"] = "cryptography" in sys.modules
print(json.dumps(loaded))
"""


def test_telegram_loads_without_passport_crypto_or_the_httpx_tool() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == {
        "cryptography": False,
        "click": False,
        "pygments": False,
        "httpx._main": False,
        "httpx_works": True,
        "ptb_works": True,
        "cryptography_later": True,
    }
