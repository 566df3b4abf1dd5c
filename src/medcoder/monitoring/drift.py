"""Input and prediction drift of a window against the reference, as one Evidently 0.7 report.

Every column gets an explicit test so the verdict does not change with sample size (Evidently's
defaults switch from K-S / chi-square to Wasserstein / Jensen-Shannon above 1,000 rows):

- note descriptors and prediction numbers: two-sample Kolmogorov-Smirnov, drifted if p < ``drift_p_value``;
- categories (setting, document type, source, route, first code category): chi-square, same threshold;
- the 16 embedding components together: Evidently's classifier method (ROC AUC of a model telling
  window from reference rows on a held-out half; 0.5 = indistinguishable), on at most
  ``embedding_rows`` seeded rows per side so a large window costs the same as a small one. A held-out
  AUC is noisy on small windows (its standard deviation under no drift is about 0.075 for 20 window
  and 60 reference test rows), so ``embedding_p`` also gives its one-sided p-value under "no drift"
  from the Mann-Whitney normal approximation, ``1 - Phi((AUC - 0.5) / sqrt((n1 + n2 + 1) / (12 n1 n2)))``
  with n1, n2 the expected held-out rows of each side; a breach needs both a large AUC and a small p;
- the code distribution: a chi-square test over the reference's most frequent codes plus "other",
  counting one per chart and code (computed here, not by Evidently; codes per chart are a list).

A category column with one value on both sides gets p = 1 (Evidently's chi-square returns NaN or
0 for it). A column the window never recorded (all missing: events written before profiles existed) is left out
and named in ``skipped``. Above a few thousand charts K-S flags tiny differences; the breach rules
(``report``) look at the share of drifted columns, not at one p-value.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.core.report import Snapshot
from evidently.legacy.metrics.data_drift.embedding_drift_methods import model as classifier_drift
from evidently.metrics import DriftedColumnsCount, EmbeddingsDrift, ValueDrift
from scipy.stats import chi2_contingency, norm

from medcoder.monitoring.config import MonitorConfig
from medcoder.monitoring.profile import CATEGORICAL_COLUMNS, EMBEDDING_COLUMNS, NUMERIC_COLUMNS
from medcoder.monitoring.window import PREDICTION_CATEGORICAL, PREDICTION_NUMERIC, frame_code_counts

EMBEDDINGS = "minilm16"
SEED = 0


@dataclass(frozen=True)
class CodeDrift:
    """Chi-square test of the code distribution; ``changes`` are the largest share moves (code, ref, cur)."""

    p_value: float
    n_reference: int
    n_current: int
    changes: tuple[tuple[str, float, float], ...]


@dataclass(frozen=True)
class DriftResult:
    """Per-column p-values, embedding AUC, code drift, and the Evidently snapshot they came from."""

    input_p: dict[str, float]
    prediction_p: dict[str, float]
    embedding_auc: float | None
    embedding_p: float | None
    codes: CodeDrift
    skipped: tuple[str, ...]
    snapshot: Snapshot = field(repr=False)
    embedding_snapshot: Snapshot | None = field(default=None, repr=False)

    def drifted(self, p_values: dict[str, float], alpha: float) -> list[str]:
        return sorted(c for c, p in p_values.items() if p < alpha)


def _present(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c in frame and frame[c].notna().any()]


def code_drift(reference: pd.DataFrame, current: pd.DataFrame, top: int) -> CodeDrift:
    """Chi-square over the reference's ``top`` codes + other (charts per code, both frames)."""
    ref, cur = frame_code_counts(reference), frame_code_counts(current)
    keep = [c for c, _ in ref.most_common(top)]
    if not keep or not cur:
        return CodeDrift(float("nan"), sum(ref.values()), sum(cur.values()), ())

    def row(counts: Counter[str]) -> list[int]:
        return [counts[c] for c in keep] + [sum(counts.values()) - sum(counts[c] for c in keep)]

    table = np.array([row(ref), row(cur)], dtype=np.float64)
    table = table[:, table.sum(axis=0) > 0]
    p = float(chi2_contingency(table)[1]) if table.shape[1] > 1 else 1.0
    n_ref, n_cur = max(len(reference), 1), max(len(current), 1)
    moves = sorted(set(ref) | set(cur), key=lambda c: -abs(cur[c] / n_cur - ref[c] / n_ref))[:10]
    changes = tuple((c, round(ref[c] / n_ref, 4), round(cur[c] / n_cur, 4)) for c in moves)
    return CodeDrift(p, sum(ref.values()), sum(cur.values()), changes)


def _sample(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    return frame if len(frame) <= n else frame.sample(n=n, random_state=SEED)


def drift_report(reference: pd.DataFrame, current: pd.DataFrame, config: MonitorConfig) -> DriftResult:
    """Run the Evidently report of ``current`` (window charts) against ``reference`` (``chart_frame`` tables)."""
    alpha, n_emb = config.drift_p_value, config.input.embedding_rows
    num_in = [c for c in _present(current, NUMERIC_COLUMNS) if c in _present(reference, NUMERIC_COLUMNS)]
    cat_in = list(CATEGORICAL_COLUMNS)
    num_out = [
        c for c in _present(current, PREDICTION_NUMERIC) if c in _present(reference, PREDICTION_NUMERIC)
    ]
    cat_out = list(PREDICTION_CATEGORICAL)
    emb = len(_present(current, EMBEDDING_COLUMNS)) == len(EMBEDDING_COLUMNS) and len(
        _present(reference, EMBEDDING_COLUMNS)
    ) == len(EMBEDDING_COLUMNS)
    skipped = tuple(c for c in (*NUMERIC_COLUMNS, *PREDICTION_NUMERIC) if c not in num_in + num_out)
    if not emb:
        skipped += (EMBEDDINGS,)
    metrics: list = [ValueDrift(column=c, method="ks", threshold=alpha) for c in num_in + num_out]
    metrics += [ValueDrift(column=c, method="chisquare", threshold=alpha) for c in cat_in + cat_out]
    metrics.append(DriftedColumnsCount(columns=num_in + cat_in, num_method="ks", cat_method="chisquare",
                                       threshold=alpha, drift_share=config.input.max_drifted_share))  # fmt: skip
    numeric = num_in + num_out + (list(EMBEDDING_COLUMNS) if emb else [])
    definition = DataDefinition(
        numerical_columns=numeric,
        categorical_columns=cat_in + cat_out,
        embeddings={EMBEDDINGS: list(EMBEDDING_COLUMNS)} if emb else None,
    )
    columns = numeric + cat_in + cat_out
    ref, cur = reference[columns], current[columns]
    snapshot = Report(metrics).run(
        current_data=Dataset.from_pandas(cur, data_definition=definition),
        reference_data=Dataset.from_pandas(ref, data_definition=definition),
    )
    values = [m["value"] for m in snapshot.dict()["metrics"]]
    p = dict(zip(num_in + num_out + cat_in + cat_out, map(float, values), strict=False))
    for c in (
        cat_in + cat_out
    ):  # one category on both sides: nothing can have drifted (Evidently gives NaN or 0)
        if len(set(ref[c].dropna()) | set(cur[c].dropna())) <= 1:
            p[c] = 1.0
    auc, emb_snapshot = embedding_auc(reference, current, config) if emb else (None, None)
    return DriftResult(
        input_p={c: p[c] for c in num_in + cat_in},
        prediction_p={c: p[c] for c in num_out + cat_out},
        embedding_auc=auc,
        embedding_p=None
        if auc is None
        else auc_p_value(auc, min(len(current), n_emb) / 2, min(len(reference), n_emb) / 2),
        codes=code_drift(reference, current, config.prediction.top_codes),
        skipped=skipped,
        snapshot=snapshot,
        embedding_snapshot=emb_snapshot,
    )


def auc_p_value(auc: float, n1: float, n2: float) -> float:
    """One-sided p-value of a held-out ROC AUC under "the two samples are alike" (normal approximation)."""
    if n1 < 1 or n2 < 1:
        return 1.0
    sd = math.sqrt((n1 + n2 + 1) / (12 * n1 * n2))
    return float(norm.sf((auc - 0.5) / sd))


def embedding_auc(
    reference: pd.DataFrame, current: pd.DataFrame, config: MonitorConfig
) -> tuple[float, Snapshot]:
    """Evidently's classifier embedding drift (ROC AUC) on seeded samples of both sides, and its snapshot."""
    n = config.input.embedding_rows
    ref, cur = _sample(reference, n), _sample(current, n)
    definition = DataDefinition(
        numerical_columns=list(EMBEDDING_COLUMNS), embeddings={EMBEDDINGS: list(EMBEDDING_COLUMNS)}
    )
    method = classifier_drift(threshold=config.input.max_embedding_auc)
    snap = Report([EmbeddingsDrift(embeddings_name=EMBEDDINGS, drift_method=method)]).run(
        current_data=Dataset.from_pandas(cur[list(EMBEDDING_COLUMNS)], data_definition=definition),
        reference_data=Dataset.from_pandas(ref[list(EMBEDDING_COLUMNS)], data_definition=definition),
    )
    return float(snap.dict()["metrics"][0]["value"]), snap
