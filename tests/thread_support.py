"""Real concurrency in tests: work run in threads released together, each in its own app context and session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from webapp.extensions import db


def run_in_threads(app: Flask, count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(index) in `count` threads released together, each committing its session after the work; return
    their results, or the exception each raised (rolled back), for the test to inspect."""
    barrier, results = threading.Barrier(count), [None] * count

    def runner(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = work(index)
                db.session.commit()
            except Exception as error:  # the test inspects what each thread got
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
