"""The reference a model version's traffic is compared with: its own calibration/validation charts.

The reference charts are coded by the real pipeline, as the service codes traffic, and profiled by
the same ``profile.note_profile``; the rows are saved as a Parquet table plus a small JSON card
(model version, data set names and sizes, whether embeddings were computed) under
``monitoring/reference/<model-version>/``. Only descriptors, codes and probabilities are kept.

For the default index coder the reference is the data chart routing was fitted and certified on
(``coding.chart_certify.default_splits``: realistic dev + CodiEsp dev, never a test split). Any
other documents can be given, e.g. a synthetic-trained model's synthetic validation split.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from medcoder.audit.events import utc_timestamp
from medcoder.coding.chart_certify import dated
from medcoder.coding.context import EncounterContext
from medcoder.coding.pipeline import CodingPipeline
from medcoder.data.records import Document
from medcoder.monitoring.profile import NoteEmbedder, note_profile, profile_columns
from medcoder.monitoring.records import ChartRow, code_key
from medcoder.monitoring.window import chart_frame

FRAME_FILE = "reference.parquet"
CARD_FILE = "reference.json"


def version_folder(model_version: str) -> str:
    """A model version (``index_coder:ab12...``) as a folder name (``index_coder_ab12...``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_version).strip("_") or "unknown"


def pipeline_version(pipeline: CodingPipeline) -> str:
    """The model version the service writes into every audit event for this pipeline."""
    v = pipeline.versions
    return f"{v.model_name}:{v.model_version}"


def code_documents(
    pipeline: CodingPipeline,
    documents: Sequence[Document],
    embedder: NoteEmbedder | None = None,
    batch_size: int = 16,
    when: str | None = None,
) -> list[ChartRow]:
    """Code ``documents`` and describe each as the service records it (route, codes, profile)."""
    version = pipeline_version(pipeline)
    when = when or utc_timestamp()
    rows: list[ChartRow] = []
    for i in range(0, len(documents), batch_size):
        batch = [dated(d) for d in documents[i : i + batch_size]]
        results = pipeline.code_many([(d, EncounterContext()) for d in batch])
        vectors = embedder.embed([d.text for d in batch]) if embedder is not None else None
        for j, (doc, result) in enumerate(zip(batch, results, strict=True)):
            profile = note_profile(doc, None if vectors is None else vectors[j])
            rows.append(
                ChartRow(
                    document_id=doc.id,
                    model_version=version,
                    occurred_at=when,
                    route=result.route.decision.value,
                    codes=tuple(code_key(s.system, s.code) for s in result.suggestions),
                    probabilities=tuple(round(float(s.probability), 6) for s in result.suggestions),
                    profile=profile_columns(profile.model_dump()),
                )
            )
    return rows


@dataclass(frozen=True)
class Reference:
    """A model version's reference charts as the table Evidently compares against."""

    model_version: str
    frame: pd.DataFrame
    card: dict[str, Any]

    @property
    def n_charts(self) -> int:
        return len(self.frame)


def build_reference(
    pipeline: CodingPipeline,
    sets: dict[str, Sequence[Document]],
    embedder: NoteEmbedder | None = None,
) -> Reference:
    """Code every document of ``sets`` (name -> documents) into one reference table."""
    rows: list[ChartRow] = []
    for docs in sets.values():
        rows.extend(code_documents(pipeline, docs, embedder))
    card = {
        "model_version": pipeline_version(pipeline),
        "sets": {name: len(docs) for name, docs in sets.items()},
        "n_charts": len(rows),
        "embeddings": embedder is not None,
        "built_at": utc_timestamp(dt.datetime.now(dt.UTC)),
    }
    return Reference(card["model_version"], chart_frame(rows), card)


def save_reference(reference: Reference, root: str | Path) -> Path:
    """Write ``<root>/<version folder>/reference.parquet`` and ``reference.json``; returns the folder."""
    folder = Path(root) / version_folder(reference.model_version)
    folder.mkdir(parents=True, exist_ok=True)
    reference.frame.to_parquet(folder / FRAME_FILE, index=False)
    (folder / CARD_FILE).write_text(json.dumps(reference.card, indent=2, sort_keys=True) + "\n")
    return folder


def load_reference(folder: str | Path) -> Reference:
    """Read a folder written by ``save_reference``; says which file is missing."""
    folder = Path(folder)
    for name in (FRAME_FILE, CARD_FILE):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name} is missing: build it with `medcoder monitor reference`")
    card = json.loads((folder / CARD_FILE).read_text())
    return Reference(card["model_version"], pd.read_parquet(folder / FRAME_FILE), card)
