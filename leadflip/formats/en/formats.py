# English pages write dates as ISO 8601 (2026-12-01), as the English invoices do
# (entities.languages.DATE_PATTERNS): no reader takes it for another day.
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
