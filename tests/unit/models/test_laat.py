"""LAAT and PLM-ICD nets: shapes, padding invariance, adding labels without changing old scores."""

from __future__ import annotations

import torch

from conftest import tiny_bert_config
from medcoder.models.laat import LAAT
from medcoder.models.plm_icd import PLMICD, load_encoder

TINY_BERT = tiny_bert_config()


def _laat() -> LAAT:
    torch.manual_seed(0)
    desc = torch.tensor([[5, 6, 0], [7, 8, 9]])
    return LAAT(30, desc, desc > 0, emb_dim=8, hidden=6, proj=5, dropout=0.0).eval()


def test_laat_shapes_and_padding_invariance():
    net = _laat()
    ids = torch.tensor([[3, 4, 5, 6]])
    logits, attn = net(ids, torch.ones(1, 4, dtype=torch.bool))
    assert logits.shape == (1, 2) and attn.shape == (1, 2, 4)
    padded = torch.tensor([[3, 4, 5, 6, 0, 0, 0]])
    logits_p, attn_p = net(padded, padded > 0)
    assert torch.allclose(logits, logits_p, atol=1e-5)
    assert torch.equal(attn_p[0, :, 4:], torch.zeros(2, 3))


def test_laat_add_labels_keeps_old_scores():
    net = _laat()
    ids = torch.tensor([[3, 4, 5, 6, 10]])
    mask = torch.ones_like(ids, dtype=torch.bool)
    before = net(ids, mask)[0]
    new = torch.tensor([[10, 11, 12, 13]])  # longer description than the existing ones
    net.add_labels(new, new > 0)
    after = net(ids, mask)[0]
    assert after.shape == (1, 3)
    assert torch.allclose(before, after[:, :2], atol=1e-6)


def test_plm_icd_chunks_and_empty_chunks(tmp_path):
    torch.manual_seed(0)
    load_encoder(config=TINY_BERT).save_pretrained(tmp_path)  # a local checkpoint folder
    net = PLMICD(load_encoder(tmp_path), n_labels=3, proj=8, dropout=0.0).eval()
    desc = torch.tensor([[2, 5, 3, 0], [2, 6, 7, 3], [2, 8, 3, 0]])
    net.set_label_descriptions(desc, desc > 0)
    ids = torch.tensor([[[2, 11, 12, 3], [2, 13, 3, 0]]])  # [batch=1, chunks=2, chunk_size=4]
    logits, attn = net(ids, ids > 0)
    assert logits.shape == (1, 3) and attn.shape == (1, 3, 8)
    extra = torch.cat([ids, torch.zeros(1, 1, 4, dtype=torch.long)], dim=1)  # an all-padding chunk
    logits_e, _ = net(extra, extra > 0)
    assert torch.allclose(logits, logits_e, atol=1e-5)
    net.add_labels(desc[:1], desc[:1] > 0)
    assert net(ids, ids > 0)[0].shape == (1, 4)


def test_pool_tokens_hand_computed():
    from medcoder.models.laat import pool_tokens

    h = torch.tensor([[[1.0], [3.0], [5.0], [7.0], [9.0]]])  # [1, 5, 1]
    mask = torch.tensor([[True, True, True, False, False]])
    pooled, pmask = pool_tokens(h, mask, 2)
    assert pooled.squeeze(-1).tolist() == [[2.0, 5.0, 0.0]]  # (1+3)/2, 5 alone (7 is padding), empty window
    assert pmask.tolist() == [[True, True, False]]
