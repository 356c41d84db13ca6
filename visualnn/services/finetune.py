"""Phase 2 of two-phase fine-tuning on a built Keras model: unfreeze what the :class:`FineTunePlan` says.

The exported script carries the same steps as code (``core.codegen.finetune_code``); keep the two in step.
"""

from __future__ import annotations

from typing import Any

from visualnn.core.finetune import FineTuneError, FineTunePlan


def keras_layers(layer: Any) -> list[Any]:
    """``layer`` itself, or for a nested model every layer inside it (nested ones opened too) in model order,
    its InputLayers left out."""
    import keras  # type: ignore[import-untyped]

    if isinstance(layer, keras.Model):
        return [inner for sub in layer.layers for inner in keras_layers(sub)]
    return [] if isinstance(layer, keras.layers.InputLayer) else [layer]


def unfreeze(model: Any, plan: FineTunePlan) -> list[str]:
    """Make the plan's layers trainable (BatchNormalization stays frozen); returns their names in model order.

    A nested model is switched trainable as a whole first (Keras counts no weight of a model that is not), with
    every layer inside it frozen again, so that only the chosen ones train.
    """
    import keras

    candidates: list[Any] = []
    start = plan.frozen.index(plan.start) if plan.start is not None else 0
    for position, name in enumerate(plan.frozen):
        try:
            layer = model.get_layer(name)
        except ValueError as exc:
            raise FineTuneError(f"The frozen layer {name!r} is not in the built model ({exc}).") from exc
        inner = keras_layers(layer)
        if isinstance(layer, keras.Model):
            layer.trainable = True
            for sub in inner:
                sub.trainable = False
        if position >= start:
            candidates.extend(inner)
    chosen = candidates if plan.start is not None else candidates[-plan.layers:]
    unfrozen = []
    for layer in chosen:
        if isinstance(layer, keras.layers.BatchNormalization):
            continue  # kept in inference mode with its statistics (Keras's transfer-learning guide)
        layer.trainable = True
        unfrozen.append(layer.name)
    return unfrozen


__all__ = ["keras_layers", "unfreeze"]
