"""A real `prbot serve` process on 127.0.0.1 with the WeChat channel, for the tests and bench."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bot.channels.wechat.crypto import MessageCrypto
from bot.channels.wechat.messages import IncomingMessage, extract_encrypted, parse_message
from tests.channels.wechat.fake_wechat_api import APP_ID, APP_SECRET, signed_query
from tests.serve_process import ServedBot

TOKEN = "prbotTestToken1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class ServeProcess(ServedBot):
    """`prbot serve` with WECHAT_* pointing at a fake WeChat API; a client for its callbacks."""

    def __init__(
        self,
        api_url: str,
        database: Path,
        workdir: Path,
        *,
        safe_mode: bool = False,
        template_id: str | None = "TEMPLATE-1",
        extra_env: dict[str, str] | None = None,
        log: Path | None = None,
    ) -> None:
        self.crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID) if safe_mode else None
        super().__init__(
            {
                "WECHAT_TOKEN": TOKEN,
                "WECHAT_APP_ID": APP_ID,
                "WECHAT_APP_SECRET": APP_SECRET,
                "WECHAT_API_URL": api_url,
                "PRBOT_DATABASE": str(database),
                **({"WECHAT_ENCODING_AES_KEY": AES_KEY} if safe_mode else {}),
                **({"WECHAT_TEMPLATE_ID": template_id} if template_id else {}),
                **(extra_env or {}),
            },
            workdir,
            log,
        )

    def post(self, xml: str, **query: Any) -> httpx.Response:
        """POST a callback as WeChat does (signed, encrypted in safe mode)."""
        params = {**signed_query(TOKEN), **query}
        body = xml
        if self.crypto is not None:
            body, params = encrypt_callback(self.crypto, xml, params)
        return self.client.post("/wechat", params=params, content=body.encode())

    def reply(self, response: httpx.Response) -> IncomingMessage | None:
        """The passive reply in a response (decrypted and checked in safe mode)."""
        assert response.status_code == 200, response.text
        if response.text == "success":
            return None
        xml = response.text
        if self.crypto is not None:
            xml = decrypt_reply(self.crypto, xml)
        return parse_message(xml)


def encrypt_callback(
    crypto: MessageCrypto, xml: str, params: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """A safe-mode callback body and its query, as WeChat sends them."""
    from bot.channels.wechat.crypto import msg_signature

    encrypted = crypto.encrypt_text(xml)
    query = {
        **params,
        "encrypt_type": "aes",
        "msg_signature": msg_signature(TOKEN, params["timestamp"], params["nonce"], encrypted),
    }
    body = (
        "<xml><ToUserName><![CDATA[gh_prbot]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    return body, query


def decrypt_reply(crypto: MessageCrypto, envelope: str) -> str:
    """The passive reply inside a safe-mode envelope, after checking its signature."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(envelope)
    signature = root.findtext("MsgSignature") or ""
    timestamp = root.findtext("TimeStamp") or ""
    nonce = root.findtext("Nonce") or ""
    return crypto.verify_and_decrypt(signature, timestamp, nonce, extract_encrypted(envelope))
