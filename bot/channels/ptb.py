"""python-telegram-bot, imported without the `cryptography` package it only needs for Passport.

`import telegram` imports `cryptography` (its Rust bindings and OpenSSL: about 8 MB resident)
to decrypt Telegram Passport data, which this bot never asks for. Importing this module first
imports PTB with `cryptography` hidden, so PTB records it as missing (Passport decryption
would then raise, as without the package) and the process does not load it. Whatever
imports `cryptography` later (the WeChat channel's message encryption) gets it as usual; when
it is already loaded, nothing is hidden.
"""

from __future__ import annotations

import sys


def _import_without_passport_crypto() -> None:
    if "telegram" in sys.modules or "cryptography" in sys.modules:
        return
    sys.modules["cryptography"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import telegram
        import telegram.ext  # noqa: F401
    finally:
        del sys.modules["cryptography"]


_import_without_passport_crypto()
