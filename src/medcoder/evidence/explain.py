"""Evidence for one document: token attributions of a coder -> ranked character spans per code.

``explain_text`` runs one ``Explainer`` on a ``NeuralCoder`` (LAAT or PLM-ICD, fitted or loaded
from a model directory) and returns, per requested label column, the token scores and ranked
``Span``s in the original text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from medcoder.data.records import Span
from medcoder.evidence.methods import ModelView, get_explainer, view_for
from medcoder.evidence.offsets import positions_to_token_scores
from medcoder.evidence.spans import SpanConfig, rank_spans


@dataclass(frozen=True)
class CodeEvidence:
    """Evidence for one label column: ranked spans and the raw token scores they came from."""

    label_index: int
    label_key: str
    method: str
    spans: tuple[Span, ...]
    token_scores: np.ndarray  # [n_tokens]
    offsets: tuple[tuple[int, int], ...]


def coder_view(coder) -> ModelView:
    """The explainer view of a ``NeuralCoder``'s net (set to eval mode)."""
    if coder.net is None or coder.text is None:
        raise RuntimeError("evidence needs a fitted or loaded coder")
    coder.net.eval()
    return view_for(coder.net, coder.text.pad_id)


def _chunk_size(coder) -> int | None:
    return getattr(coder.text, "chunk_size", None) if getattr(coder.text, "kind", "") == "chunked" else None


def token_attributions(
    coder, text: str, targets: Sequence[int], method: str, view: ModelView | None = None
) -> tuple[np.ndarray, tuple[tuple[int, int], ...]]:
    """Scores ``[len(targets), n_tokens]`` and the tokens' character offsets for one text."""
    view = view or coder_view(coder)
    enc = coder.text.encode([text])[0]
    ids, mask = coder.text.batch([enc])
    device = next(coder.net.parameters()).device
    explain = get_explainer(method)
    with torch.enable_grad():
        pos = explain(view, ids.to(device), mask.to(device), list(targets)).detach().cpu().numpy()
    chunk = _chunk_size(coder)
    scores = (
        np.stack([positions_to_token_scores(row, len(enc.ids), chunk) for row in pos])
        if len(pos)
        else np.zeros((0, len(enc.ids)))
    )
    return scores, tuple(enc.offsets)


def explain_text(
    coder, text: str, targets: Sequence[int], method: str = "attingrad", config: SpanConfig | None = None
) -> list[CodeEvidence]:
    """Ranked spans per target label column for ``text`` with explainer ``method``."""
    scores, offsets = token_attributions(coder, text, targets, method)
    keys = coder.label_space.keys()
    return [
        CodeEvidence(
            int(j), keys[j], method, tuple(rank_spans(text, offsets, scores[k], config)), scores[k], offsets
        )
        for k, j in enumerate(targets)
    ]
