"""CSV files the product writes, safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return is a formula to Excel and
LibreOffice (CSV injection): a partner named `=HYPERLINK(…)` would run in the accountant's
spreadsheet. Such text cells get a leading apostrophe, which spreadsheets show as text
(OWASP's advice). Numbers the product itself writes, such as a negative Decimal, stay
numbers.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer, with every text cell neutralized."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row):
        return self._writer.writerow([neutralize(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(file, **options) -> SafeWriter:
    return SafeWriter(file, **options)
