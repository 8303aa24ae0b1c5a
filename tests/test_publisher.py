"""Publishing: atomic replacement, readers never blocked, readable by older DuckDB clients."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.publisher import (
    PUBLISHED_TABLES,
    RUN_TABLE,
    STORAGE_VERSION,
    publish,
    published_run_month,
)

JUNE = date(2025, 6, 1)


def _make_warehouse(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    for relation in set(PUBLISHED_TABLES.values()):
        schema = relation.split(".")[0]
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create or replace table {relation} as select range as id from range({rows})")
    con.close()


def test_publish_writes_every_table_to_duckdb_and_parquet(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    _make_warehouse(warehouse, 3)
    counts = publish(warehouse, tmp_path / "published", JUNE)

    assert counts == dict.fromkeys(PUBLISHED_TABLES, 3)
    con = duckdb.connect(str(tmp_path / "published" / "sop.duckdb"), read_only=True)
    tables = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    con.close()
    assert tables == {*PUBLISHED_TABLES, RUN_TABLE}
    for name in PUBLISHED_TABLES:
        parquet = tmp_path / "published" / "parquet" / name / f"{name}.parquet"
        assert duckdb.sql(f"select count(*) from '{parquet}'").fetchone()[0] == 3


def test_a_reader_keeps_its_snapshot_while_a_new_run_is_published(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    published = tmp_path / "published"
    _make_warehouse(warehouse, 3)
    publish(warehouse, published, JUNE)

    reader = duckdb.connect(str(published / "sop.duckdb"), read_only=True)
    _make_warehouse(warehouse, 5)
    publish(warehouse, published, JUNE)  # must not fail although a reader holds the old file

    assert reader.execute("select count(*) from marts.dim_reps").fetchone()[0] == 3
    reader.close()
    fresh = duckdb.connect(str(published / "sop.duckdb"), read_only=True)
    assert fresh.execute("select count(*) from marts.dim_reps").fetchone()[0] == 5
    fresh.close()
    # Only the current and the previous Parquet versions are kept.
    assert len(list(published.glob(".parquet-*"))) == 2


def test_a_failed_publish_leaves_the_last_published_tables(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    published = tmp_path / "published"
    _make_warehouse(warehouse, 3)
    publish(warehouse, published, JUNE)

    con = duckdb.connect(str(warehouse))
    con.execute("drop table marts.fct_demand_history")
    con.close()
    with pytest.raises(duckdb.CatalogException):
        publish(warehouse, published, JUNE)

    after = duckdb.connect(str(published / "sop.duckdb"), read_only=True)
    assert after.execute("select count(*) from marts.fct_demand_history").fetchone()[0] == 3
    after.close()
    assert not list(published.glob(".sop.duckdb.*.tmp"))
    assert (published / "parquet" / "fct_demand_history").exists()


def test_published_file_uses_a_storage_format_older_clients_read(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    _make_warehouse(warehouse, 1)
    publish(warehouse, tmp_path / "published", JUNE)
    con = duckdb.connect()
    con.execute(f"attach '{tmp_path / 'published' / 'sop.duckdb'}' as pub (read_only)")
    version = con.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = 'pub'"
    ).fetchone()
    con.close()
    # Readable by DuckDB 1.4 and newer, whatever version of DuckDB wrote it.
    assert version == (f"{STORAGE_VERSION}+",)


def test_the_published_run_month_is_recorded_with_the_tables(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    _make_warehouse(warehouse, 1)
    assert published_run_month(tmp_path / "published") is None
    publish(warehouse, tmp_path / "published", JUNE)
    assert published_run_month(tmp_path / "published") == JUNE
