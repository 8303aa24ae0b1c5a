"""Won deals flow into the demo's orders: run-rate demand plus the order lines of won deals.

A small demo (scale 0.2) is generated at the default deal share and at 0;
order lines that come from a deal name its opportunity (an extra column of
the orders file), so every check here is computed from the written files.
`deal_order_lines` is also checked by hand on two made-up deals.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest

from orchestration.cli import build_parser
from orchestration.demo import DEFAULT_DEAL_SHARE, DemoSummary, generate_demo_landing
from orchestration.demo.catalog import build_catalog
from orchestration.demo.deal_orders import FIRST_RELEASE_DAYS, RELEASE_GAP_DAYS, deal_order_lines
from orchestration.demo.pipeline import WonDeals
from orchestration.demo.sampling import stream
from orchestration.demo.timeline import NEVER, Timeline, day_number

END_MONTH = date(2025, 6, 1)
AS_OF = date(2025, 6, 30)
SCALE = 0.2
#: The latest a release can be: first release, two gaps, and a weekend moved to Monday.
LAST_RELEASE_DAYS = FIRST_RELEASE_DAYS[1] + 2 * RELEASE_GAP_DAYS[1] + 2
Demo = tuple[Path, DemoSummary]


def _demo(root: Path, **options: float) -> Demo:
    landing = root / "landing"
    return landing, generate_demo_landing(
        landing, scale=SCALE, seed=7, end_month=END_MONTH, bad_rows=False, **options
    )


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return _demo(tmp_path_factory.mktemp("deals"))


@pytest.fixture(scope="module")
def run_rate_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return _demo(tmp_path_factory.mktemp("run_rate"), deal_share=0.0)


def _open(landing: Path) -> duckdb.DuckDBPyConnection:
    """Orders, opportunities and products of a landing folder, typed."""
    con = duckdb.connect()
    con.execute(
        "create table orders as select order_id, cast(order_date as date) as order_date, "
        "account_id, product_id, region, cast(quantity as double) as quantity, "
        "cast(net_amount as decimal(18, 2)) as net_amount, opportunity_id "
        "from read_csv(?, all_varchar = true)",
        [str(landing / "supply" / "orders.csv")],
    )
    con.execute(
        "create table opportunities as select opportunity_id, account_id, product_id, "
        "cast(close_date as date) as close_date, cast(quantity as double) as quantity, "
        "cast(amount as decimal(18, 2)) as amount, is_won = 'true' as is_won "
        "from read_csv(?, all_varchar = true)",
        [str(landing / "crm" / "opportunities.csv")],
    )
    con.execute(
        "create table products as select product_id, cast(end_date as date) as end_date "
        "from read_csv(?, all_varchar = true)",
        [str(landing / "supply" / "products.csv")],
    )
    return con


def _deal_share(con: duckdb.DuckDBPyConnection) -> float:
    """Share of ordered units (gross: returns do not count) on lines that name an opportunity."""
    return con.execute(
        "select sum(quantity) filter (where opportunity_id is not null) / sum(quantity) "
        "from orders where quantity > 0"
    ).fetchone()[0]


def test_deal_lines_are_won_deals_of_the_same_account_and_product(default_demo: Demo) -> None:
    con = _open(default_demo[0])
    lines = con.execute(
        """
        select o.opportunity_id, count(*) as n, sum(o.quantity) as units,
               sum(o.net_amount) as amount, min(o.order_date) as first_day,
               max(o.order_date) as last_day,
               bool_and(o.account_id = p.account_id and o.product_id = p.product_id) as same,
               any_value(p.is_won) as won, any_value(p.close_date) as close_date,
               any_value(p.quantity) as deal_units, any_value(p.amount) as deal_amount,
               any_value(x.end_date) as end_date
        from orders o join opportunities p using (opportunity_id)
        join products x on x.product_id = p.product_id
        group by o.opportunity_id
        """
    ).fetchall()
    named = con.execute(
        "select count(distinct opportunity_id) from orders where opportunity_id is not null"
    ).fetchone()[0]
    assert len(lines) == named > 50  # every named opportunity exists
    complete = 0
    for _, n, units, amount, first, last, same, won, close, deal_units, deal_amount, end in lines:
        assert won and same
        assert 1 <= n <= 3 and units <= deal_units
        assert (first - close).days >= FIRST_RELEASE_DAYS[0]
        assert (last - close).days <= LAST_RELEASE_DAYS and last <= AS_OF
        if (AS_OF - close).days > LAST_RELEASE_DAYS and (end is None or end > AS_OF):
            # released in full: the lines add up to the deal, units and money
            assert units == deal_units and amount == deal_amount
            complete += 1
    assert complete > 0.8 * len(lines)


def test_every_won_deal_is_ordered_and_no_other(default_demo: Demo) -> None:
    con = _open(default_demo[0])
    released = con.execute(
        f"""
        select count(*) filter (where o.opportunity_id is null), count(*)
        from opportunities p join products x using (product_id)
        left join (select distinct opportunity_id from orders) o using (opportunity_id)
        where p.is_won and p.close_date < date '{AS_OF}' - {LAST_RELEASE_DAYS}
          and (x.end_date is null or x.end_date > date '{AS_OF}')
        """
    ).fetchone()
    assert released[1] > 50 and released[0] == 0
    not_won = con.execute(
        "select count(*) from orders join opportunities using (opportunity_id) where not is_won"
    ).fetchone()[0]
    assert not_won == 0


def test_the_configured_share_is_met(default_demo: Demo, tmp_path: Path) -> None:
    con = _open(default_demo[0])
    measured = _deal_share(con)
    assert measured == pytest.approx(default_demo[1].deal_share)
    assert measured == pytest.approx(DEFAULT_DEAL_SHARE, abs=0.03)
    landing, summary = _demo(tmp_path, deal_share=0.2)
    assert _deal_share(_open(landing)) == pytest.approx(0.2, abs=0.03)
    assert summary.deal_share == pytest.approx(0.2, abs=0.03)


def test_demand_per_product_keeps_its_level(default_demo: Demo, run_rate_demo: Demo) -> None:
    def units(landing: Path) -> dict[str, float]:
        rows = _open(landing).execute("select product_id, sum(quantity) from orders group by 1")
        return dict(rows.fetchall())

    with_deals, run_rate = units(default_demo[0]), units(run_rate_demo[0])
    ratios = np.array([with_deals.get(p, 0.0) / q for p, q in run_rate.items() if q >= 300])
    assert ratios.size >= 20
    assert np.median(ratios) == pytest.approx(1.0, abs=0.03)
    assert ratios.min() >= 0.8 and ratios.max() <= 1.25
    assert sum(with_deals.values()) / sum(run_rate.values()) == pytest.approx(1.0, abs=0.03)


def test_deal_share_zero_is_a_pure_run_rate_demo(default_demo: Demo, run_rate_demo: Demo) -> None:
    landing, summary = run_rate_demo
    con = _open(landing)
    assert summary.deal_share == 0.0
    assert con.execute("select count(opportunity_id) from orders").fetchone()[0] == 0
    # The CRM is the default demo's: only the orders differ.
    for name in ("opportunities", "opportunity_history", "activities", "quotas"):
        path = Path("crm") / f"{name}.csv"
        assert (landing / path).read_bytes() == (default_demo[0] / path).read_bytes(), name
    orders = Path("supply") / "orders.csv"
    assert (landing / orders).read_bytes() != (default_demo[0] / orders).read_bytes()


def test_deal_order_lines_by_hand() -> None:
    """Two deals: 10 units for 1,000.01 closed on a Monday, 1 unit closed on the as-of day."""
    tl = Timeline.build(END_MONTH)
    catalog = build_catalog(stream(7, "catalog"), tl, 0.01)
    catalog.end_day[:] = NEVER
    monday = day_number(date(2025, 3, 3))
    won = WonDeals(
        opportunity_id=np.array(["OPP-1", "OPP-2"], dtype=np.dtypes.StringDType()),
        account=np.array([4, 5]),
        product=np.array([0, 1]),
        quantity=np.array([10, 1]),
        amount=np.array([1000.01, 99.0]),
        close_day=np.array([monday, tl.as_of_day]),
    )
    lines = deal_order_lines(np.random.default_rng(1), tl, catalog, won)

    # The second deal's one release is after the as-of date: not ordered yet.
    assert set(lines.opportunity_id.tolist()) == {"OPP-1"}
    assert 1 <= lines.day.size <= 3
    assert (lines.account == 4).all() and (lines.product == 0).all()
    assert lines.quantity.sum() == 10 and (lines.quantity >= 1).all()
    assert round(lines.net_amount.sum(), 2) == 1000.01
    offsets = lines.day - monday
    assert (np.diff(offsets) >= RELEASE_GAP_DAYS[0] - 2).all()  # a weekend moves a release on
    assert FIRST_RELEASE_DAYS[0] <= offsets[0] <= FIRST_RELEASE_DAYS[1] + 2
    assert ((lines.day + 3) % 7 < 5).all()  # weekdays only
    # Deterministic for the generator's seed.
    again = deal_order_lines(np.random.default_rng(1), tl, catalog, won)
    assert np.array_equal(again.day, lines.day) and np.array_equal(again.quantity, lines.quantity)


def test_sop_demo_takes_a_deal_share(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    assert parser.parse_args(["demo", "--deal-share", "0.25"]).deal_share == 0.25
    assert parser.parse_args(["demo"]).deal_share is None  # the generator's default
    for bad in ("1", "-0.1", "lots"):
        with pytest.raises(SystemExit):
            parser.parse_args(["demo", "--deal-share", bad])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--help"])
    assert f"default {DEFAULT_DEAL_SHARE}" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(ValueError, match="deal_share"):
        generate_demo_landing(Path("unused"), deal_share=1.0)
