# Record dates: "18 août 2022", "1 nov. 2022", "18 août", "nov. 2022". French abbreviates
# months by its own rule (janv., févr., mars, avr., mai, juin, juil., août, sept., oct., nov.,
# déc.: Django's "N"), in lower case; Django's "M" would cut every month to three letters and
# capitalise it ("Aoû").
COMPACT_DATE_FORMAT = "j N Y"
COMPACT_MONTH_DAY_FORMAT = "j N"
COMPACT_YEAR_MONTH_FORMAT = "N Y"
COMPACT_MONTH_FORMAT = "N"

# Thousands are grouped by a narrow no-break space (1 200), as French typography sets them;
# Django's French formats use a full no-break space.
THOUSAND_SEPARATOR = "\u202f"
