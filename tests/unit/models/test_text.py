"""Tokenizers: character offsets point at the token's text; chunk layout is [CLS] piece [SEP]."""

from __future__ import annotations

import pytest

from medcoder.models.plm_icd import default_encoder_path
from medcoder.models.text import ChunkedText, Encoded, WordPieceText, train_wordpiece

TEXT = "Patient has Type 2 diabetes; HbA1c 8.1%. Denies chest pain."


def test_wordpiece_offsets_map_back_to_the_text():
    tok = train_wordpiece([TEXT, "chest pain and diabetes"] * 3, vocab_size=200, min_frequency=1)
    text = WordPieceText(tok, max_length=512)
    enc = text.encode(["  " + TEXT])[0]  # leading spaces shift every offset by 2
    pieces = tok.encode("  " + TEXT).tokens
    assert len(enc.ids) == len(enc.offsets) == len(pieces)
    for (start, end), piece in zip(enc.offsets, pieces, strict=True):
        assert ("  " + TEXT)[start:end].lower() == piece.removeprefix("##")
    assert enc.offsets[0] == (2, 9)  # "Patient"


def test_wordpiece_truncates_and_pads():
    tok = train_wordpiece([TEXT], vocab_size=200, min_frequency=1)
    text = WordPieceText(tok, max_length=3)
    ids, mask = text.batch(text.encode([TEXT, "pain"]))
    assert ids.shape == (2, 3)
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert ids[1, 1:].tolist() == [text.pad_id, text.pad_id] == [0, 0]


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(default_encoder_path(), local_files_only=True)


def test_chunked_layout_and_offsets(minilm_tokenizer):
    text = ChunkedText(minilm_tokenizer, chunk_size=4, max_chunks=10)  # 2 tokens per chunk
    enc = text.encode(["chest pain today"])[0]
    assert [TEXT_ for TEXT_ in ("chest", "pain", "today")] == [
        "chest pain today"[s:e] for s, e in enc.offsets
    ]
    ids, mask = text.batch([enc, Encoded([enc.ids[0]], [enc.offsets[0]])])
    cls, sep = minilm_tokenizer.cls_token_id, minilm_tokenizer.sep_token_id
    assert ids.shape == (2, 2, 4)
    assert ids[0, 0].tolist() == [cls, enc.ids[0], enc.ids[1], sep]
    assert ids[0, 1].tolist() == [cls, enc.ids[2], sep, 0]
    assert mask[1].tolist() == [[True, True, True, False], [False] * 4]


def test_chunked_max_chunks_limits_tokens(minilm_tokenizer):
    text = ChunkedText(minilm_tokenizer, chunk_size=4, max_chunks=2)
    enc = text.encode(["one two three four five six seven"])[0]
    assert len(enc.ids) == 4


_TRAIN_IN_CHILD = """
import json, sys
from medcoder.models.text import train_wordpiece
print(train_wordpiece(json.load(sys.stdin), vocab_size=120, min_frequency=1).to_str())
"""


def test_wordpiece_vocab_is_the_same_in_every_process():
    """The tokenizers trainer's hash maps are seeded per process, so only separate processes show
    whether the vocabulary (and so every token id the model learns) depends on them."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import medcoder.models.text as text_module

    src = str(Path(text_module.__file__).resolve().parents[2])
    corpus = [TEXT, "chest pain and diabetes", "hypertension, hyperlipidemia; metformin 500 mg"] * 2
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _TRAIN_IN_CHILD],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": src},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in ("0", "1")
    ]
    outs = [child.communicate(json.dumps(corpus), timeout=60)[0] for child in children]
    assert all(child.returncode == 0 for child in children)
    assert outs[0] == outs[1]
    vocab = json.loads(outs[0])["model"]["vocab"]
    assert vocab["[PAD]"] == 0 and "[UNK]" in vocab
