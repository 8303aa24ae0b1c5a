"""Write generated tables as landing files, typed by the landing contract.

Generators hand over columns of plain numbers (day and second counts, floats,
booleans) and strings; this module is the one place that knows how a
landing file spells them. CSV: a header, ISO dates `YYYY-MM-DD`, timestamps
`YYYY-MM-DDTHH:MM:SS` (with a `+HH:MM` offset where the table supplies one),
money with two decimals, `true`/`false`, an empty cell for an empty value,
quotes only where a value needs them. Parquet: the declared type of every
column (instants in UTC), except that a column holding a deliberately
malformed value is written as text, as a loosely typed export would be.

Rendering is vectorized (lookup tables for dates and times of day, numpy
string operations for numbers) and byte-for-byte deterministic.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.demo.timeline import DAY, MISSING
from orchestration.landing_contract import MONEY, LandingFile

TEXT = np.dtypes.StringDType()
#: Offset value meaning "write this timestamp without an offset".
NO_OFFSET = np.iinfo(np.int16).min

CHUNK_ROWS = 200_000

Table = Mapping[str, np.ndarray]
#: (0-based data row, column name, text written instead of the generated value)
Injection = tuple[int, str, str]


def write_landing_file(
    landing_dir: Path,
    spec: LandingFile,
    table: Table,
    file_format: str = "csv",
    offsets: Mapping[str, np.ndarray] | None = None,
    injections: Sequence[Injection] = (),
) -> Path:
    """Write `table` as `<landing_dir>/<folder>/<name>.csv|.parquet`; return the path."""
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
    n_rows = {len(table[c.name]) for c in spec.columns}
    if len(n_rows) != 1:
        raise ValueError(f"{spec.name}: columns of different lengths {sorted(n_rows)}")
    path = landing_dir / f"{spec.relative_stem}.{file_format}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            out.writelines(csv_chunks(spec, table, offsets or {}, injections))
    else:
        pq.write_table(
            _arrow_table(spec, table, offsets or {}, injections), path, compression="zstd"
        )
    return path


def csv_chunks(
    spec: LandingFile,
    table: Table,
    offsets: Mapping[str, np.ndarray],
    injections: Sequence[Injection] = (),
    rows_per_chunk: int = CHUNK_ROWS,
) -> Iterator[str]:
    """The CSV text in pieces: the header line, then blocks of rows (bounded memory)."""
    yield ",".join(c.name for c in spec.columns) + "\n"
    n = len(table[spec.columns[0].name])
    for start in range(0, n, rows_per_chunk):
        stop = min(start + rows_per_chunk, n)
        line = None
        for col in spec.columns:
            offset = offsets.get(col.name)
            text = render_column(
                col.type,
                table[col.name][start:stop],
                None if offset is None else offset[start:stop],
            )
            inside = [(r - start, c, v) for r, c, v in injections if start <= r < stop]
            text = _inject(text, col.name, inside)
            if col.type == "VARCHAR" or _touched(col.name, inside):
                text = _quote(text)
            line = text if line is None else np.strings.add(np.strings.add(line, ","), text)
        yield "\n".join(line.tolist()) + "\n"


def render_column(type_: str, values: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
    """Text of one column as written to CSV; empty string for an empty value."""
    if type_ == "DATE":
        return _dates(values)
    if type_ == "TIMESTAMP":
        return _timestamps(values, offset)
    if type_ == MONEY:
        return _money(values)
    if type_ == "DOUBLE":
        return _double(values)
    if type_ == "INTEGER":
        return np.asarray(values, dtype=np.int64).astype(TEXT)
    if type_ == "BOOLEAN":
        return np.where(values, "true", "false").astype(TEXT)
    return np.asarray(values).astype(TEXT)


def _blank(text: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Empty cells where `missing` (only touches the array when something is missing)."""
    if missing.any():
        text = text.copy()
        text[missing] = ""
    return text


def _dates(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    missing = days == MISSING
    if missing.all():
        return np.full(days.size, "", dtype=TEXT)
    low, high = int(days[~missing].min()), int(days[~missing].max())
    lookup = np.datetime_as_string(np.arange(low, high + 1).astype("datetime64[D]")).astype(TEXT)
    return _blank(lookup[np.where(missing, low, days) - low], missing)


@functools.cache
def _times_of_day() -> np.ndarray:
    """'THH:MM:SS' for every second of a day (a lookup table built once)."""
    stamps = np.datetime_as_string(np.arange(DAY).astype("datetime64[s]"), unit="s")
    return np.strings.slice(stamps.astype(TEXT), 10, None)


def _timestamps(seconds: np.ndarray, offset: np.ndarray | None) -> np.ndarray:
    seconds = np.asarray(seconds, dtype=np.int64)
    missing = seconds == MISSING
    has_offset = (
        np.zeros(seconds.size, bool) if offset is None else (offset != NO_OFFSET) & ~missing
    )
    local = np.where(missing, 0, seconds)
    if has_offset.any():
        local = local + np.where(has_offset, offset.astype(np.int64) * 60, 0)
    text = np.strings.add(
        _dates(np.where(missing, MISSING, local // DAY)), _times_of_day()[local % DAY]
    )
    if has_offset.any():
        minutes = np.abs(offset[has_offset].astype(np.int64))
        sign = np.where(offset[has_offset] < 0, "-", "+").astype(TEXT)
        hh = np.strings.zfill((minutes // 60).astype(TEXT), 2)
        mm = np.strings.zfill((minutes % 60).astype(TEXT), 2)
        suffix = np.strings.add(np.strings.add(np.strings.add(sign, hh), ":"), mm)
        text[has_offset] = np.strings.add(text[has_offset], suffix)
    return _blank(text, missing)


def _money(values: np.ndarray) -> np.ndarray:
    cents = np.round(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)
    whole = (np.abs(cents) // 100).astype(TEXT)
    frac = np.strings.zfill((np.abs(cents) % 100).astype(TEXT), 2)
    text = np.strings.add(np.strings.add(whole, "."), frac)
    negative = cents < 0
    if negative.any():
        text[negative] = np.strings.add("-", text[negative])
    return text


def _double(values: np.ndarray) -> np.ndarray:
    """Whole numbers without decimals, others with up to four decimals."""
    x = np.asarray(values, dtype=np.float64)
    missing = np.isnan(x)
    x = np.where(missing, 0.0, x)
    scaled = np.round(np.abs(x) * 10_000).astype(np.int64)
    text = (scaled // 10_000).astype(TEXT)
    fractional = scaled % 10_000 > 0
    if fractional.any():
        frac = np.strings.rstrip(
            np.strings.zfill((scaled[fractional] % 10_000).astype(TEXT), 4), "0"
        )
        text[fractional] = np.strings.add(np.strings.add(text[fractional], "."), frac)
    negative = (x < 0) & (scaled > 0)
    if negative.any():
        text[negative] = np.strings.add("-", text[negative])
    return _blank(text, missing)


def _quote(text: np.ndarray) -> np.ndarray:
    """Quote the values that contain a comma, a quote or a line break (RFC 4180)."""
    if text.size == 0:
        return text
    width = int(np.strings.str_len(text).max())
    if width == 0:
        return text
    # As fixed-width UTF-32, all code points of the column are scanned in one pass.
    codes = text.astype(f"<U{width}").view(np.uint32).reshape(text.size, width)
    needs = ((codes == 44) | (codes == 34) | (codes == 10) | (codes == 13)).any(axis=1)
    if not needs.any():
        return text
    quoted = np.strings.add(np.strings.add('"', np.strings.replace(text, '"', '""')), '"')
    return np.where(needs, quoted, text)


def _touched(column: str, injections: Sequence[Injection]) -> bool:
    return any(c == column for _, c, _ in injections)


def _inject(text: np.ndarray, column: str, injections: Sequence[Injection]) -> np.ndarray:
    rows = [(r, v) for r, c, v in injections if c == column]
    if not rows:
        return text
    text = text.copy()
    for row, value in rows:
        text[row] = value
    return text


def _arrow_table(
    spec: LandingFile,
    table: Table,
    offsets: Mapping[str, np.ndarray],
    injections: Sequence[Injection],
) -> pa.Table:
    arrays = {}
    for col in spec.columns:
        values = table[col.name]
        if _touched(col.name, injections):
            text = _inject(
                render_column(col.type, values, offsets.get(col.name)), col.name, injections
            )
            arrays[col.name] = pa.array(text.astype(object), pa.string(), mask=text == "")
        else:
            arrays[col.name] = _arrow_column(col.type, col.nullable, values)
    return pa.table(arrays)


def _arrow_column(type_: str, nullable: bool, values: np.ndarray) -> pa.Array:
    if type_ in ("DATE", "TIMESTAMP"):
        values = np.asarray(values, dtype=np.int64)
        missing = values == MISSING
        unit = "datetime64[D]" if type_ == "DATE" else "datetime64[s]"
        return pa.array(np.where(missing, 0, values).astype(unit), mask=missing)
    if type_ == MONEY:
        cents = np.round(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)
        # decimal128 stores a little-endian 128-bit integer: low word, then sign extension.
        words = np.empty((cents.size, 2), dtype=np.int64)
        words[:, 0] = cents
        words[:, 1] = np.where(cents < 0, -1, 0)
        return pa.Array.from_buffers(
            pa.decimal128(18, 2), cents.size, [None, pa.py_buffer(words.tobytes())]
        )
    if type_ == "DOUBLE":
        x = np.asarray(values, dtype=np.float64)
        return pa.array(x, mask=np.isnan(x))
    if type_ == "INTEGER":
        return pa.array(np.asarray(values, dtype=np.int32))
    if type_ == "BOOLEAN":
        return pa.array(np.asarray(values, dtype=bool))
    text = np.asarray(values).astype(TEXT)
    return pa.array(text.astype(object), pa.string(), mask=(text == "") if nullable else None)
