"""Spreadsheet safety for exports.

A cell whose text starts with `=`, `+`, `-` or `@` (or a tab or carriage return,
which some spreadsheets strip before reading a formula) would run as a formula
when the file is opened. Such text gets a leading apostrophe, which spreadsheets
read as "this is text".
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
