import logging
from datetime import date

from webapp.workdays import WorkdayCalendar


def test_national_day_2026_follows_the_official_arrangement():
    calendar = WorkdayCalendar()
    assert calendar.known_year(2026)
    assert not calendar.is_workday(date(2026, 10, 1))
    assert not calendar.is_workday(date(2026, 10, 7))
    assert calendar.is_workday(date(2026, 10, 8))
    assert calendar.is_workday(date(2026, 10, 10)), "Saturday 10-10 is a make-up working day (调休)"
    assert calendar.is_workday(date(2026, 9, 20)), "Sunday 09-20 is a make-up working day (调休)"
    assert not calendar.is_workday(date(2026, 9, 27)), "chinese_calendar: an ordinary Sunday"


def test_add_workdays_skips_the_holiday_and_counts_the_make_up_saturday():
    calendar = WorkdayCalendar()
    assert calendar.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert calendar.add_workdays(date(2026, 9, 30), 0) == date(2026, 9, 30)


def test_unknown_year_falls_back_to_weekends_and_warns_once(caplog):
    calendar = WorkdayCalendar()
    with caplog.at_level(logging.WARNING, logger="webapp.workdays"):
        assert not calendar.known_year(2027)
        assert calendar.is_workday(date(2027, 1, 1)), "weekday holidays are unknown without data"
        assert not calendar.is_workday(date(2027, 1, 2))
        assert calendar.add_workdays(date(2027, 1, 1), 1) == date(2027, 1, 4)
    warnings = [record for record in caplog.records if "2027" in record.getMessage()]
    assert len(warnings) == 1


def test_admin_extra_days_override_the_fallback():
    calendar = WorkdayCalendar({date(2027, 1, 1): False, date(2027, 1, 2): True})
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 1, 2))
    assert calendar.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 2)
