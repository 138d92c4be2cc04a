"""What the rate table and the exchange rates share: reading a small table file, and looking up by day."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import date
from typing import IO, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from commerce.catalog.import_files import file_format, iter_raw_rows
from commerce.catalog.import_workbooks import inspect_workbook
from commerce.rebates.errors import UnreadableRateFile

MAXIMUM_FILE_ROWS = 50_000
Shape = TypeVar("Shape", bound=BaseModel)
Value = TypeVar("Value")


def read_table_file(
    stream: IO[bytes],
    filename: str,
    *,
    shape: type[Shape],
    columns: tuple[str, ...],
    required: tuple[str, ...],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda data: data,
) -> list[Shape]:
    """The rows of a CSV or XLSX file, each checked as ``shape``; the first bad row refuses the file.

    A date cell of a workbook reads as a timestamp; its day is kept.
    """
    fmt = file_format(filename)
    inspect_workbook(stream, fmt)
    rows = iter_raw_rows(stream, fmt)
    header = [str(name).strip().lower() for name in next(rows, [])]
    while header and header[-1] == "":
        header.pop()
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in columns]
    if missing or unknown or len(set(header)) != len(header):
        raise UnreadableRateFile(
            field="file", row=1, problem=f"columns {', '.join(columns)} expected; got {', '.join(header) or '-'}"
        )
    found: list[Shape] = []
    for number, values in enumerate(rows, start=2):
        cells = [str(value).strip() for value in values[: len(header)]]
        if not any(cells):
            continue
        if len(found) >= MAXIMUM_FILE_ROWS:
            raise UnreadableRateFile(field="file", row=number, problem=f"at most {MAXIMUM_FILE_ROWS} rows")
        data = {key: value for key, value in zip(header, cells, strict=False) if value != ""}
        for key, value in data.items():
            if shape.model_fields[key].annotation in (date, "date") and " " in value:
                data[key] = value.split(" ")[0]
        try:
            found.append(shape.model_validate(prepare(data)))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "row"
            raise UnreadableRateFile(field="file", row=number, problem=f"{where}: {first['msg']}") from None
    if not found:
        raise UnreadableRateFile(field="file", row=2, problem="the file has no rows")
    return found


class DatedValues(Generic[Value]):
    """Values by key and day, looked up as the one in force on a day (the latest from that day or before)."""

    def __init__(self, entries: Iterable[tuple[Hashable, date, Value]]):
        self._days: dict[Hashable, list[date]] = defaultdict(list)
        self._values: dict[Hashable, list[Value]] = defaultdict(list)
        for key, day, value in sorted(entries, key=lambda entry: (str(entry[0]), entry[1])):
            self._days[key].append(day)
            self._values[key].append(value)

    def on(self, key: Hashable, day: date, *, within_days: int | None = None) -> Value | None:
        """The value in force on a day; None when there is none yet, or none from the last ``within_days``."""
        days = self._days.get(key, [])
        index = bisect_right(days, day)
        if not index or (within_days is not None and (day - days[index - 1]).days > within_days):
            return None
        return self._values[key][index - 1]
