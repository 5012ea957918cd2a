"""`firegrid ARGS…` with a clock the browser tests can set, for `firegrid serve` in a subprocess.

The moment in the file named by FIREGRID_TEST_NOW_FILE (ISO, Beijing time) is "now" for the server,
read on every call; without the file it is the wall clock. Timers still fire only through
`firegrid tick --now` (the server's own sweep is put off with FIREGRID_TIMER_INTERVAL), so the tests
move the server's clock forward the way days pass, and fire the deadline the way cron would.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

from webapp import clock
from webapp.cli import main

NOW_FILE = Path(os.environ["FIREGRID_TEST_NOW_FILE"])
wall_clock = clock.Clock.now


def scenario_now(self: clock.Clock) -> datetime:
    text = NOW_FILE.read_text(encoding="utf-8").strip() if NOW_FILE.exists() else ""
    return clock.parse_moment(text) if text else wall_clock(self)


if __name__ == "__main__":
    clock.Clock.now = scenario_now
    main(args=sys.argv[1:], prog_name="firegrid")
