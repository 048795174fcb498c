"""CSV that Russian Excel opens as it is: a UTF-8 byte-order mark, `;` between cells,
headers in the reader's language, times in the company's zone, decimal commas in Russian,
and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from texts.dashboard import dashboard_text

BOM = "\ufeff"
SEPARATOR = ";"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def spreadsheet_csv(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    language: str,
    zone: ZoneInfo,
) -> str:
    """`columns` are catalogue keys without their `csv_` prefix; `rows` hold plain values."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow([dashboard_text(language, f"csv_{column}") for column in columns])
    for row in rows:
        writer.writerow([_cell(value, language, zone) for value in row])
    return buffer.getvalue()


def _cell(value: Any, language: str, zone: ZoneInfo) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return dashboard_text(language, "csv_yes" if value else "csv_no")
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime(TIME_FORMAT)
    if isinstance(value, float):
        shown = f"{value:.4f}".rstrip("0").rstrip(".")
        return shown.replace(".", ",") if language == "ru" else shown
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A cell starting with = + - @ is run as a formula by spreadsheets: keep it text.
        return "'" + value
    return value
