"""What a Salesforce conversion did, for the person who ran it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class OptionalField:
    """One optional Salesforce field that was absent from its export or empty in some records."""

    rows: int
    empty: int
    absent: bool
    default: str

    def describe(self) -> str:
        """'3 empty -> segment SMB' or 'absent from the export (3 rows) -> segment SMB'."""
        what = (
            f"absent from the export ({self.rows} rows)" if self.absent else f"{self.empty} empty"
        )
        return f"{what} -> {self.default}"


@dataclass
class ConversionReport:
    """Rows written, spellings detected, and everything unmapped, filled in or left out.

    `unmapped_stages` and `unmapped_values` name values no mapping matched,
    with counts: stages and lead statuses are landed as they are (so the
    pipeline's accepted_values test names them too), activities of an
    unmapped type are left out. `defaulted` counts cells filled from a
    fallback or default, keyed `file.column: how`. `optional_fields` lists,
    keyed `Object.Field`, every optional Salesforce field that was absent
    from the export or empty in some records, with the default it took.
    `empty_required` counts required cells still empty, which the loader
    will quarantine.
    """

    export_dir: Path
    landing_dir: Path
    rows: dict[str, int] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)
    stage_map_file: Path | None = None
    unmapped_stages: dict[str, dict[str, int]] = field(default_factory=dict)
    unmapped_values: dict[str, dict[str, int]] = field(default_factory=dict)
    defaulted: dict[str, int] = field(default_factory=dict)
    optional_fields: dict[str, OptionalField] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    empty_required: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Salesforce's Expected Revenue of open deals (amount x probability / 100), to reconcile
    # with the org's own pipeline report.
    open_pipeline_amount: float = 0.0
    open_expected_revenue: float = 0.0

    @property
    def clean(self) -> bool:
        """True when every value was mapped and no required cell is empty."""
        return not (self.unmapped_stages or self.unmapped_values or self.empty_required)

    def render(self) -> str:
        """A plain-text summary, one fact per line."""
        lines = [f"Salesforce export {self.export_dir} -> {self.landing_dir}"]
        lines += [
            f"  read {name}: {spelling} spelling" for name, spelling in self.spellings.items()
        ]
        if self.stage_map_file:
            lines.append(f"  stage map: {self.stage_map_file}")
        lines += [f"  crm/{name:<20} {rows:>8,} rows" for name, rows in self.rows.items()]
        lines.append(
            f"  open pipeline {self.open_pipeline_amount:,.2f}, "
            f"expected revenue (amount x probability / 100) {self.open_expected_revenue:,.2f}"
        )
        for file, counts in self.unmapped_stages.items():
            listed = ", ".join(f"'{stage}' ({n})" for stage, n in counts.items())
            lines.append(
                f"  UNMAPPED stages in {file}, landed as they are: {listed}; "
                "add them to stage_map.yml"
            )
        for key, counts in self.unmapped_values.items():
            listed = ", ".join(f"'{value}' ({n})" for value, n in counts.items())
            lines.append(f"  unmapped {key}: {listed}")
        lines += [
            f"  optional {name}: {note.describe()}" for name, note in self.optional_fields.items()
        ]
        lines += [f"  defaulted {what}: {n} row(s)" for what, n in self.defaulted.items()]
        lines += [f"  left out {what}: {n} row(s)" for what, n in self.skipped.items()]
        lines += [
            f"  EMPTY required {column}: {n} row(s) will be quarantined"
            for column, n in self.empty_required.items()
        ]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)
