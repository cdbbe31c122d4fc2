"""Dates as the sources give them: to the day, month or year, approximately, or not at all."""

import datetime

from django.utils import formats
from django.utils.translation import gettext as _


def _inference_suffix(text: str, inferred: str) -> str:
    if inferred == "year":
        return _("%(date)s, year inferred") % {"date": text}
    if inferred == "date":
        return _("%(date)s, inferred") % {"date": text}
    return text


def format_uncertain_date(date: datetime.date | None, precision: str, inferred: str = "") -> str:
    """Render a date honestly: '1 Nov 2022, year inferred', 'Nov 2022', 'date unknown'."""
    if date is None or precision == "unknown":
        return _("date unknown")
    if precision == "year":
        text = str(date.year)
    elif precision == "month":
        text = formats.date_format(date, "M Y")
    elif precision == "approximate":
        text = _("about %(date)s") % {"date": formats.date_format(date, "j M Y")}
    else:
        text = formats.date_format(date, "j M Y")
    return _inference_suffix(text, inferred)


def format_period(start: datetime.date, end: datetime.date, inferred: str = "") -> str:
    """Render a period: '18 Aug – 18 Sep 2022, year inferred'."""
    if start.year == end.year:
        text = f"{formats.date_format(start, 'j M')} – {formats.date_format(end, 'j M Y')}"
    else:
        text = f"{formats.date_format(start, 'j M Y')} – {formats.date_format(end, 'j M Y')}"
    return _inference_suffix(text, inferred)
