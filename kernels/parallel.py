"""Running a kernel over a range of work items on several threads.

Every kernel that works in parallel is a plain (serial) numba kernel that releases the GIL
(``nogil=True``) and takes the first and one-past-last item of its share as its first two arguments,
``kernel(lo, hi, *args)``.  :func:`run_ranges` cuts ``[0, n_items)`` into contiguous ranges and runs them
on a pool of Python threads plus the calling thread, each taking the next range as it finishes the last
(dynamic scheduling).  A kernel's numbers never depend on the cut: each item is computed by the same
operations whoever computes it.

Why threads and not numba's ``prange``: a ``parallel=True`` kernel goes through numba's parallel
transformation passes and links and re-optimises its whole call tree once more at compile time, which made
parallel kernels a large part of the time a first run spends compiling.  A kernel called from Python
threads is compiled once, as the serial kernel it is.

The number of threads is numba's setting (``NUMBA_NUM_THREADS``, by default the number of cores).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["n_threads", "run_ranges", "split", "shutdown"]

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] | None = None


def n_threads() -> int:
    """Threads a parallel kernel uses: numba's ``NUMBA_NUM_THREADS`` (default: the number of cores)."""
    from numba import config

    return max(1, int(config.NUMBA_NUM_THREADS))


def _get_pool(workers: int) -> ThreadPoolExecutor:
    """The shared pool of ``workers`` threads (made again after a fork or a change of size)."""
    global _pool, _pool_key
    key = (os.getpid(), workers)
    with _lock:
        if _pool is None or _pool_key != key:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="constellation-kernel")
            _pool_key = key
        return _pool


def shutdown() -> None:
    """Stop the shared pool's threads, once they finish what they run (a later parallel call starts a new
    pool)."""
    global _pool, _pool_key
    with _lock:
        pool, _pool, _pool_key = _pool, None, None
    if pool is not None:
        pool.shutdown(wait=True)


def split(n_items: int, n_parts: int) -> list[int]:
    """Bounds of ``n_parts`` contiguous ranges covering ``[0, n_items)`` as evenly as possible."""
    n_parts = max(1, min(int(n_parts), int(n_items)))
    return [n_items * i // n_parts for i in range(n_parts + 1)]


def run_ranges(kernel: Callable[..., Any], n_items: int, *args: Any, parallel: bool = True,
               tasks_per_thread: int = 1) -> None:
    """Call ``kernel(lo, hi, *args)`` over ``[0, n_items)`` cut into contiguous ranges.

    With ``parallel`` and more than one thread, the items are cut into ``tasks_per_thread`` ranges per
    thread (more than one balances uneven items), which the threads of the shared pool and the calling
    thread take in turn; otherwise one call does everything on the calling thread.  Returns when every
    range is done; the first exception raised by a range is raised here.
    """
    n_items = int(n_items)
    if n_items <= 0:
        return
    threads = n_threads() if parallel else 1
    if threads <= 1 or n_items == 1:
        kernel(0, n_items, *args)
        return
    bounds = split(n_items, threads * max(1, int(tasks_per_thread)))
    n_tasks = len(bounds) - 1
    nxt = [0]
    take = threading.Lock()

    def work() -> None:
        while True:
            with take:
                i = nxt[0]
                nxt[0] = i + 1
            if i >= n_tasks:
                return
            kernel(bounds[i], bounds[i + 1], *args)

    helpers = min(threads, n_tasks) - 1
    futures = [_get_pool(threads - 1).submit(work) for _ in range(helpers)]
    try:
        work()
    finally:
        for f in futures:
            f.result()
