"""Dates as the platform's pages write them: see sinergi/formats/__init__.py."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
# Typed dates: YYYY-MM-DD only, what the date picker sends (see sinergi/formats/__init__.py).
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
