"""NeuralCoder: LAAT or PLM-ICD behind the ``Coder`` protocol (fit / predict_scores).

``build_coder("laat" | "plm_icd", config)`` is what benchmarks, tuning and the CLI call.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import EarlyStopping

from medcoder.data.records import Document
from medcoder.models.base import LabelSpace
from medcoder.models.config import TrainConfig, load_config
from medcoder.models.descriptions import all_icd10cm_descriptions
from medcoder.models.mentions import doc_sentences
from medcoder.models.neural import NeuralScorer, TextCodec, build_net
from medcoder.models.plm_icd import default_encoder_path
from medcoder.models.text import ChunkedText, WordPieceText, train_wordpiece
from medcoder.training.module import CoderModule, CodingDataModule, EpochTimer, KeepBest

log = logging.getLogger(__name__)


class NeuralCoder(NeuralScorer):
    """A label-wise attention coder; ``fit`` builds the tokenizer, net and label space and trains them."""

    def __init__(self, config: TrainConfig, descriptions: Mapping[str, str] | None = None) -> None:
        super().__init__(config, descriptions)
        self.fit_stats: dict[str, float] = {}
        self.dev_scores: np.ndarray | None = None

    def _make_text(self, train_texts: Sequence[str]) -> TextCodec:
        c = self.config
        if c.model == "laat":
            texts = [*train_texts, *self.descriptions.values()]
            if c.laat.tokenizer_corpus == "notes+icd10cm":
                texts += all_icd10cm_descriptions()
            tok = train_wordpiece(texts, c.laat.vocab_size, c.laat.min_frequency)
            return WordPieceText(tok, c.laat.max_length)
        from transformers import AutoTokenizer

        folder = c.plm.tokenizer_path or c.plm.encoder_path or default_encoder_path()
        hf_tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        return ChunkedText(hf_tok, c.plm.chunk_size, c.plm.max_chunks)

    # Coder protocol -------------------------------------------------------------------------
    def fit(
        self,
        train: Sequence[Document],
        dev: Sequence[Document],
        callbacks: Sequence[Any] = (),
        dev_split: Callable[[str], list[str]] | None = None,
    ) -> None:
        """Train on ``train``; ``dev`` drives early stopping and the choice of the best epoch.

        ``dev_split``: score each dev document by its best piece (e.g. sentence) instead of as a
        whole, for models trained on pieces.
        """
        c = self.config
        if not train:
            raise ValueError("fit needs at least one training document")
        L.seed_everything(c.seed, workers=True, verbose=False)
        if c.trainer.num_threads:
            torch.set_num_threads(c.trainer.num_threads)
        self.label_space = LabelSpace.from_documents(train, c.labels.systems, c.labels.min_count)
        if len(self.label_space) == 0:
            raise ValueError(f"no training labels in systems {[s.value for s in c.labels.systems]}")
        t0 = time.perf_counter()
        self.text = self._make_text([d.text for d in train])
        self.net = build_net(c, self.text, len(self.label_space))
        self.label_descriptions = self.set_descriptions(self.label_space.labels)
        dev = list(dev) or list(train[: max(1, len(train) // 10)])
        train_enc = self.text.encode([d.text for d in train])
        if hasattr(self.net, "set_token_idf"):
            df = torch.zeros(self.text.vocab_size)
            for e in train_enc:
                df[torch.tensor(sorted(set(e.ids)))] += 1
            self.net.set_token_idf(df, len(train_enc))
        dev_gold = self.label_space.encode(dev)
        dev_texts, dev_groups = [d.text for d in dev], None
        if dev_split is not None:
            dev_texts, dev_groups = doc_sentences(dev, dev_split)
        data = CodingDataModule(
            self.text,
            train_enc,
            self.label_space.encode(train),
            self.text.encode(dev_texts),
            dev_gold if dev_groups is None else np.zeros((len(dev_texts), dev_gold.shape[1]), dev_gold.dtype),
            c.optim.batch_size,
            c.seed,
            c.trainer.num_workers,
            c.optim.length_buckets,
        )
        gpu = c.trainer.accelerator == "gpu" or (
            c.trainer.accelerator == "auto" and torch.cuda.is_available()
        )
        precision = c.trainer.precision or ("bf16-mixed" if gpu else "32-true")
        keep, timer = KeepBest("dev_map"), EpochTimer()
        trainer = L.Trainer(
            accelerator="gpu" if gpu else "cpu",
            devices=1,
            precision=precision,
            max_epochs=c.optim.max_epochs,
            max_time=dt.timedelta(minutes=c.optim.max_minutes) if c.optim.max_minutes else None,
            gradient_clip_val=c.optim.grad_clip,
            fast_dev_run=c.trainer.fast_dev_run,
            callbacks=[
                EarlyStopping("dev_map", patience=c.optim.patience, mode="max"),
                keep,
                timer,
                *callbacks,
            ],
            enable_checkpointing=False,
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            deterministic=False,
        )
        module = CoderModule(
            self.net,
            c.optim.lr,
            c.optim.weight_decay,
            c.plm.encoder_lr if c.model == "plm_icd" else None,
            dev_groups,
            None if dev_groups is None else dev_gold,
        )
        trainer.fit(module, datamodule=data)
        self.net = module.net.cpu().eval()
        seconds = time.perf_counter() - t0
        full = [t for t in timer.seconds if t > 0] if not c.trainer.fast_dev_run else []
        self.fit_stats = {
            "fit_seconds": seconds,
            "epochs": float(len(timer.seconds)),
            "best_epoch": float(keep.best_epoch),
            "dev_map_label_space": float(keep.best) if keep.state is not None else float("nan"),
            "train_docs_per_s": len(train) / float(np.median(full)) if full else float("nan"),
        }
        log.info("fitted %s: %s", c.model, self.fit_stats)


def build_coder(
    name: str,
    config_path_or_dict: str | Path | dict[str, Any] | TrainConfig | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> NeuralCoder:
    """A NeuralCoder for ``name`` ("laat" or "plm_icd"); the config's ``model`` is set to ``name``."""
    if name not in ("laat", "plm_icd"):
        raise ValueError(f"unknown neural coder {name!r}; choose 'laat' or 'plm_icd'")
    return NeuralCoder(load_config(config_path_or_dict, model=name), descriptions)
