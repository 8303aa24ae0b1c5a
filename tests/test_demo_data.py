"""The demo landing folder honours the landing contract and looks like a real business.

One small demo (scale 0.2) is generated into a temporary folder and read back
with DuckDB, every cell as text, as ingestion reads it; typed views apply the
casts ingestion applies.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.demo import DemoSummary, generate_demo_landing
from orchestration.ingest_loader import QUARANTINE_TABLE, load_landing_file
from orchestration.landing_contract import CANONICAL_STAGES, LANDING_FILES

END_MONTH = date(2025, 6, 1)
AS_OF = "date '2025-06-30'"
HISTORY_START = "date '2022-07-01'"
SCALE = 0.2
Demo = tuple[Path, DemoSummary]

# child file, child column, parent file, parent column
FOREIGN_KEYS = [
    ("reps", "manager_id", "reps", "rep_id"),
    ("territories", "owner_rep_id", "reps", "rep_id"),
    ("accounts", "territory_id", "territories", "territory_id"),
    ("accounts", "owner_rep_id", "reps", "rep_id"),
    ("leads", "owner_rep_id", "reps", "rep_id"),
    ("leads", "opportunity_id", "opportunities", "opportunity_id"),
    ("opportunities", "account_id", "accounts", "account_id"),
    ("opportunities", "owner_rep_id", "reps", "rep_id"),
    ("opportunities", "product_id", "products", "product_id"),
    ("opportunity_history", "opportunity_id", "opportunities", "opportunity_id"),
    ("activities", "rep_id", "reps", "rep_id"),
    ("activities", "account_id", "accounts", "account_id"),
    ("activities", "opportunity_id", "opportunities", "opportunity_id"),
    ("quotas", "rep_id", "reps", "rep_id"),
    ("orders", "account_id", "accounts", "account_id"),
    ("orders", "product_id", "products", "product_id"),
    ("inventory", "product_id", "products", "product_id"),
    ("open_supply", "product_id", "products", "product_id"),
    ("products", "resource_id", "capacity", "resource_id"),
    ("overrides", "product_id", "products", "product_id"),
    ("overrides", "family", "products", "family"),
]


def _typed(column: str, type_: str) -> str:
    """The cast ingestion applies: TRY_CAST, timestamps through TIMESTAMPTZ (offsets to UTC)."""
    if type_ == "TIMESTAMP":
        return f"cast(try_cast({column} as timestamptz) as timestamp)"
    return f"try_cast({column} as {type_})"


def _open(landing: Path) -> duckdb.DuckDBPyConnection:
    """Each landing file as text table `t_<name>` (`_row`: data row number) and typed `<name>`."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for spec in LANDING_FILES:
        con.execute(
            f"create table t_{spec.name} as select row_number() over () as _row, * "
            "from read_csv(?, all_varchar = true, header = true)",
            [str(landing / f"{spec.relative_stem}.csv")],
        )
        cols = ", ".join(f"{_typed(c.name, c.type)} as {c.name}" for c in spec.columns)
        con.execute(f"create view {spec.name} as select _row, {cols} from t_{spec.name}")
    con.execute(
        "create table t_overrides as select * from read_csv(?, all_varchar = true, header = true)",
        [str(landing / "planning" / "overrides.csv")],
    )
    con.execute("create view overrides as select * from t_overrides")
    return con


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    landing = tmp_path_factory.mktemp("demo") / "landing"
    return landing, generate_demo_landing(landing, scale=SCALE, seed=7, end_month=END_MONTH)


@pytest.fixture(scope="module")
def con(demo: Demo) -> duckdb.DuckDBPyConnection:
    return _open(demo[0])


def _count(con: duckdb.DuckDBPyConnection, source: str, where: str = "true") -> int:
    return con.execute(f"select count(*) from {source} where {where}").fetchone()[0]


def _values(con: duckdb.DuckDBPyConnection, sql: str) -> set:
    return {row[0] for row in con.execute(sql).fetchall()}


def _bad_cells(con: duckdb.DuckDBPyConnection) -> set[tuple[str, int, str]]:
    """Cells that do not cast to their declared type, or are empty in a required column."""
    found = set()
    for spec in LANDING_FILES:
        for c in spec.columns:
            cond = f"({c.name} is not null and {_typed(c.name, c.type)} is null)"
            if not c.nullable:
                cond += f" or {c.name} is null"
            rows = con.execute(f"select _row from t_{spec.name} where {cond}").fetchall()
            found |= {(spec.name, int(r[0]), c.name) for r in rows}
    return found


def _quarantined(con: duckdb.DuckDBPyConnection) -> set[tuple[str, int, str]]:
    rows = con.execute(f"select table_name, row_number, column_name from {QUARANTINE_TABLE}")
    return {(t.removeprefix("raw."), r, c) for t, r, c in rows.fetchall()}


def test_every_file_and_contract_column_is_written(demo: Demo) -> None:
    landing, summary = demo
    for spec in LANDING_FILES:
        path = landing / f"{spec.relative_stem}.csv"
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert set(spec.column_names) <= set(header), spec.name
        assert summary.row_counts[spec.name] > 0, spec.name
    for name in ("overrides.csv", "scenarios.yml", "comp_plan.yml", "action_items.csv"):
        assert (landing / "planning" / name).is_file()
    assert summary.end_month == END_MONTH


def test_only_the_listed_bad_rows_fail_to_cast(con: duckdb.DuckDBPyConnection, demo: Demo) -> None:
    bad = set(demo[1].bad_rows)
    assert 0 < len(bad) <= 9
    assert len({name for name, _, _ in bad}) <= 3
    assert _bad_cells(con) == bad


def test_ingestion_quarantines_exactly_the_bad_rows(demo: Demo) -> None:
    landing, summary = demo
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for spec in LANDING_FILES:
        assert load_landing_file(con, landing, spec).rows_read == summary.row_counts[spec.name]
    assert _quarantined(con) == set(summary.bad_rows)


def test_keys_are_unique(con: duckdb.DuckDBPyConnection) -> None:
    for spec in LANDING_FILES:
        key = ", ".join(spec.key)
        groups = f"(select {key} from t_{spec.name} group by all having count(*) > 1)"
        assert _count(con, groups) == 0, spec.name


@pytest.mark.parametrize(("child", "column", "parent", "parent_column"), FOREIGN_KEYS)
def test_foreign_keys_resolve(
    con: duckdb.DuckDBPyConnection, child: str, column: str, parent: str, parent_column: str
) -> None:
    parents = f"select {parent_column} from t_{parent} where {parent_column} is not null"
    assert _count(con, f"t_{child}", f"{column} is not null and {column} not in ({parents})") == 0


def test_history_tells_the_story_of_each_opportunity(con: duckdb.DuckDBPyConnection) -> None:
    stages = ", ".join(f"'{s}'" for s in CANONICAL_STAGES)
    assert _count(con, "t_opportunity_history", f"stage not in ({stages})") == 0
    assert _count(con, "t_opportunities", f"stage not in ({stages})") == 0
    numbered = (
        "(select h.*, o.created_date, o.stage as o_stage, o.amount as o_amount, "
        "o.close_date as o_close, "
        "row_number() over (partition by h.opportunity_id order by entered_at) as k, "
        "count(*) over (partition by h.opportunity_id) as n "
        "from opportunity_history h join opportunities o using (opportunity_id))"
    )
    # First row: the created stage on the created date; last row: the current state.
    assert _count(con, numbered, "k = 1 and cast(entered_at as date) <> created_date") == 0
    last_differs = "stage <> o_stage or amount <> o_amount or close_date <> o_close"
    assert _count(con, numbered, f"k = n and ({last_differs})") == 0
    with_history = "select opportunity_id from opportunity_history"
    assert _count(con, "opportunities", f"opportunity_id not in ({with_history})") == 0
    # Realistic movement: skips, drop-offs from every open stage, amount changes, pushes.
    paths = _values(
        con,
        "select string_agg(stage, '>' order by entered_at) from opportunity_history "
        "group by opportunity_id",
    )
    assert any("Qualification>Negotiation" in p for p in paths)
    for stage in CANONICAL_STAGES[:4]:
        assert any(f"{stage}>Closed Lost" in p for p in paths), stage
    changes = con.execute(
        "select count(distinct amount) > 1, count(distinct close_date) > 1 "
        "from opportunity_history group by opportunity_id"
    ).fetchall()
    assert sum(a for a, _ in changes) > len(changes) * 0.3
    assert sum(c for _, c in changes) > len(changes) * 0.3


def test_opportunity_fields_agree_with_the_stage(con: duckdb.DuckDBPyConnection) -> None:
    expected = {
        "Prospecting": (False, False, 10, "Pipeline"),
        "Qualification": (False, False, 20, "Pipeline"),
        "Proposal": (False, False, 50, "Best Case"),
        "Negotiation": (False, False, 75, "Commit"),
        "Closed Won": (True, True, 100, "Closed"),
        "Closed Lost": (True, False, 0, "Omitted"),
    }
    rows = con.execute(
        "select distinct stage, is_closed, is_won, probability, forecast_category "
        "from opportunities"
    ).fetchall()
    assert {r[0]: tuple(r[1:]) for r in rows} == expected
    # Quoted amounts are quantity x unit price less a discount.
    ratio = "o.amount / (o.quantity * p.unit_price)"
    low, high = con.execute(
        f"select min({ratio}), max({ratio}) "
        "from opportunities o join products p using (product_id) "
        "where o.stage in ('Proposal', 'Negotiation', 'Closed Won')"
    ).fetchone()
    assert low >= 0.55 and high <= 1.0
    # Open deals at the as-of date exist; products were sellable when quoted.
    assert _count(con, "opportunities", "not is_closed") > 10
    unsellable = "p.launch_date > o.created_date or p.end_date < o.created_date"
    assert _count(con, "opportunities o join products p using (product_id)", unsellable) == 0


def test_nothing_is_dated_after_the_as_of_date(con: duckdb.DuckDBPyConnection) -> None:
    checks = {
        "orders": "order_date",
        "activities": "cast(activity_at as date)",
        "opportunity_history": "cast(entered_at as date)",
        "leads": "cast(greatest(created_at, first_contact_at, qualified_at) as date)",
        "opportunities": "created_date",
        "accounts": "created_date",
        "reps": "greatest(hire_date, end_date)",
    }
    for table, expr in checks.items():
        assert _count(con, table, f"{expr} > {AS_OF}") == 0, table
    # Future close dates belong to open deals only.
    assert _count(con, "opportunities", f"is_closed and close_date > {AS_OF}") == 0
    assert _count(con, "opportunities", f"not is_closed and close_date > {AS_OF}") > 0
    months = (
        "(select distinct date_trunc('month', order_date) from orders where order_date is not null)"
    )
    assert _count(con, months) == 36


def test_people_only_work_while_employed(con: duckdb.DuckDBPyConnection) -> None:
    def outside(table: str, rep: str, when: str) -> int:
        employed = f"{when} between r.hire_date and coalesce(r.end_date, date '9999-12-31')"
        return _count(con, f"{table} x join reps r on r.rep_id = x.{rep}", f"not ({employed})")

    assert outside("activities", "rep_id", "cast(x.activity_at as date)") == 0
    assert outside("leads", "owner_rep_id", "cast(x.created_at as date)") == 0
    assert outside("leads", "owner_rep_id", "cast(x.first_contact_at as date)") == 0
    # Closed deals are credited to someone employed at the close; open ones to current reps.
    assert outside("(from opportunities where is_closed)", "owner_rep_id", "x.close_date") == 0
    open_deals = "opportunities o join reps r on r.rep_id = o.owner_rep_id"
    assert _count(con, open_deals, "not o.is_closed and r.end_date is not null") == 0
    # Quotas: AEs only, from the hire month to the leaving month.
    quota_months = (
        "q.month not between date_trunc('month', r.hire_date) "
        "and date_trunc('month', coalesce(r.end_date, date '9999-12-31'))"
    )
    assert _count(con, "quotas q join reps r using (rep_id)", quota_months) == 0
    assert _values(con, "select distinct role from reps join quotas using (rep_id)") == {"AE"}


def test_the_organisation_changes_over_time(con: duckdb.DuckDBPyConnection) -> None:
    assert _count(con, "reps", "end_date is not null") >= 1
    assert _count(con, "reps", f"hire_date > {HISTORY_START}") >= 1
    assert _values(con, "select role from reps") == {"AE", "SDR", "Manager"}
    assert _count(con, "reps", "manager_id is null") == 1
    assert _count(con, "reps r join reps m on m.rep_id = r.manager_id", "m.role <> 'Manager'") == 0
    # Territory and account owners are current AEs of the same region.
    for table in ("territories", "accounts"):
        wrong = "r.role <> 'AE' or r.region <> t.region or r.end_date is not null"
        assert _count(con, f"{table} t join reps r on r.rep_id = t.owner_rep_id", wrong) == 0
    assert _values(con, "select segment from accounts") == {"SMB", "Mid-Market", "Enterprise"}
    # A leave shows as zero-quota months; a new hire starts at a quarter of the quota.
    assert _count(con, "quotas", "quota_amount = 0") >= 1
    ramp = con.execute(
        "select share from (select q.month, r.hire_date, "
        "q.quota_amount / max(q.quota_amount) over (partition by q.rep_id) as share "
        "from quotas q join reps r using (rep_id)) "
        f"where hire_date > {HISTORY_START} + interval 1 month "
        "and month = date_trunc('month', hire_date) + interval 1 month and share is not null"
    ).fetchall()
    assert ramp and all(share <= 0.6 for (share,) in ramp)


def test_leads_flow_into_opportunities(con: duckdb.DuckDBPyConnection) -> None:
    assert _values(con, "select status from leads") == {"open", "qualified", "disqualified"}
    assert _values(con, "select lead_source from leads") == {
        "Web",
        "Referral",
        "Event",
        "Outbound",
        "Partner",
    }
    assert _count(con, "leads", "(qualified_at is not null) <> (status = 'qualified')") == 0
    assert _count(con, "leads", "opportunity_id is not null and status <> 'qualified'") == 0
    out_of_order = "first_contact_at < created_at or qualified_at < first_contact_at"
    assert _count(con, "leads", out_of_order) == 0
    assert _count(con, "leads", "first_contact_at is null") > 0
    converted = "leads l join opportunities o using (opportunity_id)"
    assert _count(con, converted) > 0
    assert _count(con, converted, "o.created_date < cast(l.qualified_at as date)") == 0
    # Some timestamps carry an explicit UTC offset, as a marketing tool would write them.
    assert _count(con, "t_leads", "created_at like '%+0_:00'") > 0


def test_demand_history_has_intermittent_and_dense_series(con: duckdb.DuckDBPyConnection) -> None:
    zero_share = con.execute(
        """
        with s as (select product_id, region, date_trunc('month', order_date) as m,
                          sum(quantity) as q
                   from orders group by all),
             f as (select product_id, region, min(m) as first_m from s group by all),
             months as (select distinct m from s),
             grid as (select f.product_id, f.region, months.m
                      from f join months on months.m >= f.first_m)
        select count(*) filter (where s.q is null)::double / count(*) as zeros
        from grid left join s using (product_id, region, m) group by grid.product_id, grid.region
        """
    ).fetchall()
    assert sum(z >= 0.3 for (z,) in zero_share) >= 3
    assert sum(z == 0 for (z,) in zero_share) >= 10
    mismatch = "orders o join accounts a using (account_id)"
    assert _count(con, mismatch, "o.region <> a.region") == 0
    assert _count(con, "products", f"launch_date > {HISTORY_START}") >= 1
    assert _count(con, "products", "end_date is not null") >= 1


def test_returns_are_about_one_percent_of_lines_days_to_weeks_after_the_order(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A return line names the order it returns (`returned_order_id`, an extra column)."""
    lines, returns = con.execute(
        "select count(*) filter (where quantity > 0), count(*) filter (where quantity < 0) "
        "from orders"
    ).fetchone()
    assert returns > 100
    assert 0.007 <= returns / lines <= 0.012  # RETURN_SHARE 1%, less those after the as-of
    pairs = con.execute(
        """
        select r.order_date - o.order_date as lag_days,
               r.account_id = o.account_id and r.region = o.region as same_customer,
               -r.quantity as returned, o.quantity as ordered,
               -r.net_amount as credit, o.net_amount as amount
        from orders r
        join t_orders t on t._row = r._row
        join orders o on o.order_id = t.returned_order_id and o.product_id = r.product_id
        where r.quantity < 0 and o.quantity is not null and o.order_date is not null
        """
    ).fetchall()
    # Every return names an order line of its product; the demo's one malformed quantity
    # or date may have hit an original.
    assert returns - 2 <= len(pairs) <= returns
    assert _count(con, "t_orders", "returned_order_id is not null") == returns
    lags = sorted(lag for lag, *_ in pairs)
    assert lags[0] >= 3 and lags[-1] <= 42  # 3-40 days, a weekend moved to the Monday
    assert lags[len(lags) // 10] <= 10 and lags[-len(lags) // 10] >= 30  # days to weeks
    assert all(same for _, same, *_ in pairs)
    assert all(0 < returned <= ordered for _, _, returned, ordered, *_ in pairs)
    full = sum(returned == ordered for _, _, returned, ordered, *_ in pairs)
    assert 0.3 * len(pairs) <= full <= 0.8 * len(pairs)  # half whole lines (and single units)
    # Credited at the line's own net unit price, to the cent.
    for *_, returned, ordered, credit, amount in pairs:
        assert float(credit) == pytest.approx(float(amount) * returned / ordered, abs=0.005 + 1e-9)


def test_planning_inputs_are_plausible(demo: Demo, con: duckdb.DuckDBPyConnection) -> None:
    landing = demo[0]
    rows = con.execute(
        "select product_id, family, cast(month as date), adjustment_type from overrides"
    ).fetchall()
    assert 3 <= len(rows) <= 12
    for product, family, month, kind in rows:
        assert (product is None) != (family is None)
        assert date(2025, 7, 1) <= month <= date(2026, 12, 1) and month.day == 1
        assert kind in ("pct", "units")
    text = (landing / "planning" / "scenarios.yml").read_text(encoding="utf-8")
    scenarios = yaml.safe_load(text)["scenarios"]
    assert len(scenarios) == 4 and "baseline" not in scenarios
    families = _values(con, "select family from products")
    resources = _values(con, "select resource_id from capacity")
    for spec in scenarios.values():
        assert spec["description"]
        for item in spec.get("demand", []):
            assert item["family"] in families and item["multiplier"] > 0
            assert item["from_month"] <= item["to_month"]
        for item in spec.get("capacity", []):
            assert item["resource_id"] in resources and item["multiplier"] > 0
    plan = yaml.safe_load((landing / "planning" / "comp_plan.yml").read_text(encoding="utf-8"))
    tiers = plan["tiers"]
    assert tiers[0]["from_attainment"] == 0 and tiers[-1]["to_attainment"] is None
    assert all(a["to_attainment"] == b["from_attainment"] for a, b in pairwise(tiers))
    assert plan["accelerator"]["from_attainment"] == 1.0 and plan["accelerator"]["multiplier"] > 1
    assert plan["base_rate"] > 0 and plan["cap"]["max_attainment"] > 1


def test_supply_files_support_planning(con: duckdb.DuckDBPyConnection) -> None:
    assert _count(con, "(select distinct snapshot_date from inventory)") >= 12
    assert _count(con, "capacity", f"month > {AS_OF} + interval 23 month") > 0
    assert _count(con, "open_supply", f"due_date > {AS_OF}") > 0
    assert _values(con, "select supply_type from open_supply") <= {"purchase", "production"}
    # Actual orders need 60-95% of the hours in a typical month, more in a few.
    utilization = con.execute(
        """
        select sum(o.quantity * p.hours_per_unit) / any_value(c.available_hours)
        from orders o join products p using (product_id)
        join capacity c on c.resource_id = p.resource_id
         and c.month = date_trunc('month', o.order_date)
        group by p.resource_id, c.month
        """
    ).fetchall()
    values = sorted(u for (u,) in utilization)
    assert 0.6 <= values[len(values) // 2] <= 0.95
    assert values[-1] > 1.0


def test_same_seed_same_bytes_other_seed_other_data(demo: Demo, tmp_path: Path) -> None:
    landing = demo[0]
    again = generate_demo_landing(tmp_path / "again", scale=SCALE, seed=7, end_month=END_MONTH)
    other = generate_demo_landing(tmp_path / "other", scale=SCALE, seed=8, end_month=END_MONTH)
    files = sorted(p.relative_to(landing) for p in landing.rglob("*") if p.is_file())
    assert len(files) == len(LANDING_FILES) + 4
    for rel in files:
        assert (tmp_path / "again" / rel).read_bytes() == (landing / rel).read_bytes(), rel
    assert again.bad_rows == demo[1].bad_rows
    orders = Path("supply") / "orders.csv"
    assert (tmp_path / "other" / orders).read_bytes() != (landing / orders).read_bytes()
    assert other.row_counts != demo[1].row_counts


def test_parquet_and_clean_variants(demo: Demo, tmp_path: Path) -> None:
    summary = generate_demo_landing(
        tmp_path / "pq", scale=SCALE, seed=7, end_month=END_MONTH, file_format="parquet"
    )
    assert summary.row_counts == demo[1].row_counts and summary.bad_rows == demo[1].bad_rows
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for spec in LANDING_FILES:
        result = load_landing_file(con, tmp_path / "pq", spec)
        assert result.source_file == f"{spec.relative_stem}.parquet"
        assert result.rows_read == summary.row_counts[spec.name]
    assert _quarantined(con) == set(summary.bad_rows)
    # Parquet holds the declared types where no malformed value forced text.
    orders = str(tmp_path / "pq" / "supply" / "orders.parquet")
    net_type = con.execute("select typeof(net_amount) from read_parquet(?) limit 1", [orders])
    assert net_type.fetchone()[0].startswith("DECIMAL")

    clean = generate_demo_landing(
        tmp_path / "clean", scale=SCALE, seed=7, end_month=END_MONTH, bad_rows=False
    )
    assert clean.bad_rows == [] and clean.row_counts == demo[1].row_counts
    assert _bad_cells(_open(tmp_path / "clean")) == set()


def test_scale_sets_the_size(demo: Demo) -> None:
    counts = demo[1].row_counts
    assert 10 <= counts["reps"] <= 20
    assert 35 <= counts["products"] <= 45
    assert counts["orders"] > 10 * counts["products"]
