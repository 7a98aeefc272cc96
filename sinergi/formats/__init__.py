"""The platform's own date formats, over Django's for each language (FORMAT_MODULE_PATH).

Pages write a date as day, short month, year ("31 Dec 2029", "31 Des 2029") wherever they
choose the format themselves (`|date:"j M Y"`). Django's defaults differ by language and
from that ("Dec. 31, 2029"; "31 Des. 2029"), and were what a date printed as it is, or
with DATE_FORMAT, came out as: one page could show a date in two styles. Only the names
set here are replaced; numbers stay Django's for each language.

A date typed into a form is read as YYYY-MM-DD only (DATE_INPUT_FORMATS), what every
page's date picker sends. Django's own input formats follow the language: 01/11/2026 was
11 January on an English page and 1 November on an Indonesian one, so one typed or
pasted date would be recorded as two different days by two readers.
"""
