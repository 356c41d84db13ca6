"""The exported script's two-phase fine-tuning: the same plan and steps as the engine (``services.finetune``).

``FINE_TUNE`` holds the :class:`~visualnn.core.finetune.FineTunePlan`; ``unfreeze(model)`` does what
``services.finetune.unfreeze`` does; phase 2 recompiles with the phase-2 optimizer (the settings table's optimizer
at the phase-2 learning rate) and continues ``model.fit`` from the epoch phase 1 ended at.
"""

from __future__ import annotations

from visualnn.core.codegen.literals import Cat, call, literal, render, statement
from visualnn.core.finetune import FineTunePlan
from visualnn.core.specs import KerasCall

UNFREEZE = '''
def keras_layers(layer):
    """The layer itself, or for a nested model (a backbone) every layer inside it in model order."""
    if isinstance(layer, keras.Model):
        return [inner for sub in layer.layers for inner in keras_layers(sub)]
    return [] if isinstance(layer, keras.layers.InputLayer) else [layer]


def unfreeze(model):
    """Phase 2 of fine-tuning: make the top of the frozen part trainable again (BatchNormalization stays frozen,
    so its statistics are kept); returns the names of the layers unfrozen."""
    frozen = FINE_TUNE["frozen"]
    start = frozen.index(FINE_TUNE["from"]) if FINE_TUNE["from"] is not None else 0
    candidates = []
    for position, name in enumerate(frozen):
        layer = model.get_layer(name)
        inner = keras_layers(layer)
        if isinstance(layer, keras.Model):  # trainable as a whole, then only the chosen layers inside it
            layer.trainable = True
            for sub in inner:
                sub.trainable = False
        if position >= start:
            candidates.extend(inner)
    chosen = candidates if FINE_TUNE["from"] is not None else candidates[-FINE_TUNE["layers"]:]
    unfrozen = []
    for layer in chosen:
        if isinstance(layer, keras.layers.BatchNormalization):
            continue
        layer.trainable = True
        unfrozen.append(layer.name)
    return unfrozen
'''


def settings_line(plan: FineTunePlan) -> str:
    """``FINE_TUNE = {...}``: what phase 2 unfreezes, its learning rate and its epochs."""
    return render(Cat(("FINE_TUNE = ", literal(plan.to_dict()))), 0)


def function_lines(optimizer: KerasCall, compile_args: dict[str, object]) -> list[str]:
    """``keras_layers``, ``unfreeze`` and ``compile_fine_tune(model)``: ``optimizer`` is the settings table's
    optimizer at phase 2's learning rate (a schedule starts from it), the loss and metrics are phase 1's."""
    return [
        *UNFREEZE.strip("\n").splitlines(),
        "",
        "",
        "def compile_fine_tune(model):",
        '    """Phase 2: compile again (the unfrozen layers take effect) with the lower learning rate."""',
        statement(call("model.compile", {**compile_args, "optimizer": optimizer}), 4),
    ]


def phase_two_lines(mirrored: bool, weighted: bool = False) -> list[str]:
    """Phase 2 in ``main()``, right after phase 1's ``model.fit``: unfreeze, recompile, fit on; one history
    (``weighted``: with phase 1's ``class_weight``)."""
    compile_line = ["    with strategy.scope():", "        compile_fine_tune(model)"] if mirrored else [
        "    compile_fine_tune(model)"]
    return [
        "",
        "    # Step 4b: fine-tuning, phase 2: unfreeze the top of the frozen part, train on with a lower learning rate.",
        '    boundary = len(history.history["loss"])  # the epochs phase 1 ran: phase 2 goes on from there',
        "    unfrozen = unfreeze(model)",
        "    print(f\"Phase 2 from epoch {boundary + 1}: unfroze {len(unfrozen)} layers, learning rate \"",
        "          f\"{FINE_TUNE['learning_rate']:g}\")",
        *compile_line,
        "    phase_two = model.fit(",
        "        train_ds,",
        "        validation_data=val_ds,",
        "        initial_epoch=boundary,",
        '        epochs=boundary + FINE_TUNE["epochs"],',
        "        steps_per_epoch=steps_per_epoch,",
        "        callbacks=make_callbacks(val_ds is not None),",
        *(["        class_weight=class_weight,"] if weighted else []),
        "        shuffle=False,",
        "        verbose=2,",
        "    )",
        "    for key, values in phase_two.history.items():  # one history: phase 1's epochs, then phase 2's",
        "        history.history.setdefault(key, []).extend(values)",
    ]


__all__ = ["UNFREEZE", "function_lines", "phase_two_lines", "settings_line"]
