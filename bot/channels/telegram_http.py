"""python-telegram-bot's network layer on aiohttp: the same contract as PTB's HTTPXRequest.

Every reply is one Bot API call, so the cost of one HTTP request is most of what a reply
costs. PTB's default `HTTPXRequest` (httpx over httpcore and anyio) spends about 1 ms of CPU
on a request to a local server; aiohttp's client, with its C HTTP parser, about 0.2 ms
(docs/performance.md). This class keeps PTB's contract, so PTB's own methods, `checked_answer`
and the runtime's retry logic see exactly what they saw before:

- `do_request` returns the status and the raw body of any answer (PTB turns 4xx/5xx into
  BadRequest, Forbidden, RetryAfter... itself);
- a timeout raises `TimedOut`, any other failure of the connection `NetworkError`;
- parameters go as one JSON object (`application/json`, which the Bot API accepts for every
  method; encoding it is a C call where a urlencoded form cost 0.1 ms a request), files as
  `multipart/form-data` of JSON-encoded values, as HTTPXRequest sends them.
"""

from __future__ import annotations

import bot.channels.ptb  # noqa: F401  # before telegram: see there

# isort: split

import json
import uuid
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

_JSON = "application/json"


class AiohttpRequest(BaseRequest):
    """A keep-alive HTTP/1.1 connection pool (aiohttp) behind PTB's `BaseRequest`.

    The timeouts mean what they mean for HTTPXRequest: seconds to get a connection from the
    pool, to connect, to wait for the answer; None waits without a limit.
    """

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"User-Agent": self.USER_AGENT}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (seconds)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (a no-op when it is open)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                skip_auto_headers=("Accept-Encoding",),
                auto_decompress=False,
            )

    async def shutdown(self) -> None:
        """Close the pool and its connections."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One request: (status, body); TimedOut or NetworkError when there is no answer."""
        if self._session is None or self._session.closed:
            await self.initialize()
        session = self._session
        assert session is not None
        files = request_data.multipart_data if request_data is not None else None
        headers = self._headers
        body: bytes | None = None
        if request_data is not None:
            if files:
                body, content_type = _multipart(request_data.json_parameters, files)
            else:
                body, content_type = json.dumps(request_data.parameters).encode(), _JSON
            headers = {**headers, "Content-Type": content_type}
        read = self._read_timeout if _default(read_timeout) else read_timeout
        connect = self._connect_timeout if _default(connect_timeout) else connect_timeout
        pool = self._pool_timeout if _default(pool_timeout) else pool_timeout
        if _default(write_timeout):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        # aiohttp has no write timeout of its own: writing the request is bounded by the
        # socket-read timeout's start, so the write limit is added to the whole request's.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=None if read is None else read + (write or 0.0),
        )
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except (aiohttp.ClientError, OSError) as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _default(value: object) -> bool:
    return isinstance(value, type(BaseRequest.DEFAULT_NONE))


def _multipart(fields: dict[str, str], files: dict[str, Any]) -> tuple[bytes, str]:
    """A multipart/form-data body of the JSON-encoded fields and the files."""
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, upload in files.items():
        filename, content, mimetype = upload
        if not isinstance(content, bytes):
            content = content.read()
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{_quoted(filename)}"'
        out += (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
            f"Content-Type: {mimetype}\r\n\r\n"
        ).encode()
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _quoted(filename: str) -> str:
    return filename.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
