"""Make a landing CSV readable by DuckDB, and turn file-level problems into one clear message.

People save landing files from Excel, CRM exports and scripts, so the same table
arrives as UTF-8, UTF-8 with a byte-order mark, UTF-16 or Windows-1252, with CRLF
or LF line endings. DuckDB reads only UTF-8, and its own errors are long,
multi-line and name temporary paths. This module:

- detects the encoding by validating the bytes in chunks (files can be 100+ MB),
  and hands DuckDB either the original file (UTF-8, with or without BOM) or a
  UTF-8 copy that is deleted afterwards (UTF-16, Windows-1252);
- fixes the CSV dialect in `CSV_READER`, so that a malformed row is an error
  rather than a row that is silently skipped, padded or taken for a header;
- rewrites DuckDB's parse errors as one line that names the file, the line and
  what to do, so `sop run` and `sop validate` can print it as it is.
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb

from orchestration.landing_errors import LandingFileError

# Large enough to keep the per-chunk overhead negligible, small enough to stay out of memory.
CHUNK_BYTES = 1 << 20

UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# Bytes that no text CSV contains: NUL (binary data, or UTF-16 without a BOM) and the
# five bytes Windows-1252 leaves undefined.
_NOT_CP1252 = re.compile(rb"[\x00\x81\x8d\x8f\x90\x9d]")

# DuckDB still runs its sniffer, but only to read the column names from the header:
# every dialect option is fixed, so it cannot guess a different one for a small file.
# - skip = 0: otherwise the sniffer may take rows before a malformed one for a
#   preamble and silently use a later row as the header (duckdb/duckdb#25827).
# - comment = '': otherwise a row whose first value starts with '#' may be taken
#   for a comment and silently dropped.
# - strict_mode, null_padding and ignore_errors: a row with too many or too few
#   fields, or a quote that is not closed, raises instead of being padded or skipped.
CSV_READER = (
    "read_csv(?, header = true, all_varchar = true, auto_detect = true, "
    "encoding = 'utf-8', delim = ',', quote = '\"', escape = '\"', comment = '', "
    "skip = 0, strict_mode = true, null_padding = false, ignore_errors = false)"
)

_LINE_ENDINGS = {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}

_FIX_QUOTES = 'write a quote inside a quoted value as ""'

_SAVE_AGAIN = "fix it and save it again as CSV UTF-8 (comma delimited)"

_MALFORMED = (
    "not a well-formed comma-separated CSV (for example a row with more or fewer fields "
    f"than the header, a quote that is not closed, or mixed line endings); {_SAVE_AGAIN}"
)


@dataclass(frozen=True)
class CsvText:
    """A landing CSV as DuckDB can read it, and the encoding the original was in.

    `path` is the original file when that is UTF-8 (with or without BOM), else a
    transcoded UTF-8 copy that exists only inside `readable_csv`. `encoding` is
    'utf-8', 'utf-8-sig' (UTF-8 with BOM), 'utf-16' or 'cp1252', worth recording
    so that a person can see which exports were not UTF-8.
    """

    path: Path
    encoding: str


def detect_encoding(path: Path, display_name: str) -> str:
    """The encoding of a landing CSV, after checking that every byte of it is text.

    Returns 'utf-8', 'utf-8-sig', 'utf-16' (by its BOM, either byte order) or
    'cp1252' (the file is not valid UTF-8; Latin-1 text decodes the same way).
    The file is read in chunks, never whole. Raises `LandingFileError` for an empty
    file, for binary content (NUL bytes), for bytes that are not text in any of these
    encodings, and for a file that mixes UTF-8 with another encoding, which
    decoding as cp1252 would silently garble.
    """
    if path.stat().st_size == 0:
        raise LandingFileError(
            f"{display_name}: the file is empty (0 bytes); expected at least a header row"
        )
    with path.open("rb") as stream:
        head = stream.read(len(UTF8_BOM))
        if head.startswith(UTF16_BOMS):
            stream.seek(0)
            for _ in _decode(stream, "utf-16", display_name):
                pass
            return "utf-16"
        start = len(UTF8_BOM) if head == UTF8_BOM else 0
        stream.seek(start)
        # A BOM says UTF-8 as clearly as valid non-ASCII text does.
        invalid_at = _first_invalid_utf8(stream, start, display_name, saw_utf8=start > 0)
        if invalid_at is None:
            return "utf-8-sig" if start else "utf-8"
        stream.seek(invalid_at)
        _check_cp1252(stream, invalid_at, display_name)
    return "cp1252"


@contextmanager
def readable_csv(path: Path, display_name: str) -> Iterator[CsvText]:
    """Yield the landing CSV as a UTF-8 file for `CSV_READER`; clean up on exit.

    UTF-8 files, with or without BOM, are read in place (DuckDB skips the BOM).
    UTF-16 and Windows-1252 files are transcoded, chunk by chunk, into a temporary
    UTF-8 copy with the same lines, so line numbers in errors still match the
    original; the copy is deleted when the context exits. Raises `LandingFileError`
    for the problems `detect_encoding` finds and for a file with no header row.
    """
    encoding = detect_encoding(path, display_name)
    if encoding in ("utf-8", "utf-8-sig"):
        _require_header(path, display_name)
        yield CsvText(path, encoding)
        return
    with tempfile.TemporaryDirectory(prefix="sop-landing-") as folder:
        copy = Path(folder) / path.name
        with path.open("rb") as source, copy.open("wb") as target:
            for text in _decode(source, encoding, display_name):
                target.write(text.encode("utf-8"))
        _require_header(copy, display_name)
        yield CsvText(copy, encoding)


def read_csv_error(
    exc: duckdb.Error, display_name: str, path: Path | None = None
) -> LandingFileError:
    """One line for a person, from the DuckDB error raised while reading a landing CSV.

    DuckDB reports the line only for rows past the ~2,048 its sniffer samples; for an
    earlier one it says only that it could not sniff the dialect. So when `path`
    (the `CsvText.path` that was read) is given, the file is scanned for the first
    malformed row, and the line reported is the physical line an editor shows
    (DuckDB counts a quoted value that spans lines as one line). Without `path`,
    or when the scan finds nothing, the message says what DuckDB reported.
    Raise the result `from None`: the message is complete, a traceback adds nothing.
    """
    try:
        problem = _find_problem(path) if path is not None else None
    except (OSError, UnicodeDecodeError):  # e.g. the copy is gone: say what DuckDB said
        problem = None
    return LandingFileError(f"{display_name}: {problem or _duckdb_problem(str(exc))}")


def _decode(stream: BinaryIO, encoding: str, display_name: str) -> Iterator[str]:
    """The text of `stream`, chunk by chunk; a decoding error or a NUL raises."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = stream.tell()
    while True:
        chunk = stream.read(CHUNK_BYTES)
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            offset_at = offset - pending + exc.start
            raise _not_text(display_name, exc.object[exc.start], offset_at) from None
        if "\x00" in text:  # a NUL character: binary content, even in valid UTF-16
            # The text starts at the pending bytes (after any BOM); measure what precedes the NUL.
            before = text[: text.index("\x00")]
            if encoding == "utf-16":
                start, size = max(offset - pending, 2), len(before.encode("utf-16-le"))
            else:
                start, size = offset - pending, len(before.encode(encoding))
            raise _not_text(display_name, 0, start + size)
        yield text
        if not chunk:
            return
        offset += len(chunk)


def _first_invalid_utf8(
    stream: BinaryIO, offset: int, display_name: str, *, saw_utf8: bool
) -> int | None:
    """Byte offset of the first byte that is not valid UTF-8, or None if all of it is.

    Raises for a NUL byte (not text in any supported encoding), and for invalid
    bytes after a BOM or after valid non-ASCII UTF-8: such a file mixes two
    encodings, and decoding it as cp1252 would garble the UTF-8 part.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    saw_non_ascii = saw_utf8
    while True:
        chunk = stream.read(CHUNK_BYTES)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise _not_text(display_name, 0, offset + nul)
        pending = decoder.getstate()[0]
        try:
            saw_non_ascii |= not decoder.decode(chunk, final=not chunk).isascii()
        except UnicodeDecodeError as exc:
            invalid_at = offset - len(pending) + exc.start
            if saw_non_ascii or not exc.object[: exc.start].isascii():
                raise LandingFileError(
                    f"{display_name}: mixes UTF-8 with another encoding (UTF-8 up to byte "
                    f"offset {invalid_at}, where byte 0x{exc.object[exc.start]:02X} is invalid); "
                    "save it as UTF-8 CSV"
                ) from None
            return invalid_at
        if not chunk:
            return None
        offset += len(chunk)


def _check_cp1252(stream: BinaryIO, offset: int, display_name: str) -> None:
    """Raise at the first byte that Windows-1252 does not define, or at a NUL."""
    while chunk := stream.read(CHUNK_BYTES):
        found = _NOT_CP1252.search(chunk)
        if found:
            raise _not_text(display_name, chunk[found.start()], offset + found.start())
        offset += len(chunk)


def _not_text(display_name: str, byte: int, offset: int) -> LandingFileError:
    return LandingFileError(
        f"{display_name}: not a text CSV in a supported encoding "
        f"(invalid byte 0x{byte:02X} at byte offset {offset}); save it as UTF-8 CSV"
    )


def _require_header(path: Path, display_name: str) -> None:
    """Raise unless the UTF-8 file starts with a header line.

    A file of only a BOM and blank lines would get an invented column from
    DuckDB; a blank first line makes DuckDB take the header for a data row.
    """
    with path.open("rb") as stream:
        if stream.read(len(UTF8_BOM)) != UTF8_BOM:
            stream.seek(0)
        first_line = stream.readline()
        if first_line.strip():
            return
        while chunk := stream.read(CHUNK_BYTES):
            if chunk.strip():
                raise LandingFileError(
                    f"{display_name}: line 1 is blank; the first line must be the header row"
                )
    raise LandingFileError(
        f"{display_name}: the file has only blank lines; expected at least a header row"
    )


def _width_problem(line: int, found: int, expected: int) -> str:
    fields = f"line {line} has {found} field{'' if found == 1 else 's'}, the header has {expected}"
    if found > expected:
        return f"{fields} (an unquoted comma?); put values that contain commas in double quotes"
    return (
        f"{fields} (a missing value, or a line break in an unquoted value?); "
        "give every row one value per column"
    )


def _unterminated(line: int) -> str:
    return f"unterminated quoted field starting at line {line}; close it, and {_FIX_QUOTES}"


def _find_problem(path: Path) -> str | None:
    """The first malformed row of a UTF-8 CSV, found with Python's csv module.

    Mirrors DuckDB's strict mode: every row has the header's number of fields, quotes
    are closed and followed by a comma or a line break, and every row ends with the
    same line break as the header. Blank lines are skipped, as DuckDB does. It runs
    only after DuckDB failed, so where DuckDB is more lenient (it accepts an empty
    field after the last column) the scan may name an earlier, stricter finding.
    """
    ending = [""]

    def lines(stream: Iterator[str]) -> Iterator[str]:
        for line in stream:
            ending[0] = line[len(line.rstrip("\r\n")) :]
            yield line

    header_width = 0
    header_ending = ""
    start = 1
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(lines(stream), strict=True)
        try:
            for record in reader:
                if not record:
                    start = reader.line_num + 1
                    continue
                if not header_width:
                    header_width, header_ending = len(record), ending[0]
                elif len(record) != header_width:
                    return _width_problem(start, len(record), header_width)
                if ending[0] and header_ending and ending[0] != header_ending:
                    return (
                        f"line {reader.line_num} ends with {_LINE_ENDINGS[ending[0]]} but "
                        f"line 1 ends with {_LINE_ENDINGS[header_ending]} (mixed line "
                        "endings); save the file again so that every line ends the same way"
                    )
                start = reader.line_num + 1
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return _unterminated(start)
            if "expected after" in str(exc):
                if reader.line_num == start:
                    return f"line {start} has text after a closing quote; {_FIX_QUOTES}"
                return (
                    f"the row starting at line {start} has text after a closing quote on line "
                    f"{reader.line_num} (an unclosed quote on line {start}?); {_FIX_QUOTES}"
                )
            return None  # e.g. a value over Python's field size limit: leave it to DuckDB
    return None


def _duckdb_problem(message: str) -> str:
    """The problem as DuckDB reports it, in one line without its hints and settings."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    too_long = re.search(r"Maximum line size of (\d+) bytes exceeded", message)
    if line and columns:
        return _width_problem(int(line[1]), int(columns[2]), int(columns[1]))
    if line and "Value with unterminated quote found" in message:
        return _unterminated(int(line[1]))
    if too_long:
        return (
            f"a row is longer than {too_long[1]} bytes (an unterminated quote?); "
            f"close every quoted value, and {_FIX_QUOTES}"
        )
    if line:
        return f"line {line[1]} cannot be read as CSV; {_SAVE_AGAIN}"
    if "Error when sniffing file" in message or "state machine reached an invalid" in message:
        return _MALFORMED
    lines = [text.strip() for text in message.splitlines() if text.strip()]
    # A parallel scan wraps the real error: "...closed pending query result", "Error: ...".
    detail = next((t for t in lines if "pending query result" not in t), "unknown error")
    detail = detail.removeprefix("Error: ")
    return f"cannot be read as CSV ({detail}); check that it is a comma-separated text file"
