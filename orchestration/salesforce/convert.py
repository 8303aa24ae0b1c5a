"""Convert a Salesforce export folder into the crm/ files of a landing folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from orchestration.landing_contract import LANDING_BY_NAME
from orchestration.salesforce.canonical import CanonicalBuilder
from orchestration.salesforce.config import SalesforceConfig, find_stage_map_file
from orchestration.salesforce.export import SalesforceExportError
from orchestration.salesforce.report import ConversionReport

BUILT_FILES: tuple[str, ...] = (
    "reps",
    "territories",
    "accounts",
    "leads",
    "opportunities",
    "opportunity_history",
    "activities",
)
# Not in standard Salesforce objects: taken from canonical files placed in the export folder.
COPIED_FILES: tuple[str, ...] = ("territories", "quotas")
SORT_ORDER: dict[str, tuple[str, ...]] = {
    "opportunity_history": ("opportunity_id", "entered_at", "stage"),
}
OWNER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("opportunities", "owner_rep_id"),
    ("accounts", "owner_rep_id"),
    ("leads", "owner_rep_id"),
    ("activities", "rep_id"),
    ("reps", "manager_id"),
)


def convert_salesforce_export(
    export_dir: Path, landing_dir: Path, config: SalesforceConfig | None = None
) -> ConversionReport:
    """Write `landing_dir/crm/*.csv` from the Salesforce object files in `export_dir`.

    Object files are found by name in any spelling (`Opportunity.csv`,
    `opportunity.csv`, `opportunity_history.csv`), their fields in API,
    Fivetran or Data Loader spelling. A `crm/stage_map.yml` (or
    `stage_map.yml`) in the export folder adds to `config.stage_map`.
    Canonical `territories.csv` and `quotas.csv` in the export folder are
    copied as they are. supply/ and planning/ are not touched. Nothing is
    written unless every file could be built.

    Raises `SalesforceExportError` (or `SalesforceConfigError`) with a
    message naming the file and field when the export cannot be used.

    Example::

        report = convert_salesforce_export(Path("sf_export"), Path("data/landing"))
        print(report.render())
    """
    config = config or SalesforceConfig()
    stage_map_file = find_stage_map_file(export_dir)
    if stage_map_file is not None:
        config = config.with_stage_map_file(stage_map_file)
    builder = CanonicalBuilder(export_dir, config)
    copies = {
        name: export_dir / f"{name}.csv"
        for name in COPIED_FILES
        if (export_dir / f"{name}.csv").exists()
    }
    frames = {
        name: _in_contract_order(name, getattr(builder, name))
        for name in BUILT_FILES
        if name not in copies
    }

    crm_dir = landing_dir / "crm"
    written = [*frames, *copies]
    conflicts = [crm_dir / f"{name}.parquet" for name in written]
    conflicts = [p for p in conflicts if p.exists()]
    if conflicts:
        raise SalesforceExportError(
            f"{', '.join(str(p) for p in conflicts)} would sit beside the converted CSV "
            "and the loader accepts only one; remove the Parquet file(s) first"
        )
    crm_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        _replace(crm_dir / f"{name}.csv", lambda tmp, frame=frame: frame.to_csv(tmp, index=False))
    for name, source in copies.items():
        _replace(crm_dir / f"{name}.csv", lambda tmp, source=source: shutil.copyfile(source, tmp))

    report = ConversionReport(export_dir=export_dir, landing_dir=landing_dir)
    report.stage_map_file = stage_map_file
    report.spellings = {e.path.name: e.spelling for e in builder.exports.values()}
    report.rows = {name: len(frame) for name, frame in frames.items()}
    report.rows |= {name: len(pd.read_csv(path, dtype=str)) for name, path in copies.items()}
    report.unmapped_stages = {
        key.removesuffix(".stage"): counts
        for key, counts in builder.unmapped.items()
        if key.endswith(".stage")
    }
    report.unmapped_values = {
        key: counts for key, counts in builder.unmapped.items() if not key.endswith(".stage")
    }
    report.defaulted = dict(builder.defaulted)
    report.optional_fields = builder.optional_field_census()
    report.skipped = dict(builder.skipped)
    report.empty_required = _empty_required(frames)
    report.warnings = [*builder.warnings, *_unknown_owners(frames)]
    if "quotas" not in copies:
        report.warnings.append(_quota_note(crm_dir))
    report.open_pipeline_amount, report.open_expected_revenue = _open_pipeline(
        frames["opportunities"]
    )
    return report


def _in_contract_order(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    spec = LANDING_BY_NAME[name]
    ordered = frame[spec.column_names].sort_values(list(SORT_ORDER.get(name, spec.key)))
    return ordered.reset_index(drop=True)


def _replace(target: Path, write) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    tmp = target.with_name(f".{target.name}.tmp")
    write(tmp)
    os.replace(tmp, target)


def _empty_required(frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    counts = {}
    for name, frame in frames.items():
        for column in LANDING_BY_NAME[name].columns:
            empty = int(frame[column.name].isna().sum())
            if empty and not column.nullable:
                counts[f"{name}.{column.name}"] = empty
    return counts


def _unknown_owners(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Owner ids that are not exported users (queues, deleted or unexported users)."""
    rep_ids = set(frames["reps"]["rep_id"].dropna())
    notes = []
    for name, column in OWNER_COLUMNS:
        if name not in frames:
            continue
        values = frames[name][column].dropna()
        unknown = values[~values.isin(rep_ids)]
        if not unknown.empty:
            notes.append(
                f"{name}.{column}: {len(unknown)} row(s) name an owner that is not an exported "
                f"User (e.g. {unknown.iloc[0]}; a queue or a user left out of the export)"
            )
    return notes


def _quota_note(crm_dir: Path) -> str:
    if any((crm_dir / f"quotas.{ext}").exists() for ext in ("csv", "parquet")):
        return "quotas: not in standard Salesforce objects; the existing crm/quotas file is kept"
    return (
        "quotas: not in standard Salesforce objects; put a canonical quotas.csv (rep_id, month, "
        "quota_amount) in the export folder or crm/quotas.csv in the landing folder"
    )


def _open_pipeline(opportunities: pd.DataFrame) -> tuple[float, float]:
    open_deals = opportunities[opportunities["is_closed"] == "false"]
    amount = pd.to_numeric(open_deals["amount"], errors="coerce")
    probability = pd.to_numeric(open_deals["probability"], errors="coerce")
    return round(float(amount.sum()), 2), round(float((amount * probability / 100).sum()), 2)
