"""The router: two small MLPs trained with Lightning, then calibrated.

- chart head: chart features -> P(the chart's suggested code set is exactly right);
- code head: code + chart features -> P(this suggested code is correct).

Both train on full-size batches resampled with replacement, with binary cross-entropy on standardised features. The router calibrates
itself without touching the certification data: a temperature per head is fitted on out-of-fold
logits (``n_folds``-fold cross-fitting on the fitting data), then the final heads are trained on
all of it. Weights go to ``router.safetensors``, everything else to ``router.json``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medcoder.routing.calibration import fit_temperature, sigmoid
from medcoder.routing.features import CHART_FEATURES, CODE_FEATURES, ChartBatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouterConfig:
    hidden: int = 32
    epochs: int = 300
    lr: float = 0.01
    weight_decay: float = 1e-3
    n_folds: int = 2
    seed: int = 0


def _mlp(n_in: int, hidden: int):
    from torch import nn

    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
    )


def _train_head(x: np.ndarray, y: np.ndarray, cfg: RouterConfig):
    """Fit one MLP head with Lightning (full batch); returns the nn.Module (eval mode)."""
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, RandomSampler, TensorDataset

    class Head(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = _mlp(x.shape[1], cfg.hidden)

        def training_step(self, batch, _):
            xb, yb = batch
            return torch.nn.functional.binary_cross_entropy_with_logits(self.net(xb)[:, 0], yb)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    L.seed_everything(cfg.seed, verbose=False)
    ds = TensorDataset(torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32))
    # one Lightning epoch of ``cfg.epochs`` resampled full-size batches: per-epoch overhead paid once
    sampler = RandomSampler(ds, replacement=True, num_samples=len(ds) * cfg.epochs)
    loader = DataLoader(ds, batch_size=max(len(ds), 1), sampler=sampler)
    head = Head()
    trainer = L.Trainer(
        max_epochs=1,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(head, loader)
    return head.net.eval()


def _logits(net, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return net(torch.as_tensor(x, dtype=torch.float32))[:, 0].numpy().astype(np.float64)


def _fit_calibrated(x: np.ndarray, y: np.ndarray, cfg: RouterConfig):
    """(net trained on all rows, temperature from out-of-fold logits)."""
    if len(y) == 0:
        raise ValueError("router needs at least one example per head")
    if y.min() == y.max():
        log.warning("router head sees one class only (%s); its probabilities will be near-constant", y[0])
    rng = np.random.default_rng(cfg.seed)
    folds = rng.permutation(len(y)) % max(cfg.n_folds, 2)
    oof = np.zeros(len(y))
    for f in range(max(cfg.n_folds, 2)):
        tr, te = folds != f, folds == f
        if tr.sum() and te.sum():
            oof[te] = _logits(_train_head(x[tr], y[tr], cfg), x[te])
    temp = fit_temperature(sigmoid(oof), y)
    return _train_head(x, y, cfg), temp


class Router:
    """Calibrated chart and code heads with their feature standardisation."""

    def __init__(
        self,
        chart_net,
        code_net,
        chart_mean,
        chart_std,
        code_mean,
        code_std,
        chart_temperature: float,
        code_temperature: float,
        config: RouterConfig,
    ) -> None:
        self.chart_net, self.code_net = chart_net, code_net
        self.chart_mean, self.chart_std = np.asarray(chart_mean), np.asarray(chart_std)
        self.code_mean, self.code_std = np.asarray(code_mean), np.asarray(code_std)
        self.chart_temperature, self.code_temperature = chart_temperature, code_temperature
        self.config = config

    @classmethod
    def fit(cls, batch: ChartBatch, config: RouterConfig | None = None) -> Router:
        """Train both heads on ``batch`` (needs targets)."""
        cfg = config or RouterConfig()
        if batch.chart_y is None or batch.code_y is None:
            raise ValueError("Router.fit needs a ChartBatch built with gold")
        cm, cs = batch.chart_x.mean(0), batch.chart_x.std(0) + 1e-6
        km, ks = batch.code_x.mean(0), batch.code_x.std(0) + 1e-6
        chart_net, ct = _fit_calibrated((batch.chart_x - cm) / cs, batch.chart_y, cfg)
        code_net, kt = _fit_calibrated((batch.code_x - km) / ks, batch.code_y, cfg)
        return cls(chart_net, code_net, cm, cs, km, ks, ct, kt, cfg)

    def predict(self, batch: ChartBatch) -> tuple[np.ndarray, np.ndarray]:
        """(P(chart correct) [n_charts], P(code correct) [n_codes]), both calibrated."""
        chart = sigmoid(
            _logits(self.chart_net, (batch.chart_x - self.chart_mean) / self.chart_std)
            / self.chart_temperature
        )
        code = (
            sigmoid(
                _logits(self.code_net, (batch.code_x - self.code_mean) / self.code_std)
                / self.code_temperature
            )
            if len(batch.code_x)
            else np.zeros(0)
        )
        return chart, code

    def save(self, folder: str | Path) -> None:
        from safetensors.torch import save_file

        folder = Path(folder)
        state = {f"chart.{k}": v.contiguous() for k, v in self.chart_net.state_dict().items()}
        state |= {f"code.{k}": v.contiguous() for k, v in self.code_net.state_dict().items()}
        save_file(state, str(folder / "router.safetensors"))
        meta = {
            "chart_features": list(CHART_FEATURES),
            "code_features": list(CODE_FEATURES),
            "chart_mean": self.chart_mean.tolist(),
            "chart_std": self.chart_std.tolist(),
            "code_mean": self.code_mean.tolist(),
            "code_std": self.code_std.tolist(),
            "chart_temperature": self.chart_temperature,
            "code_temperature": self.code_temperature,
            "config": self.config.__dict__,
        }
        (folder / "router.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path) -> Router:
        from safetensors.torch import load_file

        folder = Path(folder)
        meta = json.loads((folder / "router.json").read_text(encoding="utf-8"))
        if meta["chart_features"] != list(CHART_FEATURES) or meta["code_features"] != list(CODE_FEATURES):
            raise ValueError(
                f"{folder}/router.json was saved with other features; re-run `medcoder calibrate`"
            )
        cfg = RouterConfig(**meta["config"])
        state = load_file(str(folder / "router.safetensors"))
        chart_net, code_net = (
            _mlp(len(CHART_FEATURES), cfg.hidden),
            _mlp(len(CODE_FEATURES) + len(CHART_FEATURES), cfg.hidden),
        )
        chart_net.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("chart.")})
        code_net.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("code.")})
        return cls(
            chart_net.eval(),
            code_net.eval(),
            meta["chart_mean"],
            meta["chart_std"],
            meta["code_mean"],
            meta["code_std"],
            float(meta["chart_temperature"]),
            float(meta["code_temperature"]),
            cfg,
        )
