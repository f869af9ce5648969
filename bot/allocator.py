"""Keep the C allocator from giving a question's scratch memory back to the kernel each time.

Matching a question builds a few numpy arrays of 100–400 KB (a similarity per example, the
postings it gathers) and frees them again. glibc's malloc serves blocks that large with a
fresh `mmap` at first, and afterwards from the heap, but it returns the top of the heap to
the kernel whenever more than twice the largest such block is free there. Either way the
next question's arrays land on pages the kernel must fault in and zero again. Matching one
English eligibility question over and over, that was half the time (1.2 ms → 0.6 ms at the
median); in the running bot, where other allocations share the heap, less
(docs/performance.md).

:func:`tune` sets the thresholds once, at start-up: blocks up to 1 MiB come from the heap,
and up to 4 MiB of free memory stays at its top. Larger blocks (the index, a cold start's
training) are still mapped and unmapped on their own, so the resident memory stays within a
few MiB of what the process uses. Where the operator has set glibc's own variables
(`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, `MALLOC_TOP_PAD_`), those win; on a C
library without `mallopt` (musl has a stub, macOS none) nothing changes. `PRBOT_MALLOC=off`
(read with the other settings, so a `.env` file may set it) leaves glibc's defaults, to
compare (`bench.engine --malloc off`). glibc reads its own variables from the process
environment only, so those are looked for there.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Mapping

M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 1 << 20
TRIM_THRESHOLD = 4 << 20

OPERATOR_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def tune(enabled: bool = True, environ: Mapping[str, str] | None = None) -> bool:
    """Set the thresholds unless `enabled` is False (`PRBOT_MALLOC=off`) or the process
    environment sets glibc's own; True if the C library took them."""
    environ = os.environ if environ is None else environ
    if not enabled or any(name in environ for name in OPERATOR_VARIABLES):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt answers 1 on success
    mapped = int(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) == 1
    return mapped and int(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) == 1
