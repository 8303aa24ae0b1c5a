"""Reconciliation: the same numbers as sktime's Reconciler, hand-computed WLS, exact sums."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sktime.transformations.hierarchical.aggregate import Aggregator
from sktime.transformations.hierarchical.reconcile import OptimalReconciler, Reconciler

from models.forecasting.reconcile import aggregation_matrix, reconcile

# families F1 = {P1, P2}, F2 = {P3}; aggregates in the order F1, F2, total
PARENTS = [np.array([0, 0, 1]), np.array([2, 2, 2])]
A = aggregation_matrix(PARENTS, 3)


def test_aggregation_matrix() -> None:
    assert A.toarray().tolist() == [[1, 1, 0], [0, 0, 1], [1, 1, 1]]


def _sktime_reconciled(method: str, frame: pd.DataFrame) -> pd.DataFrame:
    """sktime's result: ``Reconciler`` for ols and bu, ``OptimalReconciler`` for wls_str.

    sktime's ``Reconciler(method="wls_str")`` weights by ``diag(S 1)`` where
    FPP3 (§11.3) and sktime's own ``OptimalReconciler`` use it as the error
    covariance (weights ``diag(S 1)^-1``); we follow the textbook.
    """
    if method == "wls_str":
        reconciler = OptimalReconciler(error_covariance_matrix="wls_str").fit(frame)
        return reconciler.inverse_transform(frame)
    return Reconciler(method=method).fit_transform(frame)


@pytest.mark.parametrize("method", ["ols", "wls_str", "bu"])
def test_same_result_as_sktime_reconcilers(method: str) -> None:
    # F1 = {P1, P2}, F2 = {P3, P4}: every aggregate has two children, as sktime's
    # OptimalReconciler expects
    matrix = aggregation_matrix([np.array([0, 0, 1, 1]), np.array([2, 2, 2, 2])], 3)
    rng = np.random.default_rng(7)
    months = pd.period_range("2026-01", periods=4, freq="M")
    bottom = rng.uniform(5, 20, size=(4, 4))
    aggregates = (matrix @ bottom.T).T + rng.normal(0, 3, size=(4, 3))  # incoherent

    keys = [("F1", "P1"), ("F1", "P2"), ("F2", "P3"), ("F2", "P4")]
    index = pd.MultiIndex.from_tuples(
        [(*k, m) for k in keys for m in months], names=["family", "product", "month"]
    )
    frame = pd.DataFrame({"qty": bottom.T.ravel()}, index=index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = Aggregator(flatten_single_levels=False).fit_transform(frame)
        node_values = {
            ("F1", "__total"): aggregates[:, 0],
            ("F2", "__total"): aggregates[:, 1],
            ("__total", "__total"): aggregates[:, 2],
        }
        for node, values in node_values.items():
            frame.loc[node, "qty"] = values
        expected = _sktime_reconciled(method, frame)

    agg, bot = reconcile(aggregates, bottom, matrix, method, nonnegative=False)

    for j, key in enumerate(keys):
        np.testing.assert_allclose(bot[:, j], expected.loc[key, "qty"], rtol=1e-10)
    for j, node in enumerate(node_values):
        np.testing.assert_allclose(agg[:, j], expected.loc[node, "qty"], rtol=1e-10)


def test_wls_var_hand_computed() -> None:
    # total 12 over bottoms 4 and 5 (incoherence 3); variances total 1, bottoms 1 and 3:
    # lambda = 3 / (1 + 1 + 3) = 0.6; each node moves by its variance x lambda
    one_total = aggregation_matrix([np.array([0, 0])], 1)
    agg, bot = reconcile(
        np.array([[12.0]]), np.array([[4.0, 5.0]]), one_total, "wls_var", np.array([1.0, 1, 3])
    )

    np.testing.assert_allclose(bot, [[4.6, 6.8]])
    np.testing.assert_allclose(agg, [[11.4]])


def test_wls_var_fills_missing_variances_with_the_median() -> None:
    one_total = aggregation_matrix([np.array([0, 0])], 1)
    filled = reconcile(
        np.array([[12.0]]), np.array([[4.0, 5.0]]), one_total, "wls_var", np.array([np.nan, 1, 3])
    )
    explicit = reconcile(
        np.array([[12.0]]), np.array([[4.0, 5.0]]), one_total, "wls_var", np.array([2.0, 1, 3])
    )

    np.testing.assert_allclose(filled[1], explicit[1])


def test_negative_bottom_forecasts_are_floored_and_sums_stay_exact() -> None:
    # OLS pushes P3 below zero: the total says 10 but P3's base says 1
    agg, bot = reconcile(np.array([[20.0, 1.0, 10.0]]), np.array([[10.0, 10.0, 1.0]]), A, "ols")

    assert (bot >= 0).all()
    np.testing.assert_allclose(agg, (A @ bot.T).T)


def test_random_hierarchy_adds_up_for_every_method() -> None:
    rng = np.random.default_rng(1)
    n_bottom, n_products, n_families = 40, 12, 3
    # every product has at least one bottom node, as in a demand hierarchy
    product = np.sort(
        np.r_[np.arange(n_products), rng.integers(0, n_products, n_bottom - n_products)]
    )
    family = rng.integers(0, n_families, n_products)
    parents = [product, n_products + family[product], np.full(n_bottom, n_products + n_families)]
    matrix = aggregation_matrix(parents, n_products + n_families + 1)
    bottom = rng.uniform(0, 50, size=(18, n_bottom))
    aggregates = rng.uniform(0, 500, size=(18, matrix.shape[0]))
    variance = rng.uniform(0.5, 5, size=matrix.shape[0] + n_bottom)

    for method in ("bu", "ols", "wls_str", "wls_var"):
        agg, bot = reconcile(aggregates, bottom, matrix, method, variance)
        np.testing.assert_allclose(agg, (matrix @ bot.T).T, rtol=1e-12)
        assert (bot >= 0).all()


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown reconciliation method"):
        reconcile(np.zeros((1, 3)), np.zeros((1, 3)), A, "mint_sample")
