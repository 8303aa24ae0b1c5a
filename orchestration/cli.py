"""The `sop` command: `sop demo` writes demo landing data, `sop validate` checks a landing
folder without running anything, `sop run` runs a month, `sop scenario` re-plans a what-if
from the published tables, `sop import-salesforce` turns a Salesforce export into the crm/
landing files."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from orchestration.run_lock import RunInProgressError, run_lock
from orchestration.settings import Settings, parse_month

# Nothing may wait on the network: no usage statistics from dbt or Dagster.
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")


def _demo(args: argparse.Namespace) -> int:
    from orchestration.demo import generate_demo_landing

    landing = Path(args.landing) if args.landing else Settings.from_env().landing_dir
    shares = {} if args.deal_share is None else {"deal_share": args.deal_share}
    summary = generate_demo_landing(
        landing,
        scale=args.scale,
        seed=args.seed,
        end_month=parse_month(args.end_month) if args.end_month else None,
        file_format=args.format,
        **shares,
    )
    total = sum(summary.row_counts.values())
    print(f"Demo landing folder written to {landing} (history up to {summary.end_month:%Y-%m}):")
    for name, rows in summary.row_counts.items():
        print(f"  {name:<20} {rows:>10,} rows")
    print(f"  {'total':<20} {total:>10,} rows")
    if summary.bad_rows:
        print(f"  ({len(summary.bad_rows)} deliberately malformed rows, to show quarantine)")
    print(f"  orders from won deals: {summary.deal_share:.0%} of ordered units, the rest run-rate")
    return 0


def _deal_share(text: str) -> float:
    """`--deal-share`: a number from 0 up to (not including) 1."""
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share < 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to below 1, not {text!r}")
    return share


def _print_waiting(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    what = f"month {args.month}" if args.month else "the last complete month"
    try:
        # Before the heavy imports: a second run must stop at once.
        with run_lock(settings.data_dir, what, wait=args.wait, on_wait=_print_waiting):
            from orchestration.ingest_loader import LandingFileError
            from orchestration.monthly_run import run_monthly_job

            try:
                month = parse_month(args.month) if args.month else None
                report = run_monthly_job(
                    settings, month, verbose=args.verbose, fail_on_warn=args.fail_on_warn
                )
            except (LandingFileError, ValueError) as exc:
                print(f"S&OP run not started: {exc}", file=sys.stderr)
                return 2
    except RunInProgressError as exc:
        print(f"S&OP run not started: {exc}", file=sys.stderr)
        return 1
    print(report.render(), flush=True)
    return report.exit_code


def _backfill(args: argparse.Namespace) -> int:
    import pandas as pd

    settings = Settings.from_env()
    try:
        first, last = parse_month(args.first), parse_month(args.last)
    except ValueError as exc:
        print(f"S&OP backfill not started: {exc}", file=sys.stderr)
        return 2
    if last < first:
        print(f"S&OP backfill not started: {args.last} is before {args.first}", file=sys.stderr)
        return 2
    months = pd.period_range(first, last, freq="M").to_timestamp().date
    what = f"backfill {first:%Y-%m} to {last:%Y-%m}"
    try:
        with run_lock(settings.data_dir, what, wait=args.wait, on_wait=_print_waiting):
            return _backfill_months(settings, months, args)
    except RunInProgressError as exc:
        print(f"S&OP backfill not started: {exc}", file=sys.stderr)
        return 1


def _backfill_months(settings: Settings, months: Sequence[date], args: argparse.Namespace) -> int:
    from orchestration.ingest_loader import LandingFileError
    from orchestration.monthly_run import run_monthly_job

    failed = []
    report = None
    for number, month in enumerate(months, start=1):
        print(f"{month:%Y-%m}: running (month {number} of {len(months)})", flush=True)
        try:
            report = run_monthly_job(
                settings, month, verbose=args.verbose, fail_on_warn=args.fail_on_warn
            )
        except (LandingFileError, ValueError) as exc:
            print(f"{month:%Y-%m}: not started: {exc}", file=sys.stderr)
            return 2
        print(f"{month:%Y-%m}: {report.status} in {report.elapsed_seconds:.1f} s", flush=True)
        if report.exit_code:
            failed.append(month)
            print(f"  {report.failure_reason or 'failed warn check(s) under --fail-on-warn'}")
    print(f"Backfilled {len(months)} month(s), {len(failed)} failed. Last month's run:")
    print(report.render(), flush=True)
    return 1 if failed else 0


def _validate(args: argparse.Namespace) -> int:
    from orchestration.validate import validate_landing

    settings = Settings.from_env()
    landing = Path(args.landing).resolve() if args.landing else settings.landing_dir
    if not landing.is_dir():
        print(f"sop validate: no landing folder at {landing}", file=sys.stderr)
        return 1
    report = validate_landing(landing, settings.forecast_horizon)
    print(report.render())
    return report.exit_code


def _import_salesforce(args: argparse.Namespace) -> int:
    from orchestration.salesforce import (
        SalesforceConfig,
        SalesforceConfigError,
        SalesforceExportError,
        convert_salesforce_export,
    )

    landing = Path(args.landing) if args.landing else Settings.from_env().landing_dir
    config = SalesforceConfig()
    if args.stage_map:
        config = config.with_stage_map_file(Path(args.stage_map))
    try:
        report = convert_salesforce_export(Path(args.export), landing, config)
    except (SalesforceExportError, SalesforceConfigError) as exc:
        print(f"Salesforce import failed: {exc}", file=sys.stderr)
        return 2
    print(report.render())
    # Unmapped stages or empty required cells would fail or be quarantined in the run.
    return 0 if report.clean else 1


def _scenario(args: argparse.Namespace) -> int:
    from models.planning.scenarios import ScenarioError
    from models.planning.supply_plan import PlanSettings
    from orchestration.scenario_cli import run_adhoc_scenario

    settings = Settings.from_env()
    try:
        outcome = run_adhoc_scenario(
            settings.published_db_path,
            args.changes,
            PlanSettings(holding_rate_per_year=settings.holding_rate),
        )
    except (ScenarioError, FileNotFoundError, ValueError) as exc:
        print(f"Scenario not planned: {exc}", file=sys.stderr)
        return 2
    print(outcome.render())
    return 0


_FAIL_ON_WARN_HELP = (
    "exit 1 when a warn check failed, as dbt's --warn-error (the run still publishes)"
)

_WAIT_HELP = (
    "when another run is in progress on the data folder, wait for it to finish instead of "
    "stopping at once (exit 1)"
)


def build_parser() -> argparse.ArgumentParser:
    """The `sop` argument parser: one sub-command per user action."""
    parser = argparse.ArgumentParser(prog="sop", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="write a realistic demo landing folder")
    demo.add_argument("--scale", type=float, default=1.0, help="1 = ~50 reps, 200 SKUs, 36 months")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--landing", help="target folder (default: $SOP_LANDING_DIR)")
    demo.add_argument("--end-month", help="last month of history, YYYY-MM (default: last month)")
    demo.add_argument("--format", choices=("csv", "parquet"), default="csv")
    demo.add_argument(
        "--deal-share",
        type=_deal_share,
        metavar="SHARE",
        help=(
            "share of ordered units that come from won CRM deals (their account and "
            "product, ordered in the weeks after the close), the rest being run-rate "
            "orders of repeat customers; 0 to below 1, default 0.4; 0 = run-rate only"
        ),
    )
    demo.set_defaults(handler=_demo)

    backfill = commands.add_parser(
        "backfill",
        help="run a range of months in order (builds forecast snapshots and accuracy history)",
        description=(
            "Runs `sop run --month` for every month from --from to --to, oldest first, so "
            "each month's forecast is kept and scored as later months bring actuals. The "
            "published tables end as of the last month. Exit 0 when every month published "
            "with its blocking checks passed (1 otherwise; with --fail-on-warn, also when "
            "a warn check failed)."
        ),
    )
    backfill.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
    backfill.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
    backfill.add_argument("--verbose", action="store_true", help="stream Dagster and dbt logs")
    backfill.add_argument("--fail-on-warn", action="store_true", help=_FAIL_ON_WARN_HELP)
    backfill.add_argument("--wait", action="store_true", help=_WAIT_HELP)
    backfill.set_defaults(handler=_backfill)

    validate = commands.add_parser(
        "validate",
        help="check a landing folder as a run would, without running it",
        description=(
            "Loads every landing file in memory and runs the landing checks; prints rows, "
            "quarantined rows by reason with examples, and failed checks per file. Exit code "
            "0: a run would pass; 1: a run would stop; 3: a run would finish and publish, with "
            "failed warn checks (`sop run` then exits 0, or 1 with --fail-on-warn)."
        ),
    )
    validate.add_argument("--landing", help="landing folder (default: $SOP_LANDING_DIR)")
    validate.set_defaults(handler=_validate)

    run = commands.add_parser(
        "run",
        help="run the monthly S&OP graph for one month",
        description=(
            "Materializes every asset of the month with Dagster (ingest, checks, dbt build, "
            "forecast, plan, publish, pack) and prints a summary last. Exit codes as `dbt "
            "build`: 0 the run published and every blocking check passed (failed warn "
            "checks are listed in the summary); 1 it did not publish (the reason is printed), "
            "or --fail-on-warn and a warn check failed, or another run is in progress on the "
            "data folder (--wait waits for it); 2 it could not start (bad month or landing "
            "folder). `sop validate` predicts these on a landing folder without "
            "running: its 0 and 1 mean the same, its 3 is a run that exits 0 here (1 with "
            "--fail-on-warn)."
        ),
    )
    run.add_argument("--month", help="YYYY-MM (default: last complete month of the data)")
    run.add_argument("--verbose", action="store_true", help="stream Dagster and dbt logs")
    run.add_argument("--fail-on-warn", action="store_true", help=_FAIL_ON_WARN_HELP)
    run.add_argument("--wait", action="store_true", help=_WAIT_HELP)
    run.set_defaults(handler=_run)

    scenario = commands.add_parser(
        "scenario",
        help="re-plan one what-if from the published tables and print the change from baseline",
        description=(
            "Applies the changes to the published baseline's inputs, solves the supply plan "
            "and prints demand, fulfilled, shortage, revenue at risk and fill rate by family "
            "against baseline. Reads only the published tables; writes nothing."
        ),
    )
    scenario.add_argument(
        "changes",
        nargs="+",
        metavar="CHANGE",
        help=(
            "demand:family=F:YYYY-MM..YYYY-MM:1.3 | demand:product=P:YYYY-MM:0.5 | "
            "capacity:resource=R:YYYY-MM..YYYY-MM:0.6 | launch:product=P,family=F,resource=R,"
            "hours=0.5,price=100,cost=60,from=YYYY-MM,qty=40"
        ),
    )
    scenario.set_defaults(handler=_scenario)

    salesforce = commands.add_parser(
        "import-salesforce", help="convert a Salesforce export into the crm/ landing files"
    )
    salesforce.add_argument(
        "--export", required=True, help="folder of Salesforce object CSVs (API or Fivetran names)"
    )
    salesforce.add_argument("--landing", help="target landing folder (default: $SOP_LANDING_DIR)")
    salesforce.add_argument("--stage-map", help="YAML mapping CRM stages to canonical stages")
    salesforce.set_defaults(handler=_import_salesforce)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sop` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
