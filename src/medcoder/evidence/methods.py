"""Three token-attribution methods behind one interface (``Explainer``).

- ``attention``: the label-wise attention weights A[l, t] of the coder's head.
- ``attingrad``: AttInGrad (Edin et al. 2024): attention times InputXGrad, i.e.
  ``A[l, t] * || x_t * d logit_l / d x_t ||_2`` over the embedding dimension; the best method on
  MDACE in that paper.
- ``integrated_gradients``: Captum ``LayerIntegratedGradients`` on the token-embedding layer of the
  document (``DocEmbedding``; baseline: the padding token everywhere), summed over the embedding
  dimension. Caveat: LAAT's description-match channel is cosine similarity, scale-invariant in the
  embeddings, so the model jumps at the all-zero baseline and IG attributions sum to
  ``F(x) - F(0+)`` rather than ``F(x) - F(0)``.

All three take a ``ModelView`` (the net's embedding layer and a forward pass from embeddings)
plus one document's ids and mask, and return attributions ``[n_targets, n_positions]`` for the
requested label columns. ``ModelView`` is built here for LAAT and PLM-ICD without changing the
models: it re-runs their ``forward`` from the embedding output (keep it in step with
``LAAT.forward`` / ``PLMICD.forward``; ``tests/unit/evidence/test_methods.py`` checks that the
logits agree). When a model pools label attention over windows (``pool > 1``), each token gets its
window's weight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from medcoder.models.laat import LAAT, pool_tokens
from medcoder.models.plm_icd import PLMICD


class DocEmbedding(nn.Module):
    """The token-embedding layer as used for the *document* only.

    LAAT also embeds label descriptions with the same ``nn.Embedding``; hooking that layer directly
    (as captum's layer methods do) would interpolate the descriptions too. Explainers hook this
    wrapper, which only the document path calls.
    """

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, ids: Tensor) -> Tensor:
        return self.layer(ids)


@dataclass(frozen=True)
class ModelView:
    """What explainers need from a coder net.

    embedding: the layer mapping ids to embeddings (captum hooks it);
    forward_embeds(emb, mask) -> (logits [batch, n_labels], attention [batch, n_labels, n_positions]),
    where ``emb`` is that layer's output; ``ids``/``mask`` shapes are the net's own (LAAT
    ``[batch, seq]``, PLM-ICD ``[batch, n_chunks, chunk_size]``); ``pad_id`` is the baseline token.
    """

    net: nn.Module
    embedding: nn.Module
    forward_embeds: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]
    pad_id: int

    def forward_ids(self, ids: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        return self.forward_embeds(self.embedding(ids), mask)


def unpool(attn: Tensor, pool: int, n_positions: int) -> Tensor:
    """Window attention [batch, n_labels, ceil(n / pool)] -> per position [batch, n_labels, n]: every
    token of a window gets the window's weight (models that pool label attention, ``pool > 1``)."""
    if pool <= 1:
        return attn
    return attn.repeat_interleave(pool, dim=-1)[..., :n_positions]


def laat_view(net: nn.Module, pad_id: int = 0) -> ModelView:
    """View of ``medcoder.models.laat.LAAT`` (same computation as ``LAAT.forward``)."""
    pool = int(getattr(net, "pool", 1))

    def fwd(emb: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        mask = mask.bool()
        desc = net.label_embeddings()
        h, pmask = pool_tokens(net.encode(emb, mask), mask, pool)
        logits, attn = net.head(h, pmask, desc)
        return logits + net.match(emb, mask, desc), unpool(attn, pool, mask.shape[-1])

    return ModelView(net, DocEmbedding(net.embedding), fwd, pad_id)


def plm_icd_view(net: nn.Module, pad_id: int = 0) -> ModelView:
    """View of ``medcoder.models.plm_icd.PLMICD``: word embeddings in, encoder run with ``inputs_embeds``."""
    word = net.encoder.get_input_embeddings()

    pool = int(getattr(net, "pool", 1))

    def fwd(emb: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        b, c, s = mask.shape
        flat_mask = mask.reshape(b * c, s).bool()
        flat_emb = emb.reshape(b * c, s, -1)
        h = net.encoder(inputs_embeds=flat_emb, attention_mask=flat_mask.long()).last_hidden_state
        h = h.reshape(b, c * s, -1)
        doc_mask = flat_mask.reshape(b, c * s)
        ph, pmask = pool_tokens(h, doc_mask, pool)
        logits, attn = net.head(net.dropout(ph), pmask, net.desc_emb)
        return logits + net.match(ph, pmask, net.desc_emb), unpool(attn, pool, c * s)

    return ModelView(net, DocEmbedding(word), fwd, pad_id)


def view_for(net: nn.Module, pad_id: int = 0) -> ModelView:
    """The ``ModelView`` for a LAAT or PLM-ICD net."""
    if isinstance(net, LAAT):
        return laat_view(net, pad_id)
    if isinstance(net, PLMICD):
        return plm_icd_view(net, pad_id)
    raise TypeError(f"no evidence view for {type(net).__name__}; expected LAAT or PLMICD")


# ids [1, ...], mask [1, ...], target label columns -> attributions [n_targets, n_positions]
Explainer = Callable[[ModelView, Tensor, Tensor, Sequence[int]], Tensor]


def _flat_mask(mask: Tensor) -> Tensor:
    return mask.reshape(mask.shape[0], -1).bool()


@torch.no_grad()
def attention_explainer(view: ModelView, ids: Tensor, mask: Tensor, targets: Sequence[int]) -> Tensor:
    """Label-attention weights of the target labels: one forward pass."""
    _, attn = view.forward_ids(ids, mask)
    return attn[0, list(targets)].float() * _flat_mask(mask)[0]


def attingrad_explainer(view: ModelView, ids: Tensor, mask: Tensor, targets: Sequence[int]) -> Tensor:
    """AttInGrad: attention x L2 norm of (embedding x gradient); one backward pass per target."""
    emb = view.embedding(ids).detach().requires_grad_(True)
    logits, attn = view.forward_embeds(emb, mask)
    rows = []
    for k, label in enumerate(targets):
        (grad,) = torch.autograd.grad(logits[0, label], emb, retain_graph=k < len(targets) - 1)
        ixg = (emb * grad).reshape(1, -1, emb.shape[-1]).norm(dim=-1)[0]  # [n_positions]
        rows.append(attn[0, label].detach().float() * ixg.detach().float())
    out = torch.stack(rows) if rows else torch.zeros((0, _flat_mask(mask).shape[1]))
    return out * _flat_mask(mask)[0]


def make_integrated_gradients(n_steps: int = 20, internal_batch_size: int | None = None) -> Explainer:
    """Captum LayerIntegratedGradients on the embedding layer with ``n_steps`` interpolation steps."""

    def explain(view: ModelView, ids: Tensor, mask: Tensor, targets: Sequence[int]) -> Tensor:
        from captum.attr import LayerIntegratedGradients

        def logits_of(batch_ids: Tensor, batch_mask: Tensor) -> Tensor:
            return view.forward_ids(batch_ids, batch_mask)[0]

        lig = LayerIntegratedGradients(logits_of, view.embedding)
        baseline = torch.full_like(ids, view.pad_id)
        rows = []
        for label in targets:
            attr = lig.attribute(
                ids,
                baselines=baseline,
                target=int(label),
                additional_forward_args=(mask,),
                n_steps=n_steps,
                internal_batch_size=internal_batch_size,
            )
            rows.append(attr.reshape(1, -1, attr.shape[-1]).sum(-1)[0].detach().float())
        out = torch.stack(rows) if rows else torch.zeros((0, _flat_mask(mask).shape[1]))
        return out * _flat_mask(mask)[0]

    return explain


EXPLAINERS: dict[str, Explainer] = {
    "attention": attention_explainer,
    "attingrad": attingrad_explainer,
    "integrated_gradients": make_integrated_gradients(),
}


def get_explainer(name: str) -> Explainer:
    """The explainer registered under ``name`` (attention, attingrad, integrated_gradients)."""
    try:
        return EXPLAINERS[name]
    except KeyError:
        raise ValueError(f"unknown explainer {name!r}; choose one of {sorted(EXPLAINERS)}") from None
