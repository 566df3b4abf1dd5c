"""The router learns which charts and codes are right, and round-trips through its files."""

from __future__ import annotations

import numpy as np
import pytest

from medcoder.routing.features import CHART_FEATURES, CODE_FEATURES, ChartBatch
from medcoder.routing.router import Router, RouterConfig


@pytest.mark.slow
def test_router_separates_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    n_charts, n_codes = 300, 900
    chart_x = rng.normal(size=(n_charts, len(CHART_FEATURES))).astype(np.float32)
    code_x = rng.normal(size=(n_codes, len(CODE_FEATURES) + len(CHART_FEATURES))).astype(np.float32)
    chart_y = (chart_x[:, 1] > 0).astype(np.float32)  # "max_p" decides
    code_y = (code_x[:, 0] > -0.5).astype(np.float32)  # "p" decides
    batch = ChartBatch(
        chart_x, code_x, rng.integers(0, n_charts, n_codes), np.zeros(n_codes, int), chart_y, code_y
    )
    router = Router.fit(batch, RouterConfig(epochs=150, hidden=16))
    p_chart, p_code = router.predict(batch)
    assert np.mean((p_chart > 0.5) == chart_y) > 0.9
    assert np.mean((p_code > 0.5) == code_y) > 0.9
    router.save(tmp_path)
    again = Router.load(tmp_path)
    assert np.allclose(again.predict(batch)[1], p_code, atol=1e-6)
    with pytest.raises(ValueError):
        Router.fit(ChartBatch(chart_x, code_x, batch.code_chart, batch.code_label, None, None))
