"""Lightning wrappers: a DataModule over tokenised documents and a LightningModule over a coder net.

The nets (``medcoder.models``) stay plain ``nn.Module``s; this file holds the loss, the optimiser,
the dev metric used for early stopping and model selection, and batching.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Sequence

import lightning as L
import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, Sampler

from medcoder.models.text import ChunkedText, Encoded, WordPieceText

log = logging.getLogger(__name__)


def doc_average_precision(scores: np.ndarray, gold: np.ndarray) -> float:
    """Mean over documents with >= 1 gold label of the average precision of the ranked labels.

    Threshold-free, so it is the early-stopping signal; the official CodiEsp MAP lives in
    ``medcoder.evaluation``.
    """
    aps = []
    for s, g in zip(scores, gold, strict=True):
        n_pos = g.sum()
        if n_pos == 0:
            continue
        order = np.argsort(-s, kind="stable")
        hits = g[order] > 0
        ranks = np.nonzero(hits)[0] + 1
        aps.append(float((np.arange(1, len(ranks) + 1) / ranks).sum() / n_pos))
    return float(np.mean(aps)) if aps else 0.0


class _Rows(Dataset):
    def __init__(self, encoded: Sequence[Encoded], gold: np.ndarray | None) -> None:
        self.encoded, self.gold = list(encoded), gold

    def __len__(self) -> int:
        return len(self.encoded)

    def __getitem__(self, i: int):
        return i


class LengthBucketSampler(Sampler[list[int]]):
    """Batches of examples of similar length, in a fresh random order every epoch.

    Each epoch shuffles the examples, cuts them into pools of ``pool_batches`` batches, sorts each
    pool by length and cuts it into batches, then shuffles the batches. Every example appears once
    per epoch; the order depends only on ``seed`` and the epoch number.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, pool_batches: int = 50) -> None:
        if batch_size < 1 or pool_batches < 1:
            raise ValueError(f"batch_size and pool_batches must be >= 1, got {batch_size}, {pool_batches}")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.batch_size, self.seed, self.pool_batches = batch_size, seed, pool_batches
        self.epoch = 0

    def __len__(self) -> int:
        pool = self.batch_size * self.pool_batches
        n = len(self.lengths)
        full, rest = divmod(n, pool)
        return full * self.pool_batches + -(-rest // self.batch_size)

    def __iter__(self):
        rng = np.random.default_rng((self.seed, self.epoch))
        self.epoch += 1
        order = rng.permutation(len(self.lengths))
        pool = self.batch_size * self.pool_batches
        batches: list[list[int]] = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [
                chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)
            ]
        for b in rng.permutation(len(batches)):
            yield batches[b]


class CodingDataModule(L.LightningDataModule):
    """Tokenised train/dev documents with multi-hot gold ``[n_docs, n_labels]``."""

    def __init__(
        self,
        text: WordPieceText | ChunkedText,
        train: Sequence[Encoded],
        train_gold: np.ndarray,
        dev: Sequence[Encoded],
        dev_gold: np.ndarray,
        batch_size: int,
        seed: int,
        num_workers: int = 0,
        length_buckets: bool = False,
    ) -> None:
        super().__init__()
        self.text, self.batch_size, self.seed, self.num_workers = text, batch_size, seed, num_workers
        self.train_rows, self.dev_rows = _Rows(train, train_gold), _Rows(dev, dev_gold)
        self.buckets = (
            LengthBucketSampler([len(e.ids) for e in train], batch_size, seed) if length_buckets else None
        )

    def _collate(self, rows: _Rows):
        def collate(idx: list[int]) -> tuple[Tensor, Tensor, Tensor]:
            ids, mask = self.text.batch([rows.encoded[i] for i in idx])
            return ids, mask, torch.from_numpy(rows.gold[idx])

        return collate

    def train_dataloader(self) -> DataLoader:
        if self.buckets is not None:
            return DataLoader(
                self.train_rows,
                batch_sampler=self.buckets,
                collate_fn=self._collate(self.train_rows),
                num_workers=self.num_workers,
            )
        g = torch.Generator().manual_seed(self.seed)
        return DataLoader(
            self.train_rows,
            self.batch_size,
            shuffle=True,
            generator=g,
            collate_fn=self._collate(self.train_rows),
            num_workers=self.num_workers,
        )

    def val_dataloader(self) -> DataLoader:
        return DataLoader(
            self.dev_rows,
            self.batch_size,
            collate_fn=self._collate(self.dev_rows),
            num_workers=self.num_workers,
        )


class CoderModule(L.LightningModule):
    """Binary cross-entropy over all labels; logs ``train_loss``, ``dev_loss`` and ``dev_map``."""

    def __init__(
        self,
        net: nn.Module,
        lr: float,
        weight_decay: float = 0.0,
        encoder_lr: float | None = None,
        dev_groups: np.ndarray | None = None,
        dev_group_gold: np.ndarray | None = None,
    ) -> None:
        """``dev_groups``: when the dev rows are pieces of documents (sentences), the document of
        each row; ``dev_map`` then scores each document by its best row against ``dev_group_gold``
        ``[n_documents, n_labels]``."""
        super().__init__()
        self.net, self.lr, self.weight_decay, self.encoder_lr = net, lr, weight_decay, encoder_lr
        if (dev_groups is None) != (dev_group_gold is None):
            raise ValueError("dev_groups and dev_group_gold go together")
        self.dev_groups, self.dev_group_gold = dev_groups, dev_group_gold
        self._dev_scores: list[np.ndarray] = []
        self._dev_gold: list[np.ndarray] = []

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        return self.net(ids, mask)[0]

    def _loss(self, batch) -> tuple[Tensor, Tensor]:
        ids, mask, y = batch
        logits = self(ids, mask).float()
        return nn.functional.binary_cross_entropy_with_logits(logits, y.float()), logits

    def training_step(self, batch, batch_idx: int) -> Tensor:
        loss, _ = self._loss(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=batch[0].shape[0])
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        loss, logits = self._loss(batch)
        if self.dev_groups is None:  # grouped rows carry no gold of their own: their loss means nothing
            self.log("dev_loss", loss, batch_size=batch[0].shape[0])
        self._dev_scores.append(torch.sigmoid(logits).cpu().numpy())
        self._dev_gold.append(batch[2].cpu().numpy())

    def on_validation_epoch_end(self) -> None:
        if self._dev_scores:
            scores, gold = np.concatenate(self._dev_scores), np.concatenate(self._dev_gold)
            # grouped rows: each document by its best row (fast_dev_run scores only one batch)
            grouped = self.dev_groups is not None and len(scores) == len(self.dev_groups)
            if grouped and self.dev_group_gold is not None:
                from medcoder.models.mentions import aggregate_rows

                gold = self.dev_group_gold
                scores = aggregate_rows(scores, self.dev_groups, len(gold), "max")
            value = doc_average_precision(scores, gold)
            self.log("dev_map", value, prog_bar=True)
            log.info("epoch %d: dev_map %.4f", self.current_epoch, value)
        self._dev_scores.clear()
        self._dev_gold.clear()

    def configure_optimizers(self):
        encoder = getattr(self.net, "encoder", None)
        if encoder is not None and self.encoder_lr is not None:
            enc_ids = {id(p) for p in encoder.parameters()}
            trainable = [p for p in self.net.parameters() if p.requires_grad]
            groups = [
                {"params": [p for p in trainable if id(p) in enc_ids], "lr": self.encoder_lr},
                {"params": [p for p in trainable if id(p) not in enc_ids], "lr": self.lr},
            ]
            groups = [g for g in groups if g["params"]]
        else:
            groups = [{"params": [p for p in self.net.parameters() if p.requires_grad], "lr": self.lr}]
        return torch.optim.AdamW(groups, weight_decay=self.weight_decay)


class KeepBest(L.Callback):
    """Keeps the weights of the best epoch by ``monitor`` in memory and restores them after fitting."""

    def __init__(self, monitor: str = "dev_map") -> None:
        self.monitor, self.best, self.best_epoch, self.state = monitor, -float("inf"), -1, None

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if value is not None and float(value) > self.best and not trainer.sanity_checking:
            self.best, self.best_epoch = float(value), trainer.current_epoch
            self.state = copy.deepcopy({k: v.detach().cpu() for k, v in pl_module.net.state_dict().items()})

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.state is not None:
            pl_module.net.load_state_dict(self.state)
            log.info("restored weights of epoch %d (%s = %.4f)", self.best_epoch, self.monitor, self.best)


class EpochTimer(L.Callback):
    """Wall-clock seconds of each training epoch (excluding validation): the throughput figure."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._t0 = 0.0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._t0 = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.seconds.append(time.perf_counter() - self._t0)
