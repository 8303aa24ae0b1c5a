"""The commission plan: validation of planning/comp_plan.yml and the commission formula.

The worked example (also dbt's unit test of fct_commissions), under the demo
plan of orchestration/demo/planning_inputs.py: quota 10,000, bookings 16,000,
so attainment 160%.

| slice of bookings | tier         | rate               | commission |
| ----------------- | ------------ | ------------------ | ---------: |
| 0 - 5,000         | 0% - 50%     | 2%                 |        100 |
| 5,000 - 10,000    | 50% - 100%   | 5%                 |        250 |
| 10,000 - 15,000   | 100% - 150%  | 5% x 1.5 = 7.5%    |        375 |
| 15,000 - 16,000   | 150% and up  | 6% x 1.5 = 9%      |         90 |
| total             |              |                    |        815 |

The same quota with bookings 30,000 (300%) is capped at 250%: the last slice
is 15,000 - 25,000 at 9% = 900, total 1,625. Bookings of 16,000 in a month
without quota earn the base rate flat: 16,000 x 5% = 800.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from models.compensation import (
    CompPlan,
    CompPlanError,
    Tier,
    commission,
    empty_tiers_frame,
    load_comp_plan,
)
from orchestration.demo.planning_inputs import COMP_PLAN_YAML

TIERS = """\
version: 1
base_rate: 0.05
tiers:
{tiers}
accelerator:
  from_attainment: 1.0
  multiplier: 1.5
cap:
  max_attainment: 2.5
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "comp_plan.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _with_tiers(tmp_path: Path, *tiers: tuple[float, float | None, float]) -> Path:
    lines = "\n".join(
        f"  - from_attainment: {a}\n    to_attainment: {'null' if b is None else b}\n    rate: {r}"
        for a, b, r in tiers
    )
    return _write(tmp_path, TIERS.format(tiers=lines))


@pytest.fixture
def demo_plan(tmp_path: Path) -> CompPlan:
    return load_comp_plan(_write(tmp_path, COMP_PLAN_YAML))


def test_demo_plan_loads(demo_plan: CompPlan) -> None:
    assert demo_plan.base_rate == 0.05
    assert demo_plan.tiers == (
        Tier(0.0, 0.5, 0.02),
        Tier(0.5, 1.0, 0.05),
        Tier(1.0, 1.5, 0.05),
        Tier(1.5, None, 0.06),
    )
    assert (demo_plan.accelerator_from, demo_plan.accelerator_multiplier) == (1.0, 1.5)
    assert demo_plan.cap == 2.5


def test_worked_example_slice_by_slice(demo_plan: CompPlan) -> None:
    slices = [5_000 * 0.02, 5_000 * 0.05, 5_000 * 0.05 * 1.5, 1_000 * 0.06 * 1.5]
    assert slices == pytest.approx([100.0, 250.0, 375.0, 90.0])
    assert commission(16_000, 10_000, demo_plan) == pytest.approx(sum(slices))
    assert commission(16_000, 10_000, demo_plan) == pytest.approx(815.0)


def test_example_of_the_plan_file(demo_plan: CompPlan) -> None:
    # "quota 100,000 and bookings 130,000: 50,000 x 0.02 + 50,000 x 0.05 + 30,000 x 0.05 x 1.5"
    assert commission(130_000, 100_000, demo_plan) == pytest.approx(5_750.0)


@pytest.mark.parametrize(
    ("bookings", "quota", "expected"),
    [
        (0, 10_000, 0.0),
        (4_000, 10_000, 80.0),  # inside the first tier: 4,000 x 2%
        (10_000, 10_000, 350.0),  # exactly on target: 100 + 250, no accelerator yet
        (25_000, 10_000, 1_625.0),  # at the cap: 100 + 250 + 375 + 10,000 x 9%
        (30_000, 10_000, 1_625.0),  # above the cap: nothing more
        (16_000, None, 800.0),  # missing quota: base rate flat
        (16_000, 0, 800.0),  # zero quota: base rate flat
        (16_000, float("nan"), 800.0),
        (-500, 10_000, 0.0),  # negative bookings earn nothing
        (-500, None, 0.0),
    ],
)
def test_commission_edges(demo_plan: CompPlan, bookings: float, quota: float, expected: float):
    assert commission(bookings, quota, demo_plan) == pytest.approx(expected)


def test_tiers_frame_of_the_demo_plan(demo_plan: CompPlan) -> None:
    frame = demo_plan.tiers_frame()
    assert list(frame.columns) == list(empty_tiers_frame().columns)
    assert (frame.dtypes == empty_tiers_frame().dtypes).all()
    expected = pd.DataFrame(
        {
            "tier_number": [1, 2, 3, 4],
            "tier_from": [0.0, 0.5, 1.0, 1.5],
            "tier_to": [0.5, 1.0, 1.5, 2.5],  # the open-ended tier is cut at the cap
            "rate": [0.02, 0.05, 0.05, 0.06],
            "effective_rate": [0.02, 0.05, 0.075, 0.09],
            "base_rate": [0.05] * 4,
        }
    ).astype(frame.dtypes.to_dict())
    pd.testing.assert_frame_equal(frame, expected)


def test_tiers_frame_splits_at_the_accelerator_and_stays_open_without_cap() -> None:
    plan = CompPlan(0.03, (Tier(0.0, 1.2, 0.04), Tier(1.2, None, 0.06)), 0.8, 2.0, None)
    frame = plan.tiers_frame()
    assert frame["tier_number"].tolist() == [1, 1, 2]
    assert frame["tier_from"].tolist() == [0.0, 0.8, 1.2]
    assert frame["tier_to"].tolist()[:2] == [0.8, 1.2] and pd.isna(frame["tier_to"].iloc[2])
    assert frame["effective_rate"].tolist() == pytest.approx([0.04, 0.08, 0.12])


@pytest.mark.parametrize(
    ("bookings", "quota"),
    [(0, 1_000), (500, 1_000), (900, 1_000), (1_300, 1_000), (2_600, 1_000), (9_999, 3_333)],
)
def test_tiers_frame_pays_what_the_reference_pays(bookings: float, quota: float) -> None:
    # The formula fct_commissions applies to raw.comp_plan_tiers, here on the frame.
    for plan in (
        CompPlan(0.03, (Tier(0.0, 1.2, 0.04), Tier(1.2, None, 0.06)), 0.8, 2.0, 2.2),
        CompPlan(0.03, (Tier(0.0, 0.5, 0.01), Tier(0.5, None, 0.05)), None, 1.0, None),
    ):
        frame = plan.tiers_frame()
        upper = (frame["tier_to"].astype("float64") * quota).fillna(bookings).clip(upper=bookings)
        paid = (upper - frame["tier_from"] * quota).clip(lower=0) * frame["effective_rate"]
        assert paid.sum() == pytest.approx(commission(bookings, quota, plan))


def test_overlapping_tiers_name_the_tier(tmp_path: Path) -> None:
    path = _with_tiers(tmp_path, (0.0, 0.5, 0.02), (0.4, 1.0, 0.05), (1.0, None, 0.06))
    with pytest.raises(CompPlanError) as error:
        load_comp_plan(path)
    message = str(error.value)
    assert str(path) in message
    assert "tier 2 (from_attainment 0.4, to_attainment 1)" in message
    assert "overlaps tier 1" in message


def test_unordered_tiers_name_the_tier(tmp_path: Path) -> None:
    path = _with_tiers(tmp_path, (0.5, 1.0, 0.05), (0.0, 0.5, 0.02), (1.0, None, 0.06))
    with pytest.raises(CompPlanError, match=r"tier 2 \(from_attainment 0, .*ascending") as error:
        load_comp_plan(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("tiers", "expected"),
    [
        (((0.0, 0.5, 0.02), (0.6, None, 0.05)), r"tier 2 .* leaves a gap after tier 1"),
        (((0.1, 0.5, 0.02), (0.5, None, 0.05)), r"tier 1 .* must start at from_attainment 0"),
        (((0.0, 0.5, 0.02), (0.5, 1.0, 0.05)), r"tier 2 .* must be open-ended"),
        (((0.0, None, 0.02), (0.5, None, 0.05)), r"tier 1 .* open-ended but is not the last"),
        (((0.0, 0.5, -0.02), (0.5, None, 0.05)), r"tier 1 rate must be at least 0"),
        (((0.0, 0.5, 0.02), (0.5, 0.5, 0.05), (0.5, None, 0.05)), r"tier 2 .* greater than"),
    ],
)
def test_invalid_tiers(tmp_path: Path, tiers: tuple, expected: str) -> None:
    with pytest.raises(CompPlanError, match=expected):
        load_comp_plan(_with_tiers(tmp_path, *tiers))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("base_rate: 0.05", "base_rate: -0.05", r"base_rate must be at least 0"),
        ("base_rate: 0.05", "base_rate: five", r"base_rate must be a number, got 'five'"),
        ("max_attainment: 2.5", "max_attainment: 0", r"cap max_attainment must be greater than 0"),
        ("multiplier: 1.5", "multiplier: 0", r"accelerator multiplier must be greater than 0"),
        ("version: 1", "version: 2", r"version must be 1, got 2"),
        ("\naccelerator:", "\nacelerator:", r"unknown key\(s\) acelerator"),
        ("  - from_attainment: 0.0", "  - from: 0.0", r"tier 1 has unknown key\(s\) from"),
        ("tiers:\n", "tiers: []\nunused:\n", r"unknown key\(s\) unused"),
        ("version: 1\n", "version: 1\n  bad: [\n", r"not valid YAML"),
    ],
)
def test_invalid_plan(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in COMP_PLAN_YAML
    path = _write(tmp_path, COMP_PLAN_YAML.replace(old, new, 1))
    with pytest.raises(CompPlanError, match=expected) as error:
        load_comp_plan(path)
    assert str(path) in str(error.value)


def test_optional_accelerator_and_cap(tmp_path: Path) -> None:
    text = (
        "version: 1\nbase_rate: 0.04\n"
        "tiers:\n  - {from_attainment: 0, to_attainment: null, rate: 0.04}\n"
    )
    plan = load_comp_plan(_write(tmp_path, text))
    assert (plan.accelerator_from, plan.accelerator_multiplier, plan.cap) == (None, 1.0, None)
    assert commission(50_000, 10_000, plan) == pytest.approx(2_000.0)
    assert plan.tiers_frame()["tier_to"].isna().all()


def test_missing_file_is_not_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_comp_plan(tmp_path / "comp_plan.yml")
    assert empty_tiers_frame().empty
