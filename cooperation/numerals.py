"""Numbers as the reader's language writes them: its digits, its separators, its percent sign.

Khmer pages write Khmer digits (០១២៣៤៥៦៧៨៩); English and French keep ASCII digits. Only
what this project formats goes through here — counts, figures, page numbers, dates — never a
record's own text, a citation, a slug, an address, a form's value, an export or the API.
Separators and grouping come from the language's formats (`config/formats/`, then Django's):
"1,200" and "95.5%" in English, "1 200" and "95,5 %" in French (narrow no-break spaces),
"១.២០០" and "៩៥,៥%" in Khmer.
"""

from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import gettext as _

DIGITS_BY_LANGUAGE = {"km": str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")}


def native_digits(text: object, *, language: str | None = None) -> str:
    """`text` with its ASCII digits in the digits of `language` (the active one by default):
    Khmer digits in Khmer, unchanged otherwise. For text this project formatted only."""
    table = DIGITS_BY_LANGUAGE.get(language or translation.get_language() or "")
    return str(text).translate(table) if table else str(text)


def number(value: int | float | Decimal, decimals: int | None = None) -> str:
    """A count or figure with its thousands grouped, in the active language's separators and
    digits: 1200 → "1,200", "1 200", "១.២០០". `decimals` rounds to that many places."""
    if decimals is not None:
        value = Decimal(f"{value:.{decimals}f}")  # round here: Django's formatting truncates
    return native_digits(formats.number_format(value, decimals, force_grouping=True))


def percent(share: float | Decimal, decimals: int = 0) -> str:
    """A share (0.95) as a percentage: "95%", "95 %" (narrow no-break space), "៩៥%"."""
    hundredfold = share * 100 if isinstance(share, Decimal) else float(share) * 100
    return _("%(percent)s%%") % {"percent": number(hundredfold, decimals)}
