"""Evidence from pooled label attention must land on the tokens the window covers.

Regression: a LAAT with ``pool: 2`` returns one attention weight per 2-token window; serving used
to read window index t as token index t, so evidence pointed at text about half-way before the
real mention.
"""

from __future__ import annotations

import torch

from medcoder.coding.scoring import score_batch
from medcoder.models.bundle import ModelBundle


class _PooledStub(torch.nn.Module):
    """Wraps a real LAAT and replaces its attention with a single hot window (index 3)."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.inner = net
        self.pool = 2

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, _ = self.inner(ids, mask)
        n_windows = (mask.shape[-1] + 1) // 2
        attn = torch.zeros(ids.shape[0], logits.shape[-1], n_windows)
        attn[:, :, 3] = 1.0
        return logits, attn


def test_pooled_attention_is_spread_over_its_window_tokens(tiny_model) -> None:
    model = ModelBundle.load(tiny_model)
    model.scorer.net = _PooledStub(model.scorer.net)
    (scored,) = score_batch(model.scorer, ["chest pain and shortness of breath for two days, worse today"])
    weights = scored.attention[0]
    # window 3 covers tokens 6 and 7 (0-based): exactly those carry the weight
    assert weights.shape[-1] >= 8
    assert weights[6].item() == 1.0 and weights[7].item() == 1.0
    assert float(weights.sum()) == 2.0
