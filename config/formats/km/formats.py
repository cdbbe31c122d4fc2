# Record dates: "១ វិច្ឆិកា ២០២២" (digits become Khmer in `cooperation.numerals`). Khmer
# writes month names whole, so the compact forms use Django's full names ("F"), which its
# Khmer catalogue translates; its abbreviated month names ("N") are mostly untranslated.
COMPACT_DATE_FORMAT = "j F Y"
COMPACT_MONTH_DAY_FORMAT = "j F"
COMPACT_YEAR_MONTH_FORMAT = "F Y"
COMPACT_MONTH_FORMAT = "F"

# Django's Khmer formats leave these out: a month of a year in the long style of its
# DATE_FORMAT ("j ខែ F ឆ្នាំ Y"), and grouping, without which thousands are never grouped.
YEAR_MONTH_FORMAT = "ខែ F ឆ្នាំ Y"
NUMBER_GROUPING = 3
