"""Periods a report covers, and how an uncertain date sits within one."""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from cooperation.numerals import native_digits

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    """An inclusive range of days."""

    start: datetime.date
    end: datetime.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValidationError(
                _("Period end: the period cannot end (%(end)s) before it starts (%(start)s).")
                % {"end": self.end.isoformat(), "start": self.start.isoformat()},
                code="period_reversed",
            )

    @property
    def is_calendar_month(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.start)

    def contains(self, start: datetime.date, end: datetime.date) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: datetime.date, end: datetime.date) -> bool:
        return start <= self.end and self.start <= end

    def label(self) -> str:
        if self.is_calendar_month:
            return native_digits(formats.date_format(self.start, "F Y"))
        return _("%(start)s to %(end)s") % {
            "start": native_digits(formats.date_format(self.start, "j F Y")),
            "end": native_digits(formats.date_format(self.end, "j F Y")),
        }


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_parse(value: str) -> Period:
    """'2022-11' → the whole of November 2022; anything else is refused with a clear message."""
    match = MONTH_PATTERN.match(value.strip())
    if not match:
        raise ValidationError(
            _("Month: “%(value)s” is not a month; write it as YYYY-MM, such as 2022-11.")
            % {"value": value},
            code="month_format",
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1900:
        raise ValidationError(
            _("Month: %(value)s does not exist; months run from 01 to 12.") % {"value": value},
            code="month_invalid",
        )
    start = datetime.date(year, month, 1)
    return Period(start, month_end(start))


def previous_month(today: datetime.date) -> Period:
    last_of_previous = today.replace(day=1) - datetime.timedelta(days=1)
    return Period(last_of_previous.replace(day=1), last_of_previous)


def uncertain_range(
    date: datetime.date | None, precision: str
) -> tuple[datetime.date, datetime.date] | None:
    """The days an uncertain date may stand for; None when the date is unknown."""
    if date is None or precision == "unknown":
        return None
    if precision == "month":
        return date, month_end(date)
    if precision == "year":
        return date, datetime.date(date.year, 12, 31)
    return date, date


def period_bounds_check(
    period: Period, *, first_record: datetime.date | None, today: datetime.date, max_years: int
) -> None:
    """Refuse a period the records cannot fill: one starting before the decade of the first
    record (or of today, with no records yet), ending after next year, or longer than
    `max_years`. Raises ValidationError naming the field to correct (`error.code`)."""
    first = first_record or today
    earliest = datetime.date(first.year - first.year % 10, 1, 1)
    latest = datetime.date(today.year + 1, 12, 31)
    if period.start < earliest:
        raise ValidationError(
            _("Period start: the records begin in %(decade)ss; start on %(day)s or later.")
            % {"decade": earliest.year, "day": formats.date_format(earliest, "j F Y")},
            code="too_early",
        )
    if period.end > latest:
        raise ValidationError(
            _("Period end: a report can look no further than the end of next year, %(day)s.")
            % {"day": formats.date_format(latest, "j F Y")},
            code="too_late",
        )
    if (period.end - period.start).days + 1 > max_years * 366:
        raise ValidationError(
            _("Period: a report covers at most %(years)d years; choose a shorter period.")
            % {"years": max_years},
            code="too_long",
        )
