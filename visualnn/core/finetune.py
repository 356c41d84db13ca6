"""Two-phase fine-tuning, planned from the graph and the training settings (no TensorFlow).

Phase 1 trains ``cfg.epochs`` epochs with the frozen nodes frozen. Phase 2 unfreezes the top
``cfg.fine_tune_layers`` Keras layers of the frozen part (the layers inside a nested model count one by one,
in model order) or every frozen node from ``cfg.fine_tune_from`` on; BatchNormalization layers stay frozen
(Keras's transfer-learning guide). It recompiles with the phase-2 learning rate and trains
``cfg.fine_tune_epochs`` more epochs, continuing the epoch count, so the history is one sequence.

The engine (``services.finetune``) and the exported script (``core.codegen.finetune_code``) both follow the
:class:`FineTunePlan` made here, so the app and the script unfreeze the same layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from visualnn.core.freezing import is_frozen
from visualnn.core.graph import Graph
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_settings import fine_tune_rate


class FineTuneError(ValueError):
    """Fine-tuning is switched on but cannot run on this model; the message names the setting and the fix."""


@dataclass(frozen=True)
class FineTunePlan:
    """What phase 2 does: the frozen nodes' layer names (model order), how many top layers to unfreeze or the
    first node to unfreeze from, its learning rate and its epochs."""

    frozen: tuple[str, ...]
    layers: int
    start: str | None
    learning_rate: float
    epochs: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the run record and the exported script's ``FINE_TUNE``)."""
        return {"frozen": list(self.frozen), "layers": self.layers, "from": self.start,
                "learning_rate": self.learning_rate, "epochs": self.epochs}


def fine_tune_plan(graph: Graph, cfg: TrainingConfig) -> FineTunePlan | None:
    """Phase 2 for ``graph`` under ``cfg``; ``None`` when fine-tuning is off. :class:`FineTuneError` says why it
    cannot run (no frozen layer, an unknown ``fine_tune_from``)."""
    if not cfg.fine_tune:
        return None
    order = graph.topological_order()
    frozen = tuple(graph.nodes[nid].label for nid in order if is_frozen(graph.nodes[nid]))
    if not frozen:
        raise FineTuneError(
            "Fine-tuning unfreezes frozen layers in phase 2, but no layer is frozen. Freeze the backbone (right-click "
            "the first layer of the head: 'Freeze everything before this layer'), or switch fine-tuning off.")
    start = cfg.fine_tune_from or None
    if start is not None:
        labels = [graph.nodes[nid].label for nid in order]
        if start not in labels:
            raise FineTuneError(f"training.fine_tune_from names {start!r}, which is not a layer of the model; give "
                                f"the name of a frozen layer ({', '.join(frozen)}) or leave it empty.")
        after = labels[labels.index(start):]
        if not any(name in frozen for name in after):
            raise FineTuneError(f"training.fine_tune_from is {start!r}, but no frozen layer comes at or after it, so "
                                f"phase 2 would unfreeze nothing; choose one of {', '.join(frozen)}.")
        start = next(name for name in after if name in frozen)
    return FineTunePlan(frozen, int(cfg.fine_tune_layers), start, fine_tune_rate(cfg), int(cfg.fine_tune_epochs))


__all__ = ["FineTuneError", "FineTunePlan", "fine_tune_plan"]
