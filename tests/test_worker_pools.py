"""Forecast worker pools shut down cleanly: nothing printed after a run's summary."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import numpy as np, pandas as pd
    from statsforecast.models import AutoETS, SeasonalNaive
    from models.forecasting.auto_select import PanelStatsForecast

    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({
            "unique_id": np.repeat(np.arange(40), 36),
            "ds": np.tile(np.arange(36), 40),
            "y": rng.gamma(2.0, 10.0, 40 * 36),
        })
        sf = PanelStatsForecast(models=[SeasonalNaive(12), AutoETS(season_length=12)],
                                freq=1, n_jobs=2)
        backtest = sf.cross_validation(df=frame, h=6, n_windows=2, step_size=6)
        forecast = sf.forecast(df=frame, h=6)
        print(len(backtest), len(forecast))
    """
)


def test_worker_pools_exit_without_leaked_semaphore_warnings() -> None:
    """statsforecast's backtest in a forkserver pool of two workers, as a run does it.

    Killed workers (``Pool.__exit__`` terminates) left tqdm's per-worker
    semaphores registered, and Python's resource tracker printed "leaked
    semaphore objects" to stderr at exit, after `sop run`'s summary.
    """
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["480", "240"]  # 40 series x 2 windows x 6 steps; 40 x 6
    assert done.stderr == ""
