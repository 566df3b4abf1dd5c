"""Label queries and output vectors derived from code descriptions (the zero-shot path).

Each label l has a description embedding d_l [desc_dim] (from its description and inclusion terms,
computed by the encoder that owns the head). Its attention query and output vector are

    q_l = Wq d_l + dq_l        v_l = Wv d_l + dv_l        b_l = b + db_l

with shared maps (Wq, Wv, b) learned on all training labels and per-label residuals (dq, dv, db)
that start at zero. A code never seen in training keeps zero residuals, so it is scored from its
description through the shared maps; ``add_labels`` appends such codes without retraining.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from medcoder.models.attention import LabelAttention, masked_softmax


class DescriptionMatch(nn.Module):
    """Zero-shot channel: how well the document's best-matching tokens match each description.

    Token vectors x and description embeddings d live in the same space (LAAT: word embeddings;
    PLM-ICD: encoder states). For label l, attention over tokens by cosine similarity picks the
    tokens closest to d_l; the logit is ``scale * sum_t A_lt cos(x_t, d_l) + offset`` with two
    shared scalars, so it needs no per-label training.
    """

    def __init__(self, temperature: float = 10.0, scale: float = 4.0, offset: float = -2.0) -> None:
        super().__init__()
        self.temperature = temperature
        self.scale = nn.Parameter(torch.tensor(scale))
        self.offset = nn.Parameter(torch.tensor(offset))

    def forward(self, x: Tensor, mask: Tensor, desc: Tensor) -> Tensor:
        """x: [batch, seq_len, dim]; mask: [batch, seq_len] bool; desc: [n_labels, dim] -> logits [batch, n_labels]."""
        with torch.autocast(device_type=x.device.type, enabled=False):
            xn = nn.functional.normalize(x.float(), dim=-1)
            dn = nn.functional.normalize(desc.float(), dim=-1)
            cos = torch.einsum("btd,ld->blt", xn, dn)
            attn = masked_softmax(cos * self.temperature, mask[:, None, :])
            return self.scale * (attn * cos).sum(-1) + self.offset


class DescriptionLabelHead(nn.Module):
    """Label-wise attention whose per-label parameters are a description map plus a residual."""

    def __init__(
        self, hidden: int, proj: int, desc_dim: int, n_labels: int, use_residuals: bool = True
    ) -> None:
        super().__init__()
        if n_labels < 1:
            raise ValueError("DescriptionLabelHead needs at least one label")
        self.attention = LabelAttention(hidden, proj)
        self.query_map = nn.Linear(desc_dim, proj, bias=False)
        self.out_map = nn.Linear(desc_dim, hidden, bias=False)
        self.bias = nn.Parameter(torch.full((1,), -3.0))  # rare labels: start near p = 0.05
        self.use_residuals = use_residuals
        self.dq = nn.Parameter(torch.zeros(n_labels, proj))
        self.dv = nn.Parameter(torch.zeros(n_labels, hidden))
        self.db = nn.Parameter(torch.zeros(n_labels))

    @property
    def n_labels(self) -> int:
        return self.db.shape[0]

    def forward(self, h: Tensor, mask: Tensor, desc: Tensor) -> tuple[Tensor, Tensor]:
        """h: [batch, seq_len, hidden]; mask: [batch, seq_len] bool; desc: [n_labels, desc_dim].

        Returns (logits [batch, n_labels], attention [batch, n_labels, seq_len]).
        """
        q = self.query_map(desc)
        v = self.out_map(desc)
        b = self.bias.expand(self.n_labels)
        if self.use_residuals:
            q, v, b = q + self.dq, v + self.dv, b + self.db
        return self.attention(h, mask, q, v, b)

    @torch.no_grad()
    def add_labels(self, n_new: int) -> None:
        """Append ``n_new`` labels with zero residuals (scored from their descriptions only)."""
        self.dq = nn.Parameter(torch.cat([self.dq, self.dq.new_zeros(n_new, self.dq.shape[1])]))
        self.dv = nn.Parameter(torch.cat([self.dv, self.dv.new_zeros(n_new, self.dv.shape[1])]))
        self.db = nn.Parameter(torch.cat([self.db, self.db.new_zeros(n_new)]))
