"""Customs periods and due dates: months in China time, the 9610 summary due by the 15th."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
SUMMARY_DUE_DAY = 15
DUE_SOON_DAYS = 5
# A customs month, YYYY-MM, of this century.
PERIOD_PATTERN = r"^(20[0-9]{2})-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)


def parse_period(period: str) -> tuple[int, int]:
    """The year and month of a ``YYYY-MM`` period."""
    match = _PERIOD.match(period)
    if match is None:
        raise ValueError(f"not a YYYY-MM period: {period!r}")
    return int(match.group(1)), int(match.group(2))


def first_day(period: str) -> date:
    """The first day of a ``YYYY-MM`` month; any year, as months derived by shifting may leave this century."""
    return date.fromisoformat(f"{period}-01")


def shift_period(period: str, months: int) -> str:
    """The month ``months`` after (or before, when negative) a period."""
    start = first_day(period)
    index = start.year * 12 + start.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_day(period: str) -> date:
    return first_day(shift_period(period, 1)) - timedelta(days=1)


def period_of(moment: datetime) -> str:
    """The customs month (China time) a moment falls in."""
    local = moment.astimezone(CHINA)
    return f"{local.year:04d}-{local.month:02d}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The first moment of a period and of the next one, in UTC."""
    start, following = first_day(period), first_day(shift_period(period, 1))
    return (
        datetime.combine(start, time(), tzinfo=CHINA).astimezone(UTC),
        datetime.combine(following, time(), tzinfo=CHINA).astimezone(UTC),
    )


def is_working_day(day: date, *, holidays: Collection[date], working_weekend_days: Collection[date]) -> bool:
    """A working day: a weekday that is not a holiday, or a weekend day declared a working day."""
    if day in working_weekend_days:
        return True
    return day.weekday() < 5 and day not in holidays


def summary_due_date(
    period: str, *, holidays: Collection[date] = (), working_weekend_days: Collection[date] = ()
) -> date:
    """When the summary of a period's inventory lists is due: the 15th of the next month, or the next working day."""
    due = first_day(shift_period(period, 1)).replace(day=SUMMARY_DUE_DAY)
    while not is_working_day(due, holidays=holidays, working_weekend_days=working_weekend_days):
        due += timedelta(days=1)
    return due


def china_today(now: datetime) -> date:
    """Today's date in China."""
    return now.astimezone(CHINA).date()
