"""Running calls side by side in threads, for the tests of what happens at the same moment
(on PostgreSQL, where transactions really run side by side)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def at_once(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Each call in its own thread, all released together, each thread's database
    connection closed when it ends. Returns the calls' results in the order given; the
    first error any call raised is raised here, in the test's thread. A call that is to
    meet an expected error catches it itself and returns what the test checks."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout)
            results[index] = call()
        except BaseException as error:  # raised below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(threads)} calls still running after {timeout} s"
    return results
