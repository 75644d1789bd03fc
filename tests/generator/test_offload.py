"""off_loop: request work runs in the shared worker pool, below the event loop's priority."""

import asyncio
import os
import sys
import threading

import pytest

from generator.offload import off_loop

pytestmark = pytest.mark.unit


def where() -> tuple[str, int]:
    nice = (
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) if sys.platform == "linux" else 0
    )
    return threading.current_thread().name, nice


def test_work_runs_in_the_pool_below_the_loops_priority() -> None:
    async def main() -> tuple[tuple[str, int], tuple[str, int]]:
        return where(), await off_loop(where)

    (loop_thread, loop_nice), (worker, worker_nice) = asyncio.run(main())
    assert worker.startswith("kotae-work") and worker != loop_thread
    if sys.platform == "linux":
        assert worker_nice > loop_nice or loop_nice >= 5


def test_exceptions_reach_the_caller() -> None:
    def fail(message: str) -> None:
        raise ValueError(message)

    with pytest.raises(ValueError, match="boom"):
        asyncio.run(off_loop(fail, "boom"))
