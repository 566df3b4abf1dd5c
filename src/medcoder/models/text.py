"""Turning text into model inputs: a WordPiece tokenizer trained on the corpus (LAAT) and the
pretrained encoder's own tokenizer with chunking (PLM-ICD). Both keep character offsets into the
original text so attention can be mapped back to evidence spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

PAD, UNK = "[PAD]", "[UNK]"


@dataclass(frozen=True, slots=True)
class Encoded:
    """Token ids of one text and each token's ``(start, end)`` character offsets in that text."""

    ids: list[int]
    offsets: list[tuple[int, int]]


def _wordpiece(vocab: dict[str, int] | None = None):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    tok = Tokenizer(models.WordPiece(vocab, unk_token=UNK) if vocab else models.WordPiece(unk_token=UNK))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True, clean_text=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    return tok


def train_wordpiece(texts: Sequence[str], vocab_size: int = 12000, min_frequency: int = 2):
    """A lower-casing WordPiece tokenizer (``tokenizers.Tokenizer``) learnt from ``texts``; [PAD] = 0.

    The same texts give the same vocabulary and ids in every process. The ``tokenizers`` trainer
    numbers the ``##`` continuation characters in hash-map order, and those ids break ties between
    equally frequent merges (huggingface/tokenizers#1794). So a first pass without merges collects
    them, the real pass gets them in sorted order as special tokens, and the returned tokenizer is
    rebuilt from the learnt vocabulary so that only [PAD] and [UNK] stay special.
    """
    from tokenizers import trainers

    texts = list(texts)
    probe = _wordpiece()
    probe.train_from_iterator(
        texts, trainer=trainers.WordPieceTrainer(vocab_size=0, special_tokens=[PAD, UNK], show_progress=False)
    )
    continuation = sorted(t for t in probe.get_vocab() if t.startswith("##"))
    tok = _wordpiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=[PAD, UNK, *continuation],
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    out = _wordpiece(tok.get_vocab())
    out.add_special_tokens([PAD, UNK])
    return out


class WordPieceText:
    """Flat token sequences for LAAT, truncated to ``max_length`` tokens."""

    kind = "wordpiece"

    def __init__(self, tokenizer, max_length: int) -> None:
        self.tok = tokenizer
        self.max_length = max_length
        self.pad_id = tokenizer.token_to_id(PAD)

    @property
    def vocab_size(self) -> int:
        return self.tok.get_vocab_size()

    def encode(self, texts: Sequence[str], max_length: int | None = None) -> list[Encoded]:
        limit = max_length or self.max_length
        out = []
        for enc in self.tok.encode_batch(list(texts)):
            ids, offs = enc.ids[:limit] or [self.tok.token_to_id(UNK)], enc.offsets[:limit] or [(0, 0)]
            out.append(Encoded(list(ids), [tuple(o) for o in offs]))
        return out

    def batch(self, encoded: Sequence[Encoded]) -> tuple[Tensor, Tensor]:
        """Padded ids and mask, both [batch, max_len]."""
        width = max(len(e.ids) for e in encoded)
        ids = torch.full((len(encoded), width), self.pad_id, dtype=torch.long)
        for i, e in enumerate(encoded):
            ids[i, : len(e.ids)] = torch.tensor(e.ids)
        mask = torch.arange(width)[None, :] < torch.tensor([len(e.ids) for e in encoded])[:, None]
        return ids, mask

    def save(self, folder: Path) -> None:
        self.tok.save(str(folder / "tokenizer.json"))

    @classmethod
    def load(cls, folder: Path, max_length: int) -> WordPieceText:
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_file(str(folder / "tokenizer.json")), max_length)


class ChunkedText:
    """Chunks of ``chunk_size`` tokens ([CLS] piece [SEP]) for PLM-ICD, at most ``max_chunks`` per document."""

    kind = "chunked"

    def __init__(self, hf_tokenizer, chunk_size: int, max_chunks: int) -> None:
        self.tok = hf_tokenizer
        self.chunk_size = chunk_size
        self.max_chunks = max_chunks
        self.pad_id = hf_tokenizer.pad_token_id or 0

    def encode(self, texts: Sequence[str], max_length: int | None = None) -> list[Encoded]:
        """Token ids without special tokens; chunking happens in ``batch``."""
        limit = max_length or (self.chunk_size - 2) * self.max_chunks
        enc = self.tok(
            list(texts),
            add_special_tokens=False,
            return_offsets_mapping=True,
            truncation=False,
            verbose=False,
        )
        return [
            Encoded(list(ids[:limit]), [tuple(o) for o in offs[:limit]])
            for ids, offs in zip(enc["input_ids"], enc["offset_mapping"], strict=True)
        ]

    def batch(self, encoded: Sequence[Encoded]) -> tuple[Tensor, Tensor]:
        """Ids and mask [batch, n_chunks, chunk_size]; each chunk is [CLS] up to chunk_size - 2 tokens [SEP]."""
        step = self.chunk_size - 2
        n_chunks = max(1, max((len(e.ids) + step - 1) // step for e in encoded))
        ids = torch.full((len(encoded), n_chunks, self.chunk_size), self.pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids, dtype=torch.bool)
        cls_id, sep_id = self.tok.cls_token_id, self.tok.sep_token_id
        for i, e in enumerate(encoded):
            for c in range(n_chunks):
                piece = e.ids[c * step : (c + 1) * step]
                if not piece and c > 0:
                    break
                row = [cls_id, *piece, sep_id]
                ids[i, c, : len(row)] = torch.tensor(row)
                mask[i, c, : len(row)] = True
        return ids, mask

    def save(self, folder: Path) -> None:
        self.tok.save_pretrained(str(folder / "tokenizer"))

    @classmethod
    def load(cls, folder: Path, chunk_size: int, max_chunks: int) -> ChunkedText:
        from transformers import AutoTokenizer

        return cls(AutoTokenizer.from_pretrained(str(folder), local_files_only=True), chunk_size, max_chunks)


def description_batch(
    text: WordPieceText | ChunkedText, descriptions: Sequence[str], max_length: int
) -> tuple[Tensor, Tensor]:
    """Ids and mask [n_labels, max_length] for label descriptions (one chunk each for PLM-ICD)."""
    if isinstance(text, ChunkedText):
        enc = text.tok(
            list(descriptions),
            padding="max_length",
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        return enc["input_ids"], enc["attention_mask"].bool()
    return text.batch(text.encode(descriptions, max_length=max_length))
