"""LAAT: BiLSTM over token embeddings + label-wise attention (Vu et al., IJCAI 2020).

Label queries come from code descriptions (mean of the description's token embeddings, shared with
the document encoder), so unseen codes get scores and codes can be added with ``add_labels``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from medcoder.models.label_head import DescriptionLabelHead, DescriptionMatch


def pool_tokens(h: Tensor, mask: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """Mean of each window of ``size`` tokens (padding excluded): h [batch, seq_len, dim], mask [batch, seq_len]
    -> ([batch, ceil(seq_len / size), dim], [batch, ceil(seq_len / size)]). Label attention over T / size
    positions costs size times less; attention then points at windows instead of tokens."""
    if size <= 1:
        return h, mask
    b, t, d = h.shape
    pad = (-t) % size
    m = nn.functional.pad(mask, (0, pad)).view(b, -1, size)
    x = nn.functional.pad(h, (0, 0, 0, pad)).view(b, -1, size, d)
    w = m.unsqueeze(-1).to(x.dtype)
    return (x * w).sum(2) / w.sum(2).clamp_min(1.0), m.any(-1)


def masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    """x: [n, seq_len, dim]; mask: [n, seq_len] bool -> [n, dim] (zeros for empty rows)."""
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp_min(1.0)


class LAAT(nn.Module):
    """Token ids [batch, seq_len] -> logits [batch, n_labels] and attention [batch, n_labels, seq_len / pool]."""

    def __init__(
        self,
        vocab_size: int,
        desc_ids: Tensor,
        desc_mask: Tensor,
        emb_dim: int = 128,
        hidden: int = 256,
        proj: int = 256,
        dropout: float = 0.2,
        pad_id: int = 0,
        pool: int = 1,
    ) -> None:
        """desc_ids / desc_mask: [n_labels, desc_len] token ids of each label's description text."""
        super().__init__()
        self.pool = pool
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_id)
        self.dropout = nn.Dropout(dropout)
        self.lstm = nn.LSTM(emb_dim, hidden, batch_first=True, bidirectional=True)
        self.head = DescriptionLabelHead(2 * hidden, proj, emb_dim, desc_ids.shape[0])
        self.match = DescriptionMatch()
        self.register_buffer("desc_ids", desc_ids.long())
        self.register_buffer("desc_mask", desc_mask.bool())
        self.register_buffer("token_idf", torch.ones(vocab_size))

    @torch.no_grad()
    def set_token_idf(self, doc_freq: Tensor, n_docs: int) -> None:
        """IDF weights from training document frequencies [vocab_size]: words rare in notes (often the
        distinctive words of a description) weigh more in the description embedding."""
        self.token_idf = torch.log((n_docs + 1) / (doc_freq.float() + 1)) + 1.0

    def label_embeddings(self) -> Tensor:
        """Description embeddings [n_labels, emb_dim]: IDF-weighted mean of the description's token embeddings."""
        w = self.token_idf[self.desc_ids] * self.desc_mask
        e = self.embedding(self.desc_ids)
        return (e * w.unsqueeze(-1)).sum(1) / w.sum(1, keepdim=True).clamp_min(1e-6)

    def encode(self, emb: Tensor, mask: Tensor) -> Tensor:
        """emb: [batch, seq_len, emb_dim] token embeddings; mask: [batch, seq_len] -> [batch, seq_len, 2 * hidden]."""
        x = self.dropout(emb)
        lengths = mask.sum(1).clamp_min(1).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(out, batch_first=True, total_length=emb.shape[1])
        return self.dropout(h)

    def forward(self, input_ids: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """input_ids, mask: [batch, seq_len] -> (logits [batch, n_labels], attention [batch, n_labels, seq_len])."""
        mask = mask.bool()
        emb = self.embedding(input_ids)
        desc = self.label_embeddings()
        h, pmask = pool_tokens(self.encode(emb, mask), mask, self.pool)
        logits, attn = self.head(h, pmask, desc)
        return logits + self.match(emb, mask, desc), attn

    @torch.no_grad()
    def add_labels(self, desc_ids: Tensor, desc_mask: Tensor) -> None:
        """Append labels given their description ids [n_new, desc_len] (padded to any length)."""
        width = max(self.desc_ids.shape[1], desc_ids.shape[1])
        pad = lambda t, v: nn.functional.pad(t, (0, width - t.shape[1]), value=v)  # noqa: E731
        self.desc_ids = torch.cat([pad(self.desc_ids, 0), pad(desc_ids.long().to(self.desc_ids.device), 0)])
        self.desc_mask = torch.cat(
            [pad(self.desc_mask, False), pad(desc_mask.bool().to(self.desc_mask.device), False)]
        )
        self.head.add_labels(desc_ids.shape[0])
