"""Dates as the sources give them: to the day, month or year, approximately, or not at all.

Written in the active language: "1 Nov 2022, year inferred", "1 nov. 2022, année déduite",
"១ វិច្ឆិកា ២០២២ …". The month forms are the COMPACT_* formats of `config/formats/<lang>/`;
Khmer digits come from `cooperation.numerals`. Exports ask for `native_digits=False`: a
spreadsheet or a script reads ASCII digits whatever the language.
"""

import datetime

from django.conf import settings
from django.utils import dateformat, formats, timezone
from django.utils.translation import gettext as _

from cooperation import numerals


def _format(name: str) -> str:
    """A COMPACT_* format of the active language; English's when no language is active (Django
    hands back an unknown format's name itself)."""
    value = formats.get_format(name)
    return formats.get_format(name, lang=settings.LANGUAGE_CODE) if value == name else value


def _written(date: datetime.date, name: str) -> str:
    return dateformat.format(date, _format(name))


def _digits(text: str, native_digits: bool) -> str:
    return numerals.native_digits(text) if native_digits else text


def _inference_suffix(text: str, inferred: str) -> str:
    if inferred == "year":
        return _("%(date)s, year inferred") % {"date": text}
    if inferred == "date":
        return _("%(date)s, inferred") % {"date": text}
    return text


def format_day(date: datetime.date, *, native_digits: bool = True) -> str:
    """A known day: '1 Nov 2022', '1 nov. 2022', '១ វិច្ឆិកា ២០២២'."""
    return _digits(_written(date, "COMPACT_DATE_FORMAT"), native_digits)


def format_moment(moment: datetime.datetime, *, seconds: bool = False) -> str:
    """A moment in the project's time zone: '1 Nov 2022, 14:05', '1 nov. 2022, 14:05'."""
    clock = "H:i:s" if seconds else "H:i"
    text = f"{_written(timezone.localtime(moment), 'COMPACT_DATE_FORMAT')}, {dateformat.format(timezone.localtime(moment), clock)}"
    return numerals.native_digits(text)


def format_month_name(date: datetime.date) -> str:
    """The month alone, as short as the language writes it: 'Nov', 'nov.', 'វិច្ឆិកា'."""
    return _written(date, "COMPACT_MONTH_FORMAT")


def format_uncertain_date(
    date: datetime.date | None, precision: str, inferred: str = "", *, native_digits: bool = True
) -> str:
    """Render a date honestly: '1 Nov 2022, year inferred', 'Nov 2022', 'date unknown'."""
    if date is None or precision == "unknown":
        return _("date unknown")
    if precision == "year":
        text = str(date.year)
    elif precision == "month":
        text = _written(date, "COMPACT_YEAR_MONTH_FORMAT")
    elif precision == "approximate":
        text = _("about %(date)s") % {"date": _written(date, "COMPACT_DATE_FORMAT")}
    else:
        text = _written(date, "COMPACT_DATE_FORMAT")
    return _digits(_inference_suffix(text, inferred), native_digits)


def format_period(
    start: datetime.date, end: datetime.date, inferred: str = "", *, native_digits: bool = True
) -> str:
    """Render a period: '18 Aug – 18 Sep 2022, year inferred'."""
    first = "COMPACT_MONTH_DAY_FORMAT" if start.year == end.year else "COMPACT_DATE_FORMAT"
    text = f"{_written(start, first)} – {_written(end, 'COMPACT_DATE_FORMAT')}"
    return _digits(_inference_suffix(text, inferred), native_digits)
