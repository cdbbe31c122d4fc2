# Record dates: "1 Nov 2022", "1 Nov", "Nov 2022", and a month on a chart's axis.
COMPACT_DATE_FORMAT = "j M Y"
COMPACT_MONTH_DAY_FORMAT = "j M"
COMPACT_YEAR_MONTH_FORMAT = "M Y"
COMPACT_MONTH_FORMAT = "M"
