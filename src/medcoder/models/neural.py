"""NeuralScorer: a label-wise attention net (LAAT or PLM-ICD) with its tokenizer and label space.

This is the inference half of a neural coder: what a model directory restores and what serving,
evidence and evaluation use. ``medcoder.training.coder.NeuralCoder`` adds ``fit`` on top.
``build_net`` makes the network from a config and a tokenizer; it is the one place that knows how.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from medcoder.data.records import Document
from medcoder.models.base import Label, LabelSpace
from medcoder.models.config import TrainConfig
from medcoder.models.descriptions import label_texts
from medcoder.models.laat import LAAT
from medcoder.models.plm_icd import PLMICD, default_encoder_path, load_encoder
from medcoder.models.text import ChunkedText, WordPieceText, description_batch

TextCodec = WordPieceText | ChunkedText


def build_net(
    config: TrainConfig,
    text: TextCodec,
    n_labels: int,
    encoder_config: dict[str, Any] | None = None,
    pretrained: bool = True,
) -> nn.Module:
    """The network for ``config.model`` with ``n_labels`` outputs.

    LAAT gets empty label descriptions (set them with :meth:`NeuralScorer.set_descriptions`);
    PLM-ICD gets an encoder from ``encoder_config`` (architecture only: weights come from a model
    directory), else from ``config.plm`` (a random encoder config, or local pretrained weights).
    """
    if config.model == "laat":
        empty = torch.zeros((n_labels, 1), dtype=torch.long)
        p = config.laat
        return LAAT(
            text.vocab_size, empty, empty.bool(), p.emb_dim, p.hidden, p.proj, p.dropout, text.pad_id, p.pool
        )
    plm = config.plm
    if encoder_config is not None or plm.encoder_config is not None:
        encoder = load_encoder(config=encoder_config or plm.encoder_config)
    else:
        encoder = load_encoder(plm.encoder_path or default_encoder_path()) if pretrained else None
    return PLMICD(encoder, n_labels, plm.proj, plm.dropout, plm.freeze_encoder, plm.pool)


class NeuralScorer:
    """Net + tokenizer + label space: scores texts, and adds zero-shot labels from descriptions."""

    def __init__(self, config: TrainConfig, descriptions: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.descriptions: dict[str, str] = dict(descriptions or {})
        self.label_space = LabelSpace([])
        self.label_descriptions: list[str] = []
        self.text: TextCodec | None = None
        self.net: nn.Module | None = None

    def set_descriptions(self, labels: Sequence[Label], append: bool = False) -> list[str]:
        """Give the net the description token ids of ``labels`` (appended as new outputs when ``append``)."""
        texts = label_texts(labels, self.descriptions)
        ids, mask = description_batch(self.text, texts, self.config.labels.desc_max_length)
        net = self.net
        if append:
            net.add_labels(ids, mask)
        elif hasattr(net, "set_label_descriptions"):
            net.set_label_descriptions(ids, mask)
        else:
            net.desc_ids, net.desc_mask = ids, mask
        return texts

    @torch.no_grad()
    def predict_scores(
        self, docs: Sequence[Document] | Sequence[str], batch_size: int | None = None
    ) -> np.ndarray:
        """Probabilities ``[len(docs), len(label_space)]``; accepts Documents or raw strings."""
        if self.net is None or self.text is None:
            raise RuntimeError("predict_scores called before fit (or ModelBundle.load)")
        texts = [d if isinstance(d, str) else d.text for d in docs]
        out = np.zeros((len(texts), len(self.label_space)), dtype=np.float32)
        if not texts:
            return out
        self.net.eval()
        device = next(self.net.parameters()).device
        encoded = self.text.encode(texts)
        order = np.argsort([len(e.ids) for e in encoded])  # similar lengths together: less padding
        bs = batch_size or self.config.optim.batch_size
        for i in range(0, len(order), bs):
            idx = order[i : i + bs]
            ids, mask = self.text.batch([encoded[j] for j in idx])
            logits, _ = self.net(ids.to(device), mask.to(device))
            out[idx] = torch.sigmoid(logits.float()).cpu().numpy()
        return out

    def add_labels(self, labels: Sequence[Label]) -> None:
        """Add codes scored from their descriptions alone (no retraining); known labels are skipped."""
        new = [lab for lab in labels if lab not in self.label_space]
        if not new:
            return
        if self.net is None:
            raise RuntimeError("add_labels needs a fitted or loaded model")
        self.label_descriptions += self.set_descriptions(new, append=True)
        self.label_space = LabelSpace([*self.label_space.labels, *new])
