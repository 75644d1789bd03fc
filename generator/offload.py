"""Blocking work of a request (embedding, scoring, searching) runs here, off the event loop.

A small shared pool, one thread per core: more threads would not answer sooner on the CPUs
there are, and every extra one competes with the event loop for the CPU and the GIL. On Linux
the pool's threads (and the math threads they start) also run at a lower priority, so that a
busy CPU still serves the event loop first: /healthz and every other request keep answering
while questions are worked on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_NICENESS = 5  # below the event loop (0), above nothing that matters


def _lower_priority() -> None:
    if sys.platform == "linux":  # a thread id is a task id only there
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICENESS)


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # the CPUs this process may use, not the machine's
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 2


_pool = ThreadPoolExecutor(
    max_workers=_usable_cpus(), thread_name_prefix="kotae-work", initializer=_lower_priority
)


async def off_loop(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``func(*args, **kwargs)`` in the shared worker pool; the caller's loop stays free."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, functools.partial(func, *args, **kwargs))
