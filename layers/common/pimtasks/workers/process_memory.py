"""Handing the memory a run freed back to the system, so a warm function does not keep the peak of its last run.

A warm Lambda keeps its process between invocations. A run frees what it built (workbook, memos, batches),
but the allocators do not give that memory back on their own. CPython returns a 1 MiB arena only when all
of it is free. glibc keeps freed chunks for reuse, in the main heap below the highest block still in use
and in one arena per thread that allocated (the catalog's request threads among them). So the resident set
after a run is the run's peak less whatever happened to come free at the ends of the heaps, and it creeps up
as fragmentation changes from file to file. ``malloc_trim(0)`` hands every free page of every arena back
(``madvise``) while keeping the allocator's state; it takes a few milliseconds, so once per run is cheap
against a run. It is not called per batch: the next batch would take the pages back at once.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys
from collections.abc import Callable


def release_freed_memory() -> bool:
    """Collect cyclic garbage, then give free heap pages back (glibc only). True when pages were returned."""
    gc.collect()
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the symbols already loaded into the process: its C library's
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim
