"""Explainers on small real LAAT / PLM-ICD nets: attention, AttInGrad, integrated gradients."""

from __future__ import annotations

import pytest
import torch

from conftest import tiny_bert_config
from medcoder.evidence.methods import (
    attention_explainer,
    attingrad_explainer,
    get_explainer,
    make_integrated_gradients,
    view_for,
)
from medcoder.models.laat import LAAT


@pytest.fixture(scope="module")
def laat():
    torch.manual_seed(0)
    desc = torch.randint(2, 40, (5, 4))
    net = LAAT(
        40, desc, torch.ones_like(desc, dtype=torch.bool), emb_dim=8, hidden=8, proj=8, dropout=0.0
    ).eval()
    ids = torch.randint(2, 40, (1, 12))
    ids[0, 10:] = 0  # padding
    mask = ids != 0
    return net, ids, mask


def test_view_reproduces_forward(laat):
    net, ids, mask = laat
    view = view_for(net)
    with torch.no_grad():
        a, b = net(ids, mask), view.forward_ids(ids, mask)
    assert torch.allclose(a[0], b[0]) and torch.allclose(a[1], b[1])


def test_attention_is_the_label_attention(laat):
    net, ids, mask = laat
    with torch.no_grad():
        attn = net(ids, mask)[1]
    got = attention_explainer(view_for(net), ids, mask, [3, 1])
    assert torch.allclose(got, attn[0, [3, 1]])
    assert torch.all(got[:, 10:] == 0) and torch.allclose(got.sum(1), torch.ones(2))


def test_attingrad_is_attention_times_input_x_gradient(laat):
    net, ids, mask = laat
    view = view_for(net)
    emb = net.embedding(ids).detach()
    jac = torch.autograd.functional.jacobian(
        lambda e: view.forward_embeds(e, mask)[0][0, 2], emb
    )  # [1, T, D]
    with torch.no_grad():
        attn = net(ids, mask)[1][0, 2]
    expected = attn * (emb * jac)[0].norm(dim=-1) * mask[0]
    assert torch.allclose(attingrad_explainer(view, ids, mask, [2])[0], expected, atol=1e-6)


def test_integrated_gradients_completeness(laat):
    net, ids, mask = laat
    view = view_for(net)
    attr = make_integrated_gradients(n_steps=300)(view, ids, mask, [4])[0]
    emb = view.embedding(ids)
    with torch.no_grad():
        full = net(ids, mask)[0][0, 4]
        near_base = view.forward_embeds(1e-4 * emb, mask)[0][0, 4]
        at_base = net(torch.zeros_like(ids), mask)[0][0, 4]
    # IG sums to F(x) - F(0+): LAAT's description-match channel uses cosine similarity, which is
    # scale-invariant and jumps at the all-zero (padding) baseline, so F(0) itself is not reached.
    assert float(attr.sum()) == pytest.approx(float(full - near_base), rel=0.02, abs=1e-3)
    assert abs(float(near_base - at_base)) > 0.1


def test_plm_icd_view_matches_forward():
    from medcoder.models.plm_icd import PLMICD, load_encoder

    torch.manual_seed(0)
    enc = load_encoder(config=tiny_bert_config(max_positions=16))
    net = PLMICD(enc, n_labels=3, proj=8, dropout=0.0).eval()
    ids = torch.randint(3, 50, (1, 2, 6))
    mask = torch.ones_like(ids, dtype=torch.bool)
    mask[0, 1, 4:] = False
    view = view_for(net)
    with torch.no_grad():
        a, b = net(ids, mask), view.forward_ids(ids, mask)
    assert torch.allclose(a[0], b[0], atol=1e-5) and torch.allclose(a[1], b[1], atol=1e-5)
    assert attingrad_explainer(view, ids, mask, [0, 2]).shape == (2, 12)


def test_unknown_explainer_named():
    with pytest.raises(ValueError, match="attingrad"):
        get_explainer("lime")


def test_pooled_laat_attention_spreads_window_weight_to_its_tokens():
    torch.manual_seed(1)
    desc = torch.randint(2, 40, (3, 4))
    net = LAAT(40, desc, torch.ones_like(desc, dtype=torch.bool), 8, 8, 8, 0.0, pool=3).eval()
    ids = torch.randint(2, 40, (1, 8))  # 8 tokens -> windows [0-2], [3-5], [6-7]
    mask = torch.ones_like(ids, dtype=torch.bool)
    view = view_for(net)
    with torch.no_grad():
        logits, window_attn = net(ids, mask)
        v_logits, v_attn = view.forward_ids(ids, mask)
    assert torch.allclose(logits, v_logits)
    assert window_attn.shape[-1] == 3 and v_attn.shape[-1] == 8
    w = window_attn[0, 1]
    assert torch.allclose(v_attn[0, 1], torch.stack([w[0]] * 3 + [w[1]] * 3 + [w[2]] * 2))
