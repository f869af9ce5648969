"""A recording stand-in for the Bot API: PTB's own network layer replaced, nothing else.

Modelled on PTB's `tests/auxil/networking.py` (OfflineRequest): the real `Application` and
`Bot` run unchanged and every API call they make is recorded with its parameters.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from telegram.request import BaseRequest, RequestData


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "prbot",
    "username": "prbot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class ApiCall:
    """One Bot API method call."""

    method: str
    params: dict[str, Any]


@dataclass
class RecordingRequest(BaseRequest):
    """Answers Bot API calls locally and records them."""

    calls: list[ApiCall] = field(default_factory=list)
    fail_with: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _message_id: int = 0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    @property
    def read_timeout(self) -> float | None:
        """No timeouts offline."""
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Record the call and return what the Bot API would."""
        path, _sep, query = url.partition("?")
        api_method = path.rsplit("/", 1)[-1]
        params: dict[str, Any] = {k: _decode(v[0]) for k, v in parse_qs(query).items()}
        if request_data is not None:
            params.update(request_data.parameters)
        self.calls.append(ApiCall(api_method, params))
        if api_method in self.fail_with:
            status, body = self.fail_with[api_method]
            return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(api_method, params)}).encode()

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return []
        if method.startswith("send"):
            self._message_id += 1
            message: dict[str, Any] = {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
            }
            if method == "sendMessage":
                message["text"] = params["text"]
            return message
        return True

    def of(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call to one method."""
        return [c.params for c in self.calls if c.method == method]

    def clear(self) -> None:
        """Forget the calls so far."""
        self.calls.clear()


_update_id = 1000


def _next_update_id() -> int:
    global _update_id
    _update_id += 1
    return _update_id


def user(user_id: int = 42, language_code: str | None = "en") -> dict[str, Any]:
    """A Telegram user."""
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Ana"}
    if language_code is not None:
        data["language_code"] = language_code
    return data


def message_update(
    text: str | None = None,
    *,
    chat_id: int = 42,
    chat_type: str = "private",
    language_code: str | None = "en",
    update_id: int | None = None,
    extra: dict[str, Any] | None = None,
    kind: str = "message",
) -> dict[str, Any]:
    """An update carrying a message (or an edited message, with kind="edited_message")."""
    message: dict[str, Any] = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": chat_type},
        "from": user(chat_id if chat_type == "private" else 42, language_code),
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if extra:
        message.update(extra)
    return {"update_id": update_id or _next_update_id(), kind: message}


def callback_update(
    data: str, *, chat_id: int = 42, language_code: str | None = "en", message_id: int = 5
) -> dict[str, Any]:
    """An update carrying a button press on one of the bot's messages."""
    return {
        "update_id": _next_update_id(),
        "callback_query": {
            "id": f"cb{_next_update_id()}",
            "from": user(chat_id, language_code),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "menu",
            },
        },
    }
