"""Numerically stable label-wise attention (LAAT-style, Vu et al. 2020).

Label attention is known to diverge when the attention logits overflow in half precision or when a
row is fully padded. Here the softmax always runs in float32 with max-subtraction, padding gets a
large *finite* negative (never ``-inf``), and a fully masked row yields zeros instead of NaN.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

MASK_VALUE = -1e4  # finite: exp(-1e4 - max) underflows to 0 without producing NaN


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """Softmax over the last axis that ignores masked positions.

    scores: [..., seq_len] (any float dtype); mask: broadcastable to scores, True = real token.
    Returns float32 weights [..., seq_len]; rows with no real token are all zeros (not NaN).
    """
    s = scores.float().masked_fill(~mask, MASK_VALUE)
    s = s - s.amax(dim=-1, keepdim=True).detach()
    # clamp before exp: exp of very negative values takes a slow denormal path on CPU (MKL) and
    # contributes nothing (exp(-60) ~ 1e-26); masked positions are zeroed exactly by the mask
    w = torch.exp(s.clamp_min(-60.0)) * mask
    denom = w.sum(dim=-1, keepdim=True)
    return w / denom.clamp_min(1e-30)


class LabelAttention(nn.Module):
    """Z = tanh(W H); A = softmax(U Z) over tokens; logit_l = <A_l H, V_l> + b_l.

    The label queries ``U`` [n_labels, proj], the output vectors ``V`` [n_labels, hidden] and the bias
    [n_labels] are passed in, so a head can derive them from code descriptions (zero-shot labels).
    """

    def __init__(self, hidden: int, proj: int) -> None:
        super().__init__()
        self.w = nn.Linear(hidden, proj, bias=False)
        nn.init.xavier_uniform_(self.w.weight)

    def forward(
        self, h: Tensor, mask: Tensor, queries: Tensor, out_w: Tensor, out_b: Tensor
    ) -> tuple[Tensor, Tensor]:
        """h: [batch, seq_len, hidden]; mask: [batch, seq_len] bool; queries: [n_labels, proj];
        out_w: [n_labels, hidden]; out_b: [n_labels].

        Returns (logits [batch, n_labels] float32, attention [batch, n_labels, seq_len] float32).
        """
        z = torch.tanh(self.w(h))  # [B, T, P]
        with torch.autocast(device_type=h.device.type, enabled=False):  # scores + softmax in float32
            scores = torch.einsum("btp,lp->blt", z.float(), queries.float())  # [B, L, T]
            attn = masked_softmax(scores, mask[:, None, :])
        v = torch.einsum("blt,btd->bld", attn, h.float())  # [B, L, D]
        logits = (v * out_w.float()[None]).sum(-1) + out_b.float()[None]
        return logits, attn
