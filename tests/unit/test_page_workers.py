"""The site's page workers (site/parallel.py) when a build fails: a worker cut off mid-message, or one
that will not end, never leaves the build waiting for ever."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from dealbook.site.parallel import HEADER, PageWorkers

forking = pytest.mark.skipif(not hasattr(os, "fork"), reason="page workers are forked processes")


def _child(work) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            work()
        finally:
            os._exit(0)
    return pid


def _watched(workers: PageWorkers, pid: int, read: int) -> threading.Thread:
    workers.pids.add(pid)
    workers._running += 1
    thread = threading.Thread(target=workers._collect, args=(read, pid), daemon=True)
    thread.start()
    return thread


@forking
def test_a_message_cut_off_mid_way_ends_the_worker_as_failed_not_the_collector() -> None:
    """`stop` ends the workers with SIGTERM, which can land in the middle of a message: the build
    then waited for ever for a collector that had died on the half message (seen in a test run)."""
    read, write = os.pipe()
    pid = _child(lambda: os.write(write, HEADER.pack(1000) + b"\x80\x05 half a pickle"))
    os.close(write)
    workers = PageWorkers()
    thread = _watched(workers, pid, read)
    thread.join(10)
    assert not thread.is_alive()
    assert workers._running == 0 and workers.pids == set()  # waited for: no zombie left
    assert workers.failure is not None and f"process {pid}" in workers.failure
    started = time.monotonic()
    workers.stop()
    assert time.monotonic() - started < 1


@forking
def test_stop_kills_a_worker_that_will_not_end() -> None:
    read, write = os.pipe()

    def stubborn() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)

    pid = _child(stubborn)
    os.close(write)
    workers = PageWorkers()
    thread = _watched(workers, pid, read)
    time.sleep(0.2)  # the child ignores SIGTERM from here on
    started = time.monotonic()
    workers.stop(patience=0.5)
    assert time.monotonic() - started < 5
    thread.join(5)
    assert workers._running == 0 and workers.pids == set()
