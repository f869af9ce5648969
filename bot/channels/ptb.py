"""python-telegram-bot, imported without the `cryptography` package it only needs for Passport,
and without httpx's command-line tool.

`import telegram` imports `cryptography` (its Rust bindings and OpenSSL: about 8 MB resident)
to decrypt Telegram Passport data, which this bot never asks for. Importing this module first
imports PTB with `cryptography` hidden, so PTB records it as missing (Passport decryption
would then raise, as without the package) and the process does not load it. Whatever
imports `cryptography` later (the WeChat channel's message encryption) gets it as usual; when
it is already loaded, nothing is hidden.

PTB imports httpx, and `import httpx` tries to import its command-line tool (`httpx._main`,
for the `httpx` command), which imports `click` (installed for uvicorn) and, where they are
installed, `pygments` and `rich`: 3.5–4.6 MB resident for a tool the bot never runs. It is
hidden the same way, so httpx falls back to the stub it has for a missing tool.
"""

from __future__ import annotations

import sys

_HIDDEN = ("cryptography", "httpx._main")


def _import_without_unused_parts() -> None:
    if "telegram" in sys.modules:
        return
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import telegram
        import telegram.ext  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]


_import_without_unused_parts()
