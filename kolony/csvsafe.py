"""CSV cells that a spreadsheet will not run: OWASP's CSV-injection rule for every CSV export.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is what Excel,
LibreOffice and Google Sheets read as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, DDE); such a
cell is written with a leading ``'``, which spreadsheets show as text and do not evaluate. Plain
numbers (``-12.50``) are left alone so amounts stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """``value`` as it may go into a CSV cell: a str starting like a formula gets a ``'`` prefix;
    plain numbers and non-strings come back unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(row: Iterable) -> list:
    """Every cell of ``row`` through :func:`safe_cell`."""
    return [safe_cell(value) for value in row]


class SafeWriter:
    """``csv.writer`` whose ``writerow`` escapes formula cells (same arguments and return value)."""

    def __init__(self, target, *args, **kwargs):
        self._writer = csv.writer(target, *args, **kwargs)

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        return self._writer.writerows(safe_row(row) for row in rows)
