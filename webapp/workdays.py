"""Working-day arithmetic for Chinese public holidays (法定节假日 and 调休 make-up days).

Deadlines such as 整改期限 are counted in working days, so this is the only module that knows
which dates are working days. `chinese_calendar` ships official data for a fixed range of
years; for later years an admin can declare holidays and make-up days until the library is
updated, and until then weekends are the only days off.
"""

import logging
from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar
from sqlalchemy import event
from sqlalchemy.orm import Session

_OFFICIAL_YEARS = frozenset(day.year for day in chinese_calendar.holidays)
# session.info key of the calendar read in the current transaction (CaseRuntime.calendar)
CALENDAR_KEY = "firegrid_calendar"

logger = logging.getLogger(__name__)


class WorkdayCalendar:
    """Answers "is this a working day?" from official data, admin overrides, then weekends."""

    def __init__(self, extra_days: Mapping[date, bool] | None = None) -> None:
        self._extra_days = dict(extra_days or {})
        self._warned_years: set[int] = set()

    def known_year(self, year: int) -> bool:
        """True when chinese_calendar has the State Council's arrangement for `year`."""
        return year in _OFFICIAL_YEARS

    def is_workday(self, day: date) -> bool:
        if day in self._extra_days:
            return self._extra_days[day]
        if self.known_year(day.year):
            return chinese_calendar.is_workday(day)
        self._warn_unknown_year(day.year)
        return day.weekday() < 5

    def add_workdays(self, start: date, count: int) -> date:
        """The date `count` working days after `start` (`start` itself is not counted)."""
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        day = start
        while count > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                count -= 1
        return day

    def workdays_back(self, start: date, count: int) -> date:
        """The date `count` working days before `start` (`start` itself is not counted)."""
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        day = start
        while count > 0:
            day -= timedelta(days=1)
            if self.is_workday(day):
                count -= 1
        return day

    def _warn_unknown_year(self, year: int) -> None:
        if year not in self._warned_years:
            self._warned_years.add(year)
            logger.warning(
                "chinese_calendar has no holiday data for %s: counting weekends only "
                "(declare holidays and make-up days as extra days, or upgrade chinesecalendar)",
                year,
            )


def forget_calendar(session: Session) -> None:
    """The next read takes the admin's days afresh: called when an admin changes one."""
    session.info.pop(CALENDAR_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:  # noqa: ANN001
    """Commit, rollback or close of the outer transaction: the next one reads the calendar again."""
    if transaction.parent is None:
        forget_calendar(session)
