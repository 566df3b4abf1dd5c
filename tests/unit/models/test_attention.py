"""Label attention: hand-computed softmax values and numerical stability (huge logits, masks, bf16)."""

from __future__ import annotations

import math

import torch

from medcoder.models.attention import LabelAttention, masked_softmax


def test_masked_softmax_matches_hand_computed_values():
    scores = torch.tensor([[0.0, math.log(3.0), 5.0]])
    mask = torch.tensor([[True, True, False]])
    w = masked_softmax(scores, mask)
    assert torch.allclose(w, torch.tensor([[0.25, 0.75, 0.0]]), atol=1e-6)


def test_huge_logits_do_not_overflow():
    scores = torch.tensor([[1e30, 1e30, -1e30], [3e38, 0.0, 0.0]])
    w = masked_softmax(scores, torch.ones(2, 3, dtype=torch.bool))
    assert torch.isfinite(w).all()
    assert torch.allclose(w, torch.tensor([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]))


def test_all_masked_row_gives_zeros_not_nan():
    w = masked_softmax(torch.randn(2, 4), torch.tensor([[False] * 4, [True, False, False, False]]))
    assert torch.equal(w[0], torch.zeros(4))
    assert torch.equal(w[1], torch.tensor([1.0, 0.0, 0.0, 0.0]))


def test_label_attention_bf16_huge_inputs_and_empty_document_stay_finite():
    torch.manual_seed(0)
    att = LabelAttention(hidden=8, proj=4)
    h = (torch.randn(2, 5, 8) * 1e4).requires_grad_()
    mask = torch.tensor([[True] * 5, [False] * 5])  # second document is all padding
    queries = torch.randn(3, 4) * 1e4
    with torch.autocast("cpu", dtype=torch.bfloat16):  # what Lightning's bf16-mixed does
        logits, attn = att(h, mask, queries, torch.randn(3, 8), torch.zeros(3))
    assert logits.shape == (2, 3) and attn.shape == (2, 3, 5)
    assert attn.dtype == torch.float32 and torch.isfinite(logits).all()
    # float32 scores even under autocast: one strongly preferred token gets essentially all the weight
    assert float(attn[0].max(-1).values.min()) > 0.99
    assert torch.allclose(attn[0].sum(-1), torch.ones(3))
    assert torch.equal(attn[1], torch.zeros(3, 5))
    assert torch.equal(logits[1], torch.zeros(3))  # empty document: only the bias remains
    logits.sum().backward()
    assert torch.isfinite(h.grad).all()
