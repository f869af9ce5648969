"""A real `prbot serve` process on 127.0.0.1 for the tests and benchmarks: start, wait, stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServedBot:
    """`prbot serve` with a clean environment plus `settings`, its log in `log` (or nowhere)."""

    ready_path = "/healthz"

    def __init__(self, settings: dict[str, str], workdir: Path, log: Path | None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        prefixes = ("TELEGRAM_", "PRBOT_", "WECHAT_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env.update(
            {
                "PRBOT_HTTP_HOST": "127.0.0.1",
                "PRBOT_HTTP_PORT": str(self.port),
                "PYTHONPATH": str(ROOT),
                **settings,
            }
        )
        self._log = open(log or os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            env=env,
            cwd=workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(base_url=self.base, timeout=10.0)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until `ready_path` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prbot serve exited with {self.process.returncode}")
            try:
                if self.client.get(self.ready_path).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("prbot serve did not come up")

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """SIGTERM and the exit code."""
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=20)
        finally:
            self.process.kill()
            self._log.close()
