"""CSV that spreadsheet programs open without running anything (OWASP "CSV injection").

A spreadsheet takes a cell that starts with = + - @, a tab or a carriage return for
a formula: a shelter name ``=HYPERLINK("http://…","x")`` from an imported file would
become a link on the coordinator's screen. Such text gets a leading apostrophe, the
spreadsheets' own mark for "this is text", so it still reads as it was written.

Numbers stay as they are: the code counted or stored them (a count, a longitude),
nobody typed them, and ``-3`` must stay a number a spreadsheet can sum. The same
``-3`` arriving as text (a shelter ID) is text and gets the apostrophe.

Every CSV the app writes goes through ``csv_text``; this module depends on nothing
in the package.
"""

import csv
import io
from numbers import Number

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """The value as a spreadsheet should show it."""
    if value is None or isinstance(value, Number):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows, *, bom=False):
    """CSV of ``rows`` (lists of values), every value through ``cell``. ``bom``: UTF-8
    with a byte order mark, which spreadsheet programs need to read Japanese."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return (BOM if bom else "") + out.getvalue()
