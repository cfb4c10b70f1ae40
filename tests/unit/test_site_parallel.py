"""Pages rendered by forked workers (site/parallel.py): every page comes back whole, in any order it
is asked for; a failing or dying worker stops the build with a message naming what failed."""

from __future__ import annotations

import os
import zlib

import pytest
from dealbook.site.parallel import PageWorkers, WorkerError, worker_count

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")


def test_every_page_comes_back_with_its_entries():
    uris = [f"customers/C{i:04d}.md" for i in range(100)]
    workers = PageWorkers()
    workers.start(uris, 3, lambda uri: (None if uri.endswith("7.md") else f"<p>{uri} · 客户 \u2028</p>",
                                        [{"location": uri, "text": uri * 2}], "k" + uri))
    taken = {}
    for uri in reversed(uris):  # any order: each is waited for
        output, entries, key = workers.take(uri)
        taken[uri] = (output and zlib.decompress(output).decode("utf-8"), entries, key)
    workers.stop()
    assert taken == {uri: (None if uri.endswith("7.md") else f"<p>{uri} · 客户 \u2028</p>",
                           [{"location": uri, "text": uri * 2}], "k" + uri) for uri in uris}
    assert workers.pids == set() and workers.results == {}


def test_a_page_that_fails_stops_the_build_naming_the_page():
    def render(uri):
        if uri == "customers/C0042.md":
            raise ZeroDivisionError("division by zero")
        return "<p>x</p>", [], None

    workers = PageWorkers()
    workers.start([f"customers/C{i:04d}.md" for i in range(100)], 2, render)
    with pytest.raises(WorkerError, match=r"customers/C0042\.md.*ZeroDivisionError"):
        for i in range(100):
            workers.take(f"customers/C{i:04d}.md")
    workers.stop()
    assert workers.pids == set()


def test_a_worker_that_dies_is_reported():
    def render(uri):
        if uri == "b":
            os._exit(3)
        return "x", [], None

    workers = PageWorkers()
    workers.start(["a", "b"], 2, render)
    with pytest.raises(WorkerError, match="ended without finishing"):
        workers.take("b")
    workers.stop()


def test_a_page_no_worker_had_is_an_error_not_a_hang():
    workers = PageWorkers()
    workers.start(["a", "b"], 2, lambda uri: ("x", [], None))
    workers.take("a")
    with pytest.raises(WorkerError, match="no page worker rendered c"):
        workers.take("c")
    workers.stop()


def test_how_many_workers():
    assert worker_count(1, 10_000) == 0  # workers: 1 renders in the build's own process
    assert worker_count(4, 10) == 4  # asked for: always
    assert worker_count(None, 1) == 0
    assert worker_count(None, 50) == 0  # too few pages to be worth a fork
