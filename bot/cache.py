"""A cache of what start-up builds from the data: the matchers' indexes, the compiled catalogs.

Building both matchers from the example files takes about 0.5 s and, while it runs, about
25 MB more memory than the finished indexes need; compiling the nine catalogs about 0.1 s.
Both depend only on their input files and on this code, so the result is kept in a file
(pickle) under `PRBOT_CACHE_DIR` (default `$XDG_CACHE_HOME/prbot`, else `~/.cache/prbot`;
`off` disables it) and loaded in about 0.05 s on the next start.

An entry's name carries a SHA-256 of its input files, of every source file of the `bot`
package and of the Python and library versions, so a changed example, catalog, line of code
or upgrade builds afresh; it is never consulted for anything else. Entries are written
atomically, readable by their owner only (0600, in a 0700 folder, like any per-user cache of
code); one that cannot be read is rebuilt, and a folder that cannot be written only costs
the time of a build.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
PACKAGE = Path(__file__).resolve().parent
_LIBRARIES = ("numpy", "rapidfuzz", "babel", "pydantic")


@lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """A digest of the `bot` package's source and of the versions the built objects use."""
    digest = hashlib.sha256(sys.version.encode())
    for name in _LIBRARIES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{name}={importlib.metadata.version(name)};".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.digest()


class BuildCache:
    """Built objects by name and inputs; `folder` None: build every time."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def get(self, name: str, inputs: Iterable[Path], build: Callable[[], T]) -> T:
        """The object `build()` makes from `inputs`: from the cache, or built (and kept)."""
        if self.folder is None:
            return build()
        try:
            digest = hashlib.sha256(code_fingerprint())
            for path in sorted(inputs):
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:  # an input cannot be read: the build reports it properly
            return build()
        path = self.folder / f"{name}-{digest.hexdigest()[:40]}.pickle"
        try:
            with path.open("rb") as handle:
                value: T = pickle.load(handle)
            return value
        except FileNotFoundError:
            pass
        except Exception as err:  # damaged or from an incompatible build: rebuild it
            log.warning("the cached %s could not be read (%s); building it again", name, err)
        value = build()
        self._keep(name, path, value)
        return value

    def _keep(self, name: str, path: Path, value: object) -> None:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-")
            try:
                with os.fdopen(handle, "wb") as file:
                    pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            for old in path.parent.glob(f"{name}-*.pickle"):  # older builds of the same thing
                if old != path:
                    with contextlib.suppress(OSError):
                        old.unlink()
        except (OSError, pickle.PicklingError) as err:
            log.info("the %s could not be cached in %s (%s)", name, path.parent, err)
