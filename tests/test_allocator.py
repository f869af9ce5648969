"""The allocator tuning `prbot` does at start-up (bot/allocator.py): a question's scratch
arrays must not cost fresh pages from the kernel every time. Counted in page faults of a real
process, not in time."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from bot import allocator

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")

# a question's scratch arrays: a few of some hundred KB, made and freed together
CHILD = """
import resource, sys
from bot import allocator
tuned = allocator.tune(sys.argv[1] == "on")
import numpy as np
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    scratch = [np.ones(40_000) for _ in range(4)]
    del scratch
before = faults()
for _ in range(200):
    scratch = [np.ones(40_000) for _ in range(4)]
    del scratch
print(tuned, faults() - before)
"""


def _faults(setting: str) -> tuple[str, int]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, setting],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    tuned, faults = done.stdout.split()
    return tuned, int(faults)


@glibc
def test_scratch_arrays_reuse_memory_instead_of_new_pages() -> None:
    tuned, faults = _faults("on")
    assert tuned == "True"
    assert faults < 200  # about none; untuned, every round faults its 1.3 MB in again
    untuned, before = _faults("off")
    assert untuned == "False"
    assert before > 50 * 200


def test_the_operators_own_settings_win() -> None:
    assert allocator.tune(environ={"MALLOC_TRIM_THRESHOLD_": "131072"}) is False
    assert allocator.tune(environ={"MALLOC_MMAP_THRESHOLD_": "65536"}) is False
    assert allocator.tune(False, environ={}) is False


class _Stop(Exception):
    pass


def test_the_prbot_command_tunes_first_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import cli

    calls: list[bool] = []

    def record(enabled: bool) -> bool:
        calls.append(enabled)
        raise _Stop  # nothing after it: it comes before the app is built

    monkeypatch.setattr(allocator, "tune", record)
    for value in ("", "off", "ON"):
        monkeypatch.setenv("PRBOT_MALLOC", value)
        with pytest.raises(_Stop):
            cli.main(["check"])
    assert calls == [True, False, True]


def test_a_wrong_setting_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import cli

    monkeypatch.setenv("PRBOT_MALLOC", "of")
    assert cli.main(["check"]) == 2
    assert "PRBOT_MALLOC must be 'on' or 'off', got 'of'" in capsys.readouterr().err
