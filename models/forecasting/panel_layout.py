"""sktime's pandas containers <-> one ``(time, series)`` float array.

Panel forecasters that fit every series in one call (seasonal naive in numpy,
statsforecast for the model candidates) need the whole panel as a single array
and must give predictions back in sktime's container types. A MultiIndex is
converted from integer codes, never tuple by tuple, so 10,000 series cost
milliseconds, and series may start at different times (NaN before their first
observation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PANDAS_MTYPES = ["pd.DataFrame", "pd-multiindex", "pd_multiindex_hier"]


@dataclass(frozen=True)
class Layout:
    """How the columns of the (time, series) array map back to the pandas input."""

    variables: pd.Index
    instances: pd.Index | None  # None for a wide DataFrame
    index_names: list

    @property
    def series_labels(self) -> pd.Index:
        """One label per array column: the variable, or (variable, *instance)."""
        if self.instances is None:
            return self.variables
        n_var, n_inst = len(self.variables), len(self.instances)
        if isinstance(self.instances, pd.MultiIndex):
            instance_levels = [
                self.instances.get_level_values(i) for i in range(self.instances.nlevels)
            ]
        else:
            instance_levels = [self.instances]
        return pd.MultiIndex.from_arrays(
            [self.variables.repeat(n_inst), *[np.tile(lv, n_var) for lv in instance_levels]],
            names=[None, *self.index_names[:-1]],
        )


def time_grid(times: pd.Index) -> pd.Index:
    """All periods from the first to the last time stamp, so rows are equally spaced."""
    times = times.unique().sort_values()
    if len(times) == 0:
        return times
    if isinstance(times, pd.PeriodIndex):
        return pd.period_range(times[0], times[-1], freq=times.freq, name=times.name)
    if pd.api.types.is_integer_dtype(times.dtype):
        return pd.Index(np.arange(times[0], times[-1] + 1), name=times.name)
    if isinstance(times, pd.DatetimeIndex) and len(times) > 2:
        freq = times.freq or pd.infer_freq(times)
        if freq is not None:
            return pd.date_range(times[0], times[-1], freq=freq, name=times.name)
    return times


def to_array(y: pd.DataFrame) -> tuple[np.ndarray, Layout]:
    """Wide (time, series) float array of ``y``; a MultiIndex is unstacked natively."""
    if not isinstance(y.index, pd.MultiIndex):
        layout = Layout(variables=y.columns, instances=None, index_names=[y.index.name])
        return y.to_numpy(dtype=float, na_value=np.nan), layout

    instance_index = y.index.droplevel(-1)
    instances = instance_index.unique()
    instance_code = instances.get_indexer(instance_index)
    times = y.index.get_level_values(-1)
    grid = time_grid(times)
    time_code = grid.get_indexer(times)
    n_inst = len(instances)
    values = np.full((len(grid), n_inst * y.shape[1]), np.nan)
    for j, column in enumerate(y.columns):
        values[time_code, j * n_inst + instance_code] = y[column].to_numpy(
            dtype=float, na_value=np.nan
        )
    layout = Layout(variables=y.columns, instances=instances, index_names=list(y.index.names))
    return values, layout


def row_index(layout: Layout, time_index: pd.Index) -> pd.Index:
    """Row index of predictions: the time index, or instances x time, instance-major.

    Built from integer codes rather than tuples, so 10,000 instances cost
    milliseconds.
    """
    if layout.instances is None:
        return time_index
    instances = layout.instances
    n_steps, n_inst = len(time_index), len(instances)
    if isinstance(instances, pd.MultiIndex):
        levels = list(instances.levels)
        codes = [np.repeat(c, n_steps) for c in instances.codes]
    else:
        levels = [instances]
        codes = [np.repeat(np.arange(n_inst), n_steps)]
    return pd.MultiIndex(
        levels=[*levels, time_index],
        codes=[*codes, np.tile(np.arange(n_steps), n_inst)],
        names=layout.index_names,
    )


def to_rows(block: np.ndarray, layout: Layout) -> np.ndarray:
    """(steps, series) block -> (rows, variables) values matching :func:`row_index`."""
    if layout.instances is None:
        return block
    n_steps, n_inst, n_var = block.shape[0], len(layout.instances), len(layout.variables)
    # (steps, var, inst) -> (inst, steps, var): rows instance-major, time-minor
    return block.reshape(n_steps, n_var, n_inst).transpose(2, 0, 1).reshape(-1, n_var)


def to_frame(block: np.ndarray, layout: Layout, time_index: pd.Index) -> pd.DataFrame:
    """Inverse of :func:`to_array` for a (steps, series) block of predictions."""
    return pd.DataFrame(
        to_rows(block, layout),
        index=row_index(layout, time_index),
        columns=layout.variables,
    )
