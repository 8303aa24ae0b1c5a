"""Keep each monthly run's GX validation results, and build quality docs from them offline.

The asset checks validate in an ephemeral GX context, so GX itself keeps nothing. To let
people see *what* a check found (per expectation, with unexpected values) and how it
looked in earlier months, each result is saved as a JSON file:

    <validations_dir>/<YYYY-MM>/<check_name>.json

The file is GX's own result JSON, with our one-line record of the check under the
result meta key ``"sop"``, so the store alone is enough to rebuild everything.

`build_quality_docs` loads every stored result into a fresh ephemeral GX context and
builds GX Data Docs into ``<site_dir>/gx/``. GX's own ``index.html`` is filled in by
JavaScript loaded from CDNs, so it is empty without internet access; its per-validation
pages are rendered on the server side and readable offline (unstyled when the CDN CSS
cannot load). Therefore ``<site_dir>/index.html`` is our own static page: no JavaScript,
no external URLs, inline CSS, one table per run month linking to the GX pages.

GX naming, chosen so the GX pages read well and their paths are stable:

- run name: the run month as ``YYYY-MM``;
- run time: midnight UTC of the first day of the run month. It is derived from the run
  month alone, so a re-run of a month replaces the page at the same path (links and
  bookmarks keep working) and the build is deterministic. When the check really ran is
  still on the GX page, under "Batch Markers" (``ge_load_time``);
- batch identifier and data asset name: the check name (``gx_raw_orders``), the name
  people see in Dagster and in ``dq_check_results``;
- suite name: the suite's own name, as validated.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations.suite_runner import SEVERITIES

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

SOP_META_KEY = "sop"
GX_SITE_NAME = "quality"
GX_DIR_NAME = "gx"
INDEX_NAME = "index.html"

# A check name becomes a file name and part of a GX page path: keep it to safe characters.
_CHECK_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_MONTH_DIR = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class CheckRecord:
    """What our index shows for one check of one run month (the `dq_check_results` row)."""

    run_month: date
    check_name: str
    table_name: str
    severity: str
    passed: bool
    observed: str

    def to_meta(self) -> dict[str, Any]:
        """The record as stored under the result meta key 'sop' (JSON types only)."""
        return {
            "run_month": self.run_month.isoformat(),
            "check_name": self.check_name,
            "table_name": self.table_name,
            "severity": self.severity,
            "passed": self.passed,
            "observed": self.observed,
        }

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> CheckRecord:
        """Read back what `to_meta` stored, so the index needs nothing but the stored files."""
        return cls(
            run_month=date.fromisoformat(meta["run_month"]),
            check_name=meta["check_name"],
            table_name=meta["table_name"],
            severity=meta["severity"],
            passed=bool(meta["passed"]),
            observed=meta["observed"],
        )


@dataclass(frozen=True)
class _StoredResult:
    record: CheckRecord
    payload: dict[str, Any]


def month_label(run_month: date) -> str:
    """``YYYY-MM``: the folder name in the store and the GX run name."""
    return f"{run_month:%Y-%m}"


def gx_run_time(run_month: date) -> datetime:
    """The GX run time of a run month: midnight UTC of its first day (stable across re-runs)."""
    return datetime(run_month.year, run_month.month, 1, tzinfo=UTC)


def _validate_record(record: CheckRecord) -> None:
    if not _CHECK_NAME.match(record.check_name):
        raise ValueError(
            f"check name {record.check_name!r} must be letters, digits, '_', '.' or '-' "
            "(it becomes a file name)"
        )
    if record.severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {record.severity!r}")


def save_validation_result(
    validations_dir: Path, record: CheckRecord, result: ExpectationSuiteValidationResult
) -> Path:
    """Store a check's GX result for its run month, replacing an earlier run of that month.

    Writes ``<validations_dir>/<YYYY-MM>/<check_name>.json``: GX's result JSON with `record`
    under the meta key 'sop'. The meta also gets the GX ``run_id`` (``batch.validate``
    leaves it unset) and, unless present, the data asset name in ``batch_spec``, so the GX
    page shows the run month and the check. The write is atomic (temp file, then
    ``os.replace``): a reader or a crashed run never sees half a file, and a re-run simply
    replaces the month's file, as `record_check_result` replaces the month's row.
    """
    _validate_record(record)
    if record.passed != bool(result.success):
        raise ValueError(
            f"{record.check_name}: record says passed={record.passed} but the GX result "
            f"says success={result.success}; is this the result of that check?"
        )
    payload = result.to_json_dict()
    meta = dict(payload.get("meta") or {})
    meta["run_id"] = {
        "run_name": month_label(record.run_month),
        "run_time": gx_run_time(record.run_month).isoformat(),
    }
    batch_spec = dict(meta.get("batch_spec") or {})
    batch_spec.setdefault("data_asset_name", record.check_name)
    meta["batch_spec"] = batch_spec
    meta[SOP_META_KEY] = record.to_meta()
    payload["meta"] = meta

    target = validations_dir / month_label(record.run_month) / f"{record.check_name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, default=str, indent=1, sort_keys=True)
    # The temp file does not end in .json, so a build running meanwhile never reads it. Not
    # mkstemp: its files are private (0600) and the store is read by people and other jobs.
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("x", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _load_results(validations_dir: Path) -> list[_StoredResult]:
    """Every stored result, checked against where it is stored (one file per month and check)."""
    stored: list[_StoredResult] = []
    if not validations_dir.is_dir():
        return stored
    for month_dir in sorted(validations_dir.iterdir()):
        if not (month_dir.is_dir() and _MONTH_DIR.match(month_dir.name)):
            continue
        for path in sorted(month_dir.glob("*.json")):
            try:
                payload = json.loads(path.read_text(encoding="utf-8"))
                record = CheckRecord.from_meta(payload["meta"][SOP_META_KEY])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: not a stored validation result ({exc!r})") from exc
            if (month_label(record.run_month), record.check_name) != (month_dir.name, path.stem):
                raise ValueError(
                    f"{path}: holds {record.check_name} of {month_label(record.run_month)}; "
                    "it must be stored as <YYYY-MM>/<check_name>.json"
                )
            stored.append(_StoredResult(record, payload))
    return stored


def _result_key(record: CheckRecord, suite_name: str) -> ValidationResultIdentifier:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    return ValidationResultIdentifier(
        ExpectationSuiteIdentifier(suite_name),
        RunIdentifier(
            run_name=month_label(record.run_month), run_time=gx_run_time(record.run_month)
        ),
        record.check_name,
    )


def _build_gx_site(stored: list[_StoredResult], gx_dir: Path) -> dict[CheckRecord, str]:
    """Build GX Data Docs for `stored` into `gx_dir`; map each record to its page's relative URL.

    The ephemeral context comes with a default site 'local_site' in a temp directory; it is
    removed so that building cannot write (and leave behind) a second copy there.
    """
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import (
        expectationSuiteValidationResultSchema,
    )

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    for site_name in list(context.list_data_docs_sites()):
        context.delete_data_docs_site(site_name)
    context.add_data_docs_site(
        GX_SITE_NAME,
        {
            "class_name": "SiteBuilder",
            # The "how to" buttons link to GX's online docs; no use to our readers.
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(gx_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    keys: dict[CheckRecord, ValidationResultIdentifier] = {}
    for item in stored:
        # The schema (not the constructor) turns nested results back into GX objects.
        result = expectationSuiteValidationResultSchema.load(item.payload)
        key = _result_key(item.record, result.suite_name)
        context.validation_results_store.set(key, result)
        keys[item.record] = key
    context.build_data_docs(site_names=[GX_SITE_NAME])

    pages: dict[CheckRecord, str] = {}
    for record, key in keys.items():
        urls = context.get_docs_sites_urls(
            resource_identifier=key, site_name=GX_SITE_NAME, only_if_exists=True
        )
        url = urls[0]["site_url"] if urls else None
        # GX logs a page it failed to render and carries on; no page for a result is an error.
        if not url:
            raise RuntimeError(f"GX built no page for {record.check_name} of {record.run_month}")
        # The URL is "file://" + the base directory as configured + the URL-quoted page path.
        prefix = f"file://{gx_dir}/"
        if not url.startswith(prefix):
            raise RuntimeError(f"GX page {url} is not under {gx_dir}")
        pages[record] = url.removeprefix(prefix)  # already quoted: ready for an href
    return pages


def build_quality_docs(
    validations_dir: Path, site_dir: Path, run_month: date | None = None
) -> Path:
    """Build the quality docs from every stored result; return the path of our index page.

    GX Data Docs go to ``<site_dir>/gx/``, rebuilt from scratch so that a check removed from
    the store disappears: the site is built next to it and swapped in, so a failed build
    leaves the previous site intact. Nothing is fetched over the network.

    ``<site_dir>/index.html`` is our static page (GX's index is empty offline). It shows the
    newest run month, or `run_month` when given, with a summary line, then one table per
    run month, newest first (only `run_month`'s when given, with the other months listed),
    each check linking to its GX validation page.
    """
    stored = _load_results(validations_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    # Not mkdtemp: its directory is private (0700) and would become gx/ itself.
    build_dir = site_dir / f".gx-build-{uuid.uuid4().hex}"
    build_dir.mkdir()
    try:
        # GX wants an absolute base directory (an ephemeral context has no root to join to).
        pages = _build_gx_site(stored, build_dir.resolve())
        gx_dir = site_dir / GX_DIR_NAME
        if gx_dir.exists():
            shutil.rmtree(gx_dir)
        build_dir.rename(gx_dir)
    finally:
        if build_dir.exists():
            shutil.rmtree(build_dir)

    records = [item.record for item in stored]
    links = {record: f"{GX_DIR_NAME}/{page}" for record, page in pages.items()}
    index = site_dir / INDEX_NAME
    text = render_index(records, links, run_month, built_at=datetime.now(UTC))
    tmp = index.with_name(f".{INDEX_NAME}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, index)
    return index


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { margin-bottom: .2rem; }
.summary { font-size: 1.1rem; margin: .3rem 0 1.5rem; }
table { border-collapse: collapse; margin-bottom: 2rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.observed { max-width: 50rem; overflow-wrap: anywhere; }
tr.failed-error td.result { background: #f8d7da; color: #842029; font-weight: bold; }
tr.failed-warn td.result { background: #fff3cd; color: #664d03; font-weight: bold; }
tr.passed td.result { color: #0f5132; }
.note { color: #666; font-size: .9rem; }
"""


def _counts(records: Iterable[CheckRecord]) -> tuple[int, int, int]:
    records = list(records)
    failed_error = sum(1 for r in records if not r.passed and r.severity == "error")
    failed_warn = sum(1 for r in records if not r.passed and r.severity == "warn")
    return len(records), failed_error, failed_warn


def _summary(records: Iterable[CheckRecord]) -> str:
    total, failed_error, failed_warn = _counts(records)
    checks = "check" if total == 1 else "checks"
    return f"{total} {checks}, {failed_error} failed error, {failed_warn} failed warn"


def _row_order(record: CheckRecord) -> tuple[bool, bool, str]:
    # Failures first, errors before warnings; then by name, so rows are easy to find.
    return (record.passed, record.severity != "error", record.check_name)


def _month_table(month: str, records: list[CheckRecord], links: dict[CheckRecord, str]) -> str:
    esc = html.escape
    rows = []
    for record in sorted(records, key=_row_order):
        css = "passed" if record.passed else f"failed-{record.severity}"
        link = links.get(record)
        details = f'<a href="{esc(link)}">GX details</a>' if link else ""
        rows.append(
            f'<tr class="{css}" data-check="{esc(record.check_name)}">'
            f"<td>{esc(record.check_name)}</td>"
            f"<td>{esc(record.table_name)}</td>"
            f"<td>{esc(record.severity)}</td>"
            f'<td class="result">{"passed" if record.passed else "FAILED"}</td>'
            f'<td class="observed">{esc(record.observed)}</td>'
            f"<td>{details}</td></tr>"
        )
    return (
        f'<section id="month-{month}"><h2>{month}</h2>'
        f'<p class="summary">{esc(_summary(records))}</p>'
        "<table><thead><tr><th>check</th><th>table</th><th>severity</th><th>result</th>"
        "<th>observed</th><th>details</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section>"
    )


def render_index(
    records: list[CheckRecord],
    links: dict[CheckRecord, str],
    run_month: date | None = None,
    built_at: datetime | None = None,
) -> str:
    """Our static index page: plain HTML and inline CSS, readable offline in any browser."""
    esc = html.escape
    by_month: dict[str, list[CheckRecord]] = {}
    for record in records:
        by_month.setdefault(month_label(record.run_month), []).append(record)
    months = sorted(by_month, reverse=True)
    headline = month_label(run_month) if run_month is not None else next(iter(months), None)

    title = f"Data quality checks {headline}" if headline else "Data quality checks"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if headline is None:
        parts.append('<p class="summary">No check results stored.</p>')
    else:
        parts.append(f'<p class="summary">{esc(_summary(by_month.get(headline, [])))}</p>')

    shown = [headline] if run_month is not None else months
    if len(shown) > 1:
        nav = " · ".join(f'<a href="#month-{m}">{m}</a>' for m in shown)
        parts.append(f"<nav>Months: {nav}</nav>")
    for month in shown:
        if month in by_month:
            parts.append(_month_table(month, by_month[month], links))
        else:
            parts.append(f"<p>No check results stored for {esc(month)}.</p>")

    others = [m for m in months if m not in shown]
    if others:
        items = "".join(f"<li>{m}: {esc(_summary(by_month[m]))}</li>" for m in others)
        parts.append(
            "<h2>Other months</h2>"
            '<p class="note">Build without a run month to see their tables.</p>'
            f"<ul>{items}</ul>"
        )

    footer = (
        f'The "GX details" pages are Great Expectations Data Docs (in <a href="{GX_DIR_NAME}/'
        f'{INDEX_NAME}">{GX_DIR_NAME}/</a>); they load their styles from the internet and '
        "are plain but complete without it. GX's own index needs internet access."
    )
    if built_at is not None:
        footer += f" Built {built_at:%Y-%m-%d %H:%M} UTC."
    parts.append(f'<p class="note">{footer}</p></body></html>')
    return "\n".join(parts) + "\n"
