"""The one place that says what time it is (Asia/Shanghai), settable for tests and `tick --now`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall clock by default; `set()` freezes it (tests, demo history, `firegrid tick --now`)."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen or datetime.now(TZ)

    def set(self, moment: datetime | None) -> None:
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=TZ)
        self._frozen = moment.astimezone(TZ) if moment else None


def parse_moment(text: str) -> datetime:
    """Parse an ISO date or datetime typed by an admin; naive values are Beijing time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def local_day(moment: datetime | None) -> str:
    """The Beijing date of a moment as ISO text ("" for none): how processing sheets print a step's date."""
    return moment.astimezone(TZ).date().isoformat() if moment else ""
