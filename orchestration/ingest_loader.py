"""Load one landing file into `raw.<name>` with declared types, quarantining bad rows.

The loader reads every cell as text first, so nothing is lost to a parser's
guess. A row goes to `quality.quarantine`, with a reason a person can act on,
when a value does not cast to its declared type, a required value is empty,
it breaks a row rule of its file's GX suites, or its key repeats an earlier
row's. File-level problems (missing or unreadable file, missing column)
raise `LandingFileError`, whose message names the file and what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from expectations import SuiteFile, list_suites
from expectations.row_rules import Reference, RowRule, quarantine_rules, sql_literal
from orchestration.dbt_config import configured_aliases
from orchestration.landing_contract import Column, LandingFile
from orchestration.landing_errors import LandingFileError
from orchestration.landing_text import CSV_READER, read_csv_error, readable_csv

QUARANTINE_TABLE = "quality.quarantine"
LOAD_LOG_TABLE = "quality.load_log"


class MissingReference(RuntimeError):
    """A file's rows refer to a table that is not loaded (the asset graph loads it first)."""

    def __init__(self, source_file: str, reference: Reference) -> None:
        super().__init__(f"{source_file} is checked against {reference.table}: load it first")
        self.reference = reference


@dataclass(frozen=True)
class LoadResult:
    """What happened to one landing file: nothing is lost, rows_read = loaded + quarantined."""

    source_file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    extra_columns: tuple[str, ...]
    encoding: str = "utf-8"


def find_landing_file(landing_dir: Path, spec: LandingFile) -> Path:
    """The CSV or Parquet file for `spec`; exactly one of the two must exist."""
    candidates = [landing_dir / f"{spec.relative_stem}.{ext}" for ext in ("csv", "parquet")]
    present = [p for p in candidates if p.exists()]
    if not present:
        raise LandingFileError(
            f"{spec.relative_stem}.csv: missing landing file (neither .csv nor .parquet is "
            f"in {landing_dir})"
        )
    if len(present) > 1:
        raise LandingFileError(
            f"both {present[0].name} and {present[1].name} exist in {present[0].parent}; "
            "keep only one"
        )
    return present[0]


@contextmanager
def landing_relation(
    con: duckdb.DuckDBPyConnection, path: Path, display_name: str
) -> Iterator[str]:
    """A temp view `_landing_file` over the landing file, every CSV column as text.

    CSV text is decoded first (UTF-8 with or without BOM in place; UTF-16 and
    Windows-1252 through a temporary UTF-8 copy, see `landing_text`). A file
    that cannot be read, here or while the body reads the view, raises
    `LandingFileError` naming it and what is wrong. Yields the encoding found
    ('parquet' for Parquet files).
    """
    if path.suffix != ".csv":
        try:
            con.execute(
                "create or replace temp view _landing_file as "
                f"select * from read_parquet({sql_literal(str(path))})"
            )
            yield "parquet"
        except duckdb.Error as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LandingFileError(
                f"{display_name}: not a readable Parquet file ({detail})"
            ) from None
        finally:
            con.execute("drop view if exists _landing_file")
        return
    with readable_csv(path, display_name) as text:
        try:
            con.execute(
                "create or replace temp view _landing_file as "
                f"select * from {CSV_READER.replace('?', sql_literal(str(text.path)))}"
            )
            yield text.encoding
        except duckdb.Error as exc:
            raise read_csv_error(exc, display_name, text.path) from None
        finally:
            con.execute("drop view if exists _landing_file")


def count_records(con: duckdb.DuckDBPyConnection, path: Path, display_name: str) -> int:
    """Data records in a landing file, counted by reading it again (the audit's own count)."""
    with landing_relation(con, path, display_name):
        return con.execute("select count(*) from _landing_file").fetchone()[0]


RESERVED_PREFIX = "__sop_"


def _ident(name: str) -> str:
    """A quoted SQL identifier; a header may contain quotes, spaces or anything else."""
    return '"' + name.replace('"', '""') + '"'


def _read_as_text(
    con: duckdb.DuckDBPyConnection, path: Path, display_name: str
) -> tuple[str, list[str]]:
    """Read the file into temp table `_landing`, every column as text, in file order.

    Columns are renamed by position in `_landing_in` (c0, c1, ...), so no header
    (not even `rowid`) can stand in for the loader's own names. Header names are
    then compared trimmed and case-insensitively; two that become the same name,
    or one that takes a name the loader needs, is a file-level error.
    Returns the file's encoding (see `landing_relation`) and its header as read.
    """
    with landing_relation(con, path, display_name) as encoding:
        header = [row[0] for row in con.execute("describe _landing_file").fetchall()]
        positional = ", ".join(f"{_ident(name)} as c{i}" for i, name in enumerate(header))
        con.execute(
            f"create or replace temp table _landing_in as select {positional} from _landing_file"
        )
    names = [name.strip().lower() for name in header]
    for i, name in enumerate(names):
        if name == "_source_row" or name.startswith(RESERVED_PREFIX):
            raise LandingFileError(
                f"{display_name}: column {header[i]!r} has a name the loader reserves "
                f"(_source_row, {RESERVED_PREFIX}...); rename it"
            )
        if name in names[:i]:
            raise LandingFileError(
                f"{display_name}: columns {header[names.index(name)]!r} and {header[i]!r} are "
                "the same column once case and spaces are ignored; keep one"
            )
    selects = [
        f"nullif(trim(cast(c{i} as varchar)), '') as {_ident(name)}" for i, name in enumerate(names)
    ]
    con.execute(
        "create or replace temp table _landing as "
        f"select rowid + 1 as _source_row, {', '.join(selects)} from _landing_in"
    )
    # `_landing_in` stays until the end: quarantine's raw_record is the text exactly as read
    # (untrimmed, original header names), made only for the rows quarantined.
    return encoding, header


def _original_record(header: list[str]) -> str:
    """SQL for the row of `_landing_in` (alias `o`) as a struct keyed by the file's header."""
    fields = ", ".join(f"{sql_literal(name)}: o.c{i}" for i, name in enumerate(header))
    return "{" + fields + "}"


# A date is a date: "2025-04-10", or that day at midnight with no offset (Excel writes
# "2025-04-10 00:00:00"). Anything with a time of day or an offset would be cut to a
# day silently, and which day depends on the zone, so it is an invalid date instead.
_DATE_TEXT = r"\d{4}-\d{2}-\d{2}([ T]00:00(:00(\.0+)?)?)?"
_INTEGER_TEXT = r"[+-]?\d+"


def _typed(column: Column) -> str:
    """SQL that casts the text value of `column` to its declared type, NULL if it cannot.

    NaN, infinities and infinite dates cast in DuckDB but are no usable value,
    so they are NULL here (an invalid value), like anything else that does not cast.
    """
    ref = _ident(column.name)
    if column.type == "TIMESTAMP":
        # Offsets are honoured and converted to UTC; values without one are taken as UTC.
        value = f"cast(try_cast({ref} as timestamptz) as timestamp)"
        return f"case when isfinite({value}) then {value} end"
    if column.type == "DATE":
        value = f"try_cast({ref} as date)"
        return (
            f"case when regexp_full_match({ref}, '{_DATE_TEXT}') and isfinite({value}) "
            f"then {value} end"
        )
    if column.type == "INTEGER":
        integer = f"try_cast({ref} as integer)"
        return f"case when regexp_full_match({ref}, '{_INTEGER_TEXT}') then {integer} end"
    if column.type == "DOUBLE":
        value = f"try_cast({ref} as double)"
        return f"case when isfinite({value}) then {value} end"
    return f"try_cast({ref} as {column.type})"


def _typed_ref(name: str) -> str:
    """The typed copy of a column in the working table (the original text keeps the name)."""
    return _ident(f"{RESERVED_PREFIX}typed_{name}")


def _text_ref(name: str) -> str:
    return _ident(name)


def _contract_rules(column: Column) -> list[RowRule]:
    """The landing contract's own rules for a column: a required value, a castable value."""
    ref = _text_ref(column.name)
    label = column.type.split("(")[0].lower()
    invalid = RowRule(
        "invalid_value",
        column.name,
        f"{ref} is not null and {_typed_ref(column.name)} is null",
        f"'{column.name}: ''' || {ref} || ''' is not a valid {label}'",
    )
    if column.nullable:
        return [invalid]
    missing = RowRule(
        "missing_value", column.name, f"{ref} is null", f"'{column.name}: required value is empty'"
    )
    return [missing, invalid]


def _row_rule_suites(spec: LandingFile) -> list[SuiteFile]:
    """The suites guarding `raw.<name>` whose expectations may be row rules."""
    return [s for s in list_suites() if s.table == f"raw.{spec.name}" and not s.query]


def quarantine_references(spec: LandingFile) -> list[Reference]:
    """The tables `spec`'s row rules look rows up in: they must be loaded first."""
    return [ref for suite in _row_rule_suites(spec) for ref in suite.quarantine_references]


def suite_rules(spec: LandingFile) -> list[RowRule]:
    """The quarantine rules of the suites guarding `raw.<name>`, rendered as SQL."""
    aliases = configured_aliases()
    return [
        rule
        for suite in _row_rule_suites(spec)
        for rule in quarantine_rules(
            suite.quarantine_expectations, _typed_ref, _text_ref, suite.references, aliases
        )
    ]


def _require_loaded(
    con: duckdb.DuckDBPyConnection, source_file: str, references: list[Reference]
) -> None:
    """Referenced tables must be loaded first (the asset graph orders them; this says so)."""
    loaded = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    for ref in references:
        if ref.table not in loaded:
            raise MissingReference(source_file, ref)


def _case(rules: list[RowRule], field: str) -> str:
    """SQL giving `field` (column or kind) of the first rule the row breaks, else NULL."""
    whens = " ".join(f"when {r.violation} then '{getattr(r, field)}'" for r in rules)
    return f"case {whens} end"


def _flag_duplicates(con: duckdb.DuckDBPyConnection, spec: LandingFile, record: str) -> None:
    """Of rows with the same key (and no other problem), keep the first in the file."""
    key = ", ".join(_typed_ref(c) for c in spec.key)
    shown = " || ', ' || ".join(
        f"'{c}=''' || coalesce({_text_ref(c)}, '') || ''''" for c in spec.key
    )
    # Only keys that repeat are windowed over: a large file has few or none.
    con.execute(
        f"""
        create or replace temp table _duplicates as
        with repeated as (
            select {key} from _checked where __sop_reason = '' group by all having count(*) > 1
        )
        select _source_row, first_row, same
        from (
            select
                _source_row,
                min(_source_row) over by_key as first_row,
                {record} = first_value({record}) over (by_key order by _source_row) as same
            from _checked
            semi join repeated using ({key})
            where __sop_reason = ''
            window by_key as (partition by {key})
        )
        where _source_row <> first_row
        """
    )
    con.execute(
        f"""
        update _checked set
            __sop_reason = 'duplicate key ' || {shown} || ': '
                || case when d.same then 'the same record as row ' || d.first_row
                        else 'also at row ' || d.first_row || ' with other values' end
                || '; the first row is kept',
            __sop_bad_column = '{", ".join(spec.key)}',
            __sop_rule = 'duplicate_key'
        from _duplicates as d
        where _checked._source_row = d._source_row
        """
    )
    con.execute("drop table _duplicates")


def load_landing_file(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, spec: LandingFile
) -> LoadResult:
    """Load `spec`'s file into `raw.<name>` and its bad rows into the quarantine table.

    A row is quarantined when a value does not cast to its type, a required
    value is empty, it breaks a row rule of the file's suites (allowed values,
    ranges, date order, a reference to a row of another file), or its key
    repeats an earlier row's; the first problem names the column, the reason
    lists them all.
    """
    path = find_landing_file(landing_dir, spec)
    source_file = str(path.relative_to(landing_dir))
    # Offsets convert to UTC only if the session is in UTC, whatever the machine's zone.
    con.execute("set TimeZone = 'UTC'")
    encoding, header = _read_as_text(con, path, source_file)
    present = [row[0] for row in con.execute("describe _landing").fetchall()]
    missing = [name for name in spec.column_names if name not in present]
    if missing:
        raise LandingFileError(
            f"{source_file}: missing required column(s) {', '.join(missing)} "
            f"(found: {', '.join(c for c in present if c != '_source_row')})"
        )
    extras = tuple(c for c in present if c != "_source_row" and c not in spec.column_names)
    text_columns = [c for c in present if c != "_source_row"]
    record = f"struct_pack({', '.join(_text_ref(c) for c in text_columns)})"

    _require_loaded(con, source_file, quarantine_references(spec))
    rules = [r for c in spec.columns for r in _contract_rules(c)] + suite_rules(spec)
    typed = ", ".join(f"{_typed(c)} as {_typed_ref(c.name)}" for c in spec.columns)
    reasons = ", ".join(f"case when {r.violation} then {r.reason} end" for r in rules)
    con.execute(
        "create or replace temp table _checked as "
        f"select *, concat_ws('; ', {reasons}) as __sop_reason, "
        f"{_case(rules, 'column')} as __sop_bad_column, {_case(rules, 'kind')} as __sop_rule "
        f"from (select *, {typed} from _landing)"
    )
    _flag_duplicates(con, spec, record)

    loaded = ", ".join(f'{_typed_ref(c.name)} as "{c.name}"' for c in spec.columns)
    extra_sql = "".join(f", {_text_ref(c)}" for c in extras)
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quality")
    con.execute(
        f"create table if not exists {QUARANTINE_TABLE} (source_file varchar, row_number bigint, "
        "table_name varchar, column_name varchar, reason varchar, raw_record varchar, "
        "rule varchar)"
    )
    # Warehouses made before `rule` existed get the column (NULL for their old rows).
    con.execute(f"alter table {QUARANTINE_TABLE} add column if not exists rule varchar")
    con.execute("begin transaction")
    try:
        con.execute(
            f"create or replace table raw.{spec.name} as "
            f"select {loaded}{extra_sql}, _source_row from _checked where __sop_reason = '' "
            "order by _source_row"
        )
        # By table, not file: a file that switched from CSV to Parquet leaves no stale rows.
        con.execute(f"delete from {QUARANTINE_TABLE} where table_name = ?", [f"raw.{spec.name}"])
        con.execute(
            f"insert into {QUARANTINE_TABLE} "
            "select ?, c._source_row, ?, c.__sop_bad_column, c.__sop_reason, "
            f"cast(to_json({_original_record(header)}) as varchar), c.__sop_rule "
            "from _checked as c join (select rowid + 1 as _source_row, * from _landing_in) as o "
            "using (_source_row) where c.__sop_reason <> '' order by c._source_row",
            [source_file, f"raw.{spec.name}"],
        )
        # The books must balance before anything is committed: read = loaded + quarantined.
        rows_read, rows_loaded, rows_quarantined = con.execute(
            f"select (select count(*) from _landing_in), (select count(*) from raw.{spec.name}), "
            f"(select count(*) from {QUARANTINE_TABLE} where table_name = ?)",
            [f"raw.{spec.name}"],
        ).fetchone()
        if rows_read != rows_loaded + rows_quarantined:
            raise AssertionError(
                f"{source_file}: {rows_read} read != {rows_loaded} loaded + "
                f"{rows_quarantined} quarantined"
            )
        con.execute(
            f"create table if not exists {LOAD_LOG_TABLE} (source_file varchar, "
            "table_name varchar, rows_read bigint, rows_loaded bigint, rows_quarantined bigint, "
            "loaded_at timestamp)"
        )
        con.execute(f"delete from {LOAD_LOG_TABLE} where table_name = ?", [f"raw.{spec.name}"])
        con.execute(
            f"insert into {LOAD_LOG_TABLE} values (?, ?, ?, ?, ?, current_timestamp)",
            [source_file, f"raw.{spec.name}", rows_read, rows_loaded, rows_quarantined],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    con.execute("drop table _landing; drop table _checked; drop table _landing_in")
    return LoadResult(source_file, rows_read, rows_loaded, rows_quarantined, extras, encoding)
