"""PLM-ICD through the training stack with a tiny random BERT saved to a local folder."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import tiny_bert_config
from medcoder.models.bundle import ModelBundle, save_bundle
from medcoder.models.plm_icd import default_encoder_path
from medcoder.training.coder import build_coder

TINY_BERT = tiny_bert_config(vocab_size=30522, max_positions=40)


@pytest.mark.slow
def test_plm_icd_fast_dev_run_and_round_trip(tiny_train, tiny_dev, tiny_descriptions, tmp_path):
    from medcoder.models.plm_icd import load_encoder

    folder = tmp_path / "tiny_bert"
    load_encoder(config=TINY_BERT).save_pretrained(folder)
    config = {
        "plm": {
            "encoder_path": str(folder),
            "tokenizer_path": default_encoder_path(),
            "chunk_size": 16,
            "max_chunks": 3,
            "proj": 8,
        },
        "optim": {"batch_size": 4},
        "trainer": {"fast_dev_run": True, "num_threads": 1},
    }
    coder = build_coder("plm_icd", config, descriptions=tiny_descriptions)
    coder.fit(tiny_train, tiny_dev)
    scores = coder.predict_scores(tiny_dev[:5])
    assert scores.shape == (5, 6) and np.isfinite(scores).all()
    save_bundle(coder, tmp_path / "m")
    loaded = ModelBundle.load(tmp_path / "m")  # rebuilt from encoder_config.json, not from the folder
    np.testing.assert_allclose(loaded.predict_scores(tiny_dev[:5]), scores, atol=1e-5)


@pytest.mark.slow
def test_frozen_encoder_is_unchanged_and_cached(tiny_train, tiny_dev, tiny_descriptions, tmp_path):
    import torch

    from medcoder.models.plm_icd import load_encoder

    folder = tmp_path / "tiny_bert"
    load_encoder(config=TINY_BERT).save_pretrained(folder)
    config = {
        "plm": {
            "encoder_path": str(folder),
            "tokenizer_path": default_encoder_path(),
            "chunk_size": 16,
            "max_chunks": 2,
            "proj": 8,
            "freeze_encoder": True,
        },
        "optim": {"batch_size": 8, "max_epochs": 2, "lr": 0.01},
        "trainer": {"num_threads": 1},
    }
    coder = build_coder("plm_icd", config, descriptions=tiny_descriptions)
    coder.fit(tiny_train, tiny_dev)
    n_cached = len(coder.net._cache)
    assert n_cached > 0
    coder.predict_scores(tiny_dev)
    assert len(coder.net._cache) == n_cached  # dev chunks were already cached during validation
    original = load_encoder(folder).state_dict()
    assert all(torch.equal(original[k], v) for k, v in coder.net.encoder.state_dict().items())


def test_padding_columns_are_not_encoded_and_do_not_change_scores() -> None:
    import torch

    from medcoder.models.plm_icd import PLMICD, load_encoder

    torch.manual_seed(0)
    encoder = load_encoder(config=tiny_bert_config(vocab_size=50, max_positions=40)).eval()
    seen: list[int] = []
    encoder.register_forward_pre_hook(
        lambda _m, _a, kw: seen.append(kw["input_ids"].shape[1]), with_kwargs=True
    )
    net = PLMICD(encoder, n_labels=3, proj=8, dropout=0.0).eval()
    net.set_label_descriptions(torch.randint(1, 50, (3, 4)), torch.ones(3, 4, dtype=torch.bool))
    # two documents of one chunk: 5 and 3 real tokens, padded to a chunk of 16
    wide = torch.zeros((2, 1, 16), dtype=torch.long)
    wide[0, 0, :5], wide[1, 0, :3] = torch.tensor([2, 7, 8, 9, 3]), torch.tensor([2, 11, 3])
    mask = wide > 0
    seen.clear()
    with torch.no_grad():
        logits_wide, _ = net(wide, mask)
        logits_narrow, _ = net(wide[:, :, :5], mask[:, :, :5])
    assert seen == [5, 5]  # the 11 padding columns never reach the encoder
    torch.testing.assert_close(logits_wide, logits_narrow)
