"""Landing CSVs as DuckDB reads them: encodings, the fixed dialect, and one-line file errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration import landing_text
from orchestration.landing_errors import LandingFileError
from orchestration.landing_text import (
    CSV_READER,
    CsvText,
    detect_encoding,
    read_csv_error,
    readable_csv,
)

NAME = "crm/accounts.csv"
ROWS = [("A1", "Société Générale"), ("A2", "Müller GmbH")]
TEXT = "id,name\r\nA1,Société Générale\r\nA2,Müller GmbH\r\n"


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_bytes(data)
    return path


def _read(path: Path) -> tuple[list[str], list[tuple[str | None, ...]]]:
    with duckdb.connect() as con:
        rows = con.execute(f"select * from {CSV_READER}", [str(path)]).fetchall()
        return [d[0] for d in con.description], rows


def _load(path: Path) -> tuple[CsvText, list[str], list[tuple[str | None, ...]]]:
    with readable_csv(path, NAME) as csv_text:
        columns, rows = _read(csv_text.path)
    return csv_text, columns, rows


def _errors(path: Path) -> tuple[str, str]:
    """The message with the file scanned, and the one from DuckDB's error alone."""
    with readable_csv(path, NAME) as csv_text:
        with pytest.raises(duckdb.Error) as caught:
            _read(csv_text.path)
        # Inside the `with`: a transcoded copy is gone once it exits.
        with_scan = read_csv_error(caught.value, NAME, csv_text.path)
    duckdb_only = read_csv_error(caught.value, NAME)
    assert isinstance(with_scan, LandingFileError)
    return str(with_scan), str(duckdb_only)


def _numbered(count: int) -> list[str]:
    return [f"{i},v{i}" for i in range(count)]


MALFORMED = (
    f"{NAME}: not a well-formed comma-separated CSV (for example a row with more or fewer "
    "fields than the header, a quote that is not closed, or mixed line endings); "
    "fix it and save it again as CSV UTF-8 (comma delimited)"
)


# --- encodings -------------------------------------------------------------------------------


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, b"")
    message = f"{NAME}: the file is empty (0 bytes); expected at least a header row"
    with pytest.raises(LandingFileError) as caught:
        detect_encoding(path, NAME)
    assert str(caught.value) == message
    with pytest.raises(LandingFileError) as caught, readable_csv(path, NAME):
        pass
    assert str(caught.value) == message


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b"\r\n\r\n", b"  \n"])
def test_file_with_only_blank_lines_is_rejected(tmp_path: Path, data: bytes) -> None:
    # DuckDB would read it as one column named column0.
    with pytest.raises(LandingFileError) as caught, readable_csv(_write(tmp_path, data), NAME):
        pass
    assert str(caught.value) == (
        f"{NAME}: the file has only blank lines; expected at least a header row"
    )


def test_utf8_is_read_in_place(tmp_path: Path) -> None:
    path = _write(tmp_path, TEXT.replace("\r\n", "\n").encode())
    csv_text, columns, rows = _load(path)
    assert csv_text == CsvText(path, "utf-8")
    assert (columns, rows) == (["id", "name"], ROWS)


def test_excel_csv_utf8_with_bom_and_crlf_is_read_in_place(tmp_path: Path) -> None:
    path = _write(tmp_path, b"\xef\xbb\xbf" + TEXT.encode())
    csv_text, columns, rows = _load(path)
    assert csv_text == CsvText(path, "utf-8-sig")
    # DuckDB drops the BOM: the first column is "id", not "\ufeffid".
    assert (columns, rows) == (["id", "name"], ROWS)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_transcoded_to_a_temporary_copy(tmp_path: Path, codec: str) -> None:
    path = _write(tmp_path, ("\ufeff" + TEXT).encode(codec))
    assert detect_encoding(path, NAME) == "utf-16"
    csv_text, columns, rows = _load(path)
    assert csv_text.encoding == "utf-16"
    assert csv_text.path != path
    assert not csv_text.path.exists()
    assert (columns, rows) == (["id", "name"], ROWS)


def test_excel_plain_csv_in_cp1252_with_crlf_is_transcoded(tmp_path: Path) -> None:
    note = "“Grand” café\u2019s €5 deal"  # cp1252 bytes 0x93, 0x94, 0x92 (U+2019), 0x80
    text = f"id,note\r\nN1,{note}\r\nN2,Müller\r\n"
    path = _write(tmp_path, text.encode("cp1252"))
    with readable_csv(path, NAME) as csv_text:
        assert csv_text.encoding == "cp1252"
        assert csv_text.path.read_bytes() == text.encode("utf-8")
        assert _read(csv_text.path) == (
            ["id", "note"],
            [("N1", note), ("N2", "Müller")],
        )
    assert not csv_text.path.exists()
    assert path.read_bytes() == text.encode("cp1252")


def test_latin1_is_read_as_cp1252(tmp_path: Path) -> None:
    path = _write(tmp_path, TEXT.encode("latin-1"))
    csv_text, columns, rows = _load(path)
    assert csv_text.encoding == "cp1252"
    assert (columns, rows) == (["id", "name"], ROWS)


def test_temporary_copy_is_deleted_when_reading_fails(tmp_path: Path) -> None:
    path = _write(tmp_path, TEXT.encode("cp1252"))
    with pytest.raises(RuntimeError), readable_csv(path, NAME) as csv_text:
        raise RuntimeError
    assert not csv_text.path.exists()


def test_decoding_is_correct_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of 3 bytes split the 2-byte UTF-8 and UTF-16 characters between reads.
    monkeypatch.setattr(landing_text, "CHUNK_BYTES", 3)
    for data, encoding in [
        (TEXT.encode(), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode(), "utf-8-sig"),
        (("\ufeff" + TEXT).encode("utf-16-le"), "utf-16"),
        (TEXT.encode("cp1252"), "cp1252"),
    ]:
        csv_text, columns, rows = _load(_write(tmp_path, data))
        assert (csv_text.encoding, columns, rows) == (encoding, ["id", "name"], ROWS)


@pytest.mark.parametrize("chunk_bytes", [3, 1 << 20])
@pytest.mark.parametrize(
    ("data", "byte", "offset"),
    [
        (b"id,name\nA1,Acme\x00\x00\n", "0x00", 15),  # binary content
        (b"id,name\nA1,Acme\x81\n", "0x81", 15),  # undefined in cp1252
        (b"id,name\nA1,Caf\xe9\x8d\n", "0x8D", 15),  # cp1252 text, then an undefined byte
        (b"id,name\nA1,\x8f\n", "0x8F", 11),
        (b"id,name\nA1,\x90\n", "0x90", 11),
        (b"id,name\nA1,\x9d\n", "0x9D", 11),
        (b"\xff\xfei\x00d\x00\x00\x00", "0x00", 6),  # UTF-16 with a NUL character
        (b"\xff\xfei\x00d\x00\n", "0x0A", 6),  # UTF-16 with an odd number of bytes
        (b"\xff\xfei\x00\x00\xdc", "0x00", 4),  # UTF-16 with a lone low surrogate
    ],
)
def test_content_that_is_not_text_is_rejected(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    chunk_bytes: int,
    data: bytes,
    byte: str,
    offset: int,
) -> None:
    monkeypatch.setattr(landing_text, "CHUNK_BYTES", chunk_bytes)
    with pytest.raises(LandingFileError) as caught:
        detect_encoding(_write(tmp_path, data), NAME)
    assert str(caught.value) == (
        f"{NAME}: not a text CSV in a supported encoding "
        f"(invalid byte {byte} at byte offset {offset}); save it as UTF-8 CSV"
    )


@pytest.mark.parametrize(
    "data",
    [
        # UTF-8 rows with a cp1252 row appended: decoding all as cp1252 would garble "é".
        "id,name\nA1,Société\n".encode() + "A2,Müller\n".encode("cp1252"),
        # A UTF-8 BOM, then bytes that are not UTF-8.
        b"\xef\xbb\xbfid,name\nA1,M" + "üller\n".encode("cp1252"),
    ],
)
def test_utf8_mixed_with_another_encoding_is_rejected(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(LandingFileError) as caught:
        detect_encoding(_write(tmp_path, data), NAME)
    offset = data.index(b"\xfc")
    assert str(caught.value) == (
        f"{NAME}: mixes UTF-8 with another encoding (UTF-8 up to byte offset {offset}, "
        "where byte 0xFC is invalid); save it as UTF-8 CSV"
    )


# --- the dialect -----------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_line_endings_and_quoting(tmp_path: Path, newline: str, final_newline: bool) -> None:
    lines = [
        "id,name,note",
        'A1,"Acme, Inc.","said ""hi"""',
        f'A2,"two{newline}lines",  padded  ',
        "#A3,,x",  # not a comment: a '#' in the first value is data
    ]
    text = newline.join(lines) + (newline if final_newline else "")
    _, columns, rows = _load(_write(tmp_path, text.encode()))
    assert columns == ["id", "name", "note"]
    assert rows == [
        ("A1", "Acme, Inc.", 'said "hi"'),
        ("A2", f"two{newline}lines", "  padded  "),
        ("#A3", None, "x"),
    ]


@pytest.mark.parametrize("data", [b"id,name,amount\r\n", b"id,name,amount"])
def test_header_only_file_has_columns_and_no_rows(tmp_path: Path, data: bytes) -> None:
    with readable_csv(_write(tmp_path, data), NAME) as csv_text, duckdb.connect() as con:
        described = con.execute(
            f"describe select * from {CSV_READER}", [str(csv_text.path)]
        ).fetchall()
        count = con.execute(f"select count(*) from {CSV_READER}", [str(csv_text.path)])
        assert count.fetchone() == (0,)
    assert [(row[0], row[1]) for row in described] == [
        ("id", "VARCHAR"),
        ("name", "VARCHAR"),
        ("amount", "VARCHAR"),
    ]


def test_values_that_look_typed_stay_text(tmp_path: Path) -> None:
    _, _, rows = _load(_write(tmp_path, b"id,amount,day\n007,1e3,2024-02-30\n"))
    assert rows == [("007", "1e3", "2024-02-30")]


def test_trailing_comma_on_every_row_is_accepted_by_duckdb(tmp_path: Path) -> None:
    # DuckDB drops an empty field after the last column; nothing is lost.
    _, columns, rows = _load(_write(tmp_path, b"id,name\nA1,Acme,\nA2,Beta,\n"))
    assert (columns, rows) == (["id", "name"], [("A1", "Acme"), ("A2", "Beta")])


# --- malformed files: an error, never a skipped or padded row ---------------------------------


def test_row_with_too_many_fields_raises_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, b"id,name\nA1,Acme\nA2,Acme, Inc.\nA3,Beta\n")
    assert _errors(path) == (
        f"{NAME}: line 3 has 3 fields, the header has 2 (an unquoted comma?); "
        "put values that contain commas in double quotes",
        MALFORMED,  # DuckDB's sniffer rejects the first 2,048 rows without a line number
    )


def test_trailing_comma_on_some_rows_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, b"id,name\nA1,Acme,\nA2,Beta\n")
    assert _errors(path)[0].startswith(f"{NAME}: line 2 has 3 fields, the header has 2 ")


def test_row_with_too_few_fields_raises_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, b"id,name,amount\r\nA1,Acme,5\r\nA2,Beta\r\n")
    assert _errors(path)[0] == (
        f"{NAME}: line 3 has 2 fields, the header has 3 (a missing value, or a line break "
        "in an unquoted value?); give every row one value per column"
    )


def test_unterminated_quote_raises_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, b'id,name\nA1,Acme\nA2,"Beta\nA3,Gamma\n')
    assert _errors(path)[0] == (
        f"{NAME}: unterminated quoted field starting at line 3; close it, "
        'and write a quote inside a quoted value as ""'
    )


def test_text_after_a_closing_quote_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, b'id,name\nA1,"Acme" Inc\n')
    assert _errors(path)[0] == (
        f'{NAME}: line 2 has text after a closing quote; write a quote inside a quoted value as ""'
    )
    path = _write(tmp_path, b'id,name\nA1,"Acme\nA2,"Beta"\n')
    assert _errors(path)[0] == (
        f"{NAME}: the row starting at line 2 has text after a closing quote on line 3 "
        '(an unclosed quote on line 2?); write a quote inside a quoted value as ""'
    )


def test_mixed_line_endings_raise(tmp_path: Path) -> None:
    path = _write(tmp_path, b"id,name\r\nA1,Acme\r\nA2,Beta\nA3,Gamma\r\n")
    assert _errors(path)[0] == (
        f"{NAME}: line 3 ends with LF but line 1 ends with CRLF (mixed line endings); "
        "save the file again so that every line ends the same way"
    )


def test_malformed_row_does_not_turn_earlier_rows_into_a_preamble(tmp_path: Path) -> None:
    # Without skip = 0, DuckDB takes "A2,Acme,x" for the header and returns no rows.
    path = _write(tmp_path, b"id,name\nA1,Acme\nA2,Acme,x\n")
    assert _errors(path)[0].startswith(f"{NAME}: line 3 has 3 fields, the header has 2 ")


def test_duckdb_reports_the_line_past_its_sniffer_sample(tmp_path: Path) -> None:
    # Rows past the first 2,048 are checked by the scan, which names the line.
    lines = ["id,name", *_numbered(2100)]
    too_many, too_few, unterminated = list(lines), list(lines), list(lines)
    too_many.insert(2060, "X,Acme, Inc.")
    too_few.insert(2060, "X")
    unterminated.insert(2060, 'X,"Acme')
    for rows, problem in [
        (too_many, "line 2061 has 3 fields, the header has 2 (an unquoted comma?); "),
        (too_few, "line 2061 has 1 field, the header has 2 (a missing value, "),
        (unterminated, "unterminated quoted field starting at line 2061; "),
    ]:
        with_scan, duckdb_only = _errors(_write(tmp_path, "\n".join(rows).encode()))
        assert with_scan == duckdb_only
        assert duckdb_only.startswith(f"{NAME}: {problem}")


def test_line_numbers_are_physical_lines_when_the_file_is_scanned(tmp_path: Path) -> None:
    # DuckDB counts a quoted value that spans two lines as one line; an editor does not.
    lines = ["id,name", 'A0,"two\nlines"', *_numbered(2100)]
    lines.insert(2060, "X,Acme, Inc.")
    with_scan, duckdb_only = _errors(_write(tmp_path, "\n".join(lines).encode()))
    assert with_scan.startswith(f"{NAME}: line 2062 has 3 fields")
    assert duckdb_only.startswith(f"{NAME}: line 2061 has 3 fields")


def test_cp1252_file_errors_name_the_original_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,name\r\nA1,Café\r\nA2,Müller,x\r\n".encode("cp1252"))
    assert _errors(path)[0].startswith(f"{NAME}: line 3 has 3 fields, the header has 2 ")


def test_overlong_row_is_reported_as_duckdb_reports_it(tmp_path: Path) -> None:
    # Python's csv module stops at its field size limit, so the message is DuckDB's.
    path = _write(tmp_path, b'id,name\nA1,"' + b"x" * 2_000_001 + b'"\n')
    assert (
        _errors(path)
        == (
            f"{NAME}: a row is longer than 2000000 bytes (an unterminated quote?); "
            'close every quoted value, and write a quote inside a quoted value as ""',
        )
        * 2
    )


def test_other_duckdb_errors_become_one_line(tmp_path: Path) -> None:
    with duckdb.connect() as con, pytest.raises(duckdb.Error) as caught:
        con.execute(f"select * from {CSV_READER}", [str(tmp_path / "missing.csv")])
    message = str(read_csv_error(caught.value, NAME, tmp_path / "missing.csv"))
    assert "\n" not in message
    assert message.startswith(f"{NAME}: cannot be read as CSV (IO Error: No files found")
    assert message.endswith("); check that it is a comma-separated text file")


def test_a_blank_first_line_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "reps.csv"
    path.write_bytes(b"\nrep_id,rep_name\nR1,Ann\n")
    message = r"^crm/reps.csv: line 1 is blank; the first line"
    with pytest.raises(LandingFileError, match=message), readable_csv(path, "crm/reps.csv"):
        pass
