"""The background loop inside `firegrid serve`: fire due timers, make due-soon/overdue notices, send due
deliveries (e-mail, SMS, group robots), run queued jobs.

Several app processes may each run it: timers and jobs are claimed through the database, so a
case or a chunk is handled once. Without `serve` (e.g. under another WSGI server), run
`firegrid tick` from cron instead.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from webapp.cases import alerts, deliveries, timers
from webapp.extensions import db
from webapp.services import jobs

log = logging.getLogger(__name__)
JOB_INTERVAL_SECONDS = 2.0


def _sweep_alerts(runtime, now) -> None:  # noqa: ANN001
    """A failing alert sweep is logged and retried next time; it must not hold back the jobs after it."""
    try:
        alerts.sweep(db.session, runtime, now)
    except Exception:  # the loop must survive it, like a bad case in the timer sweep
        db.session.rollback()
        log.exception("alert sweep failed")


def send_deliveries(app: Flask, worker: str, now) -> deliveries.SendResult:  # noqa: ANN001
    """Due deliveries on every channel; a failure here (the database, not a mail server or gateway: those
    are recorded on the rows) is logged and retried next time, and holds back nothing after it."""
    try:
        return deliveries.send_due(db.session, now, worker=worker, public_url=app.config.get("PUBLIC_URL", ""))
    except Exception:
        db.session.rollback()
        log.exception("delivery sweep failed")
        return deliveries.SendResult()


def sweep(app: Flask, worker: str, fire_timers: bool) -> None:
    runtime, clock = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"]
    with app.app_context():
        try:
            if fire_timers:
                timers.fire_due_timers(db.session, runtime, clock.now())
                _sweep_alerts(runtime, clock.now())
            send_deliveries(app, worker, clock.now())
            jobs.run_due_jobs(db.session, runtime, worker=worker, clock=clock.now, deadline_seconds=60)
        finally:
            db.session.remove()


def start_office(app: Flask) -> threading.Thread | None:
    """Start the LibreOffice listeners beside the loop (setting PDF_START_EARLY), so that neither the first
    PDF nor the first batch after a restart waits ~2 s for each."""
    if not app.config.get("PDF_START_EARLY"):
        return None
    starter = threading.Thread(target=app.extensions["firegrid.runtime"].documents.pdf.start,
                               name="firegrid-office-start", daemon=True)
    starter.start()
    return starter


def start(app: Flask) -> threading.Event:
    """Start the daemon thread (and a LibreOffice listener beside it); set the returned event to stop it."""
    stop, worker = threading.Event(), jobs.worker_id()
    start_office(app)

    def loop() -> None:
        last_timer_sweep = 0.0
        while not stop.is_set():
            due = time.monotonic() - last_timer_sweep >= app.config["TIMER_INTERVAL_SECONDS"]
            try:
                sweep(app, worker, fire_timers=due)
            except Exception:  # a sweep must never end the loop
                log.exception("background sweep failed; retrying")
            if due:
                last_timer_sweep = time.monotonic()
            stop.wait(JOB_INTERVAL_SECONDS)

    threading.Thread(target=loop, name="firegrid-background", daemon=True).start()
    return stop
