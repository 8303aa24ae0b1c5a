"""Turn the row-level expectations of a suite into SQL that finds the rows breaking them.

A landing file's suite is the one place its value rules are written down.
Expectations marked `"meta": {"quarantine": true}` are row rules: at ingest,
a row that breaks one goes to `quality.quarantine` with a reason a person can
act on, instead of into `raw`. The same suite then runs as a GX check on the
loaded table, so the check proves that quarantine left no bad row behind.

Only expectations with a clear row-level meaning can be quarantine rules;
anything else raises `ValueError` when the suite is read, not at run time.
The SQL treats NULL like GX does: an empty value never breaks a value rule
(required values are the landing contract's job).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The spelling-insensitive form of a value: lower case, no spaces, hyphens or
# underscores. The dbt macro `canonical_value` matches enumerations the same way.
_MATCH_KEY_SQL = "replace(replace(replace(lower(trim({})), ' ', ''), '-', ''), '_', '')"

QUARANTINE_TYPES = (
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_pair_values_a_to_be_greater_than_b",
)


def match_key(text: str) -> str:
    """Python twin of the SQL match key: 'Mid Market' and 'mid-market' give 'midmarket'."""
    return text.lower().strip().replace(" ", "").replace("-", "").replace("_", "")


def sql_literal(value: Any) -> str:
    """A SQL literal for a string or number of a suite's kwargs."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and math.isfinite(value):
        return repr(value)
    raise ValueError(f"unsupported literal {value!r}")


def canonical_sql(expr: str, canonical: Sequence[str], aliases: Mapping[str, str]) -> str:
    """SQL giving the canonical spelling of `expr` (aliases first), else the trimmed text."""
    whens = [(match_key(a), v) for a, v in aliases.items()] + [(match_key(v), v) for v in canonical]
    cases = " ".join(f"when {sql_literal(k)} then {sql_literal(v)}" for k, v in whens)
    return f"case {_MATCH_KEY_SQL.format(expr)} {cases} else trim({expr}) end"


@dataclass(frozen=True)
class Reference:
    """A suite parameter naming the values of another table's column (referential integrity)."""

    table: str
    column: str
    source_file: str

    def missing(self, value: str) -> str:
        """SQL true when `value` (an SQL expression) is given but not among the referenced
        values. The quarantine rule and the GX check's derived column both use it."""
        # NULLs are left out of the list: one would make NOT IN unknown for every row.
        values = f'select "{self.column}" from {self.table} where "{self.column}" is not null'
        return f"{value} is not null and {value} not in ({values})"


@dataclass(frozen=True)
class RowRule:
    """One quarantine rule: SQL true for a breaking row, and SQL for the reason text."""

    kind: str
    column: str
    violation: str
    reason: str


Ref = Callable[[str], str]


def _reason_sql(template: str, text: Ref, fields: Mapping[str, str]) -> str:
    """Render `template` (with {column}, {value}, {other}, {other_value}, ...) as SQL text."""
    parts: list[str] = []
    for piece in re.split(r"(\{[a-z_]+\})", template):
        if not piece:
            continue
        name = piece[1:-1] if piece.startswith("{") and piece.endswith("}") else None
        if name == "value":
            parts.append(f"coalesce({text(fields['column'])}, '')")
        elif name == "other_value":
            parts.append(f"coalesce({text(fields['other'])}, '')")
        elif name in fields:
            parts.append(sql_literal(fields[name]))
        else:
            parts.append(sql_literal(piece))
    return " || ".join(parts)


def _in_set_rule(
    kwargs: Mapping[str, Any],
    meta: Mapping[str, Any],
    typed: Ref,
    text: Ref,
    references: Mapping[str, Reference],
    aliases: Mapping[str, Mapping[str, str]],
) -> RowRule:
    column = kwargs["column"]
    value_set = kwargs["value_set"]
    ref = typed(column)
    if isinstance(value_set, dict):
        name = value_set["$PARAMETER"]
        target = references[name]
        violation = target.missing(ref)
        default = (
            "{column}: '{value}' is not a known "
            + target.column
            + " in "
            + target.source_file
            + " (missing there, or quarantined there)"
        )
        return RowRule(
            "unknown_reference",
            column,
            violation,
            _reason_sql(meta.get("reason", default), text, {"column": column}),
        )
    allowed = ", ".join(sql_literal(v) for v in value_set)
    if meta.get("match") == "spelling":
        checked = canonical_sql(ref, value_set, aliases.get(meta.get("aliases", ""), {}))
        hint = " (case, spaces, hyphens and underscores are ignored)"
    else:
        checked, hint = ref, ""
    violation = f"{ref} is not null and {checked} not in ({allowed})"
    default = "{column}: '{value}' is not one of " + ", ".join(map(str, value_set)) + hint
    return RowRule(
        "not_allowed",
        column,
        violation,
        _reason_sql(meta.get("reason", default), text, {"column": column}),
    )


def _between_rule(
    kwargs: Mapping[str, Any], meta: Mapping[str, Any], typed: Ref, text: Ref
) -> RowRule:
    column = kwargs["column"]
    ref = typed(column)
    tests, words = [], []
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None:
        strict = kwargs.get("strict_min", False)
        tests.append(f"{ref} {'<=' if strict else '<'} {sql_literal(low)}")
        words.append(f"{'above' if strict else 'at least'} {low}")
    if high is not None:
        strict = kwargs.get("strict_max", False)
        tests.append(f"{ref} {'>=' if strict else '>'} {sql_literal(high)}")
        words.append(f"{'below' if strict else 'at most'} {high}")
    if not tests:
        raise ValueError(f"{column}: a between rule needs min_value or max_value")
    violation = f"{ref} is not null and ({' or '.join(tests)})"
    default = "{column}: '{value}' is out of range (must be " + " and ".join(words) + ")"
    return RowRule(
        "out_of_range",
        column,
        violation,
        _reason_sql(meta.get("reason", default), text, {"column": column}),
    )


def _pair_rule(
    kwargs: Mapping[str, Any], meta: Mapping[str, Any], typed: Ref, text: Ref
) -> RowRule:
    column, other = kwargs["column_A"], kwargs["column_B"]
    if kwargs.get("ignore_row_if") != "either_value_is_missing":
        # GX's default compares a value with a missing one and fails the row; SQL would not.
        raise ValueError(
            f"{column} > {other}: set ignore_row_if to 'either_value_is_missing' so that GX "
            "and the quarantine agree on empty values"
        )
    operator = "<" if kwargs.get("or_equal") else "<="
    a, b = typed(column), typed(other)
    violation = f"{a} is not null and {b} is not null and {a} {operator} {b}"
    word = "before" if kwargs.get("or_equal") else "not after"
    default = "{column}: '{value}' is " + word + " {other} '{other_value}'"
    return RowRule(
        "date_order",
        column,
        violation,
        _reason_sql(meta.get("reason", default), text, {"column": column, "other": other}),
    )


def quarantine_rules(
    expectations: Sequence[Mapping[str, Any]],
    typed: Ref,
    text: Ref,
    references: Mapping[str, Reference],
    aliases: Mapping[str, Mapping[str, str]] | None = None,
) -> list[RowRule]:
    """The row rules of `expectations` (those marked quarantine), rendered as SQL.

    `typed(column)` and `text(column)` return SQL for the typed value and the
    original text of a column; rules test the typed value and quote the text.
    `aliases` maps the name in an expectation's `meta.aliases` (a dbt var such
    as `stage_aliases`) to the other spellings it accepts.
    """
    rules = []
    for expectation in expectations:
        meta = expectation.get("meta", {})
        if not meta.get("quarantine"):
            continue
        kind, kwargs = expectation["type"], expectation["kwargs"]
        if kind == "expect_column_values_to_be_in_set":
            rules.append(_in_set_rule(kwargs, meta, typed, text, references, aliases or {}))
        elif kind == "expect_column_values_to_be_between":
            rules.append(_between_rule(kwargs, meta, typed, text))
        elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
            rules.append(_pair_rule(kwargs, meta, typed, text))
        else:
            raise ValueError(
                f"{kind} cannot be a quarantine rule; row rules are one of {QUARANTINE_TYPES}"
            )
        if kwargs.get("mostly") is not None:
            raise ValueError(f"{kind} on {kwargs}: a quarantine rule cannot use 'mostly'")
        if kwargs.get("row_condition") is not None:
            # The SQL would quarantine rows that GX, with the condition, does not check.
            raise ValueError(f"{kind} on {kwargs}: a quarantine rule cannot use 'row_condition'")
    return rules
