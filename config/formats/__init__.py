"""The project's date and number formats by language (`FORMAT_MODULE_PATH`), read before
Django's own: each module sets only what Django's is missing or gets wrong for us, plus the
COMPACT_* formats `cooperation.dates` writes record dates with."""
