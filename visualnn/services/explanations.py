"""Why a trained model decided: Grad-CAM and gradient saliency over images, permutation importance for tables.

Grad-CAM (Selvaraju et al.) weights the chosen convolutional layer's feature maps by the mean gradient
of the class score over each map, keeps the positive part and scales it to the image. Saliency is the
largest absolute gradient of the class score over each pixel's channels. Both run one
``tf.GradientTape`` pass on a cached model from the inputs to (that layer's output, the predictions).
Permutation importance shuffles one table column at a time on the validation split and reports how much
the metric drops (accuracy for classifiers, rises in mean absolute error for regression).
"""

from __future__ import annotations

from typing import Any

from visualnn.core.explain_protocol import METHODS, ExplainRequest
from visualnn.core.project import Project
from visualnn.services.model_probe import (
    Probe,
    ProbeError,
    check_sample_shape,
    input_layer_names,
    probe_for,
    project_data,
    split_dataset,
    split_sample,
)
from visualnn.services.training_common import Sink, TrainingError, explain, null_sink

MAX_IMAGE = 224  # image and heatmap sides sent back
CONV_TYPES = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "ConvLSTM2D")
REGRESSION = "regression"


def conv_layers(model: Any) -> list[str]:
    """Names of the convolutions whose output is a rank-4 map larger than 1x1 (what Grad-CAM can weigh), in order."""
    names = []
    for layer in model.layers:
        cls = type(layer).__name__
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError):
            continue
        spatial = len(shape) == 4 and not (shape[1] == 1 and shape[2] == 1)  # a 1x1 map (a classifier head) shows nowhere
        if spatial and ("Conv" in cls or cls in CONV_TYPES):
            names.append(layer.name)
    return names


def pick_conv(probe: Probe, project: Project, node: str | None) -> str:
    """The layer Grad-CAM looks at: node ``node`` (which must be a convolution) or the model's last convolution."""
    convs = conv_layers(probe.model)
    if node is None:
        if not convs:
            raise ProbeError(f"Grad-CAM needs a convolutional layer (Conv2D and the like), and {probe.label}'s "
                             "model has none. Use saliency instead, which needs only the gradients of the input.")
        return convs[-1]
    graph_node = probe.graph.nodes.get(node) or project.graph.nodes.get(node)
    label = graph_node.label if graph_node is not None else node
    if label not in convs:
        known = ", ".join(convs) or "none"
        raise ProbeError(f"{label} is not a convolutional layer with feature maps, so Grad-CAM cannot weigh it. "
                         f"Pick one of: {known}.")
    return label


def task_of(probe: Probe, data: Any) -> str:
    """The task the run was trained for (``regression``, ``binary``, ``multiclass`` ...)."""
    task = getattr(data, "task", None) or (probe.run.extra.get("task") if probe.run is not None else None)
    return str(task or "multiclass")


def grad_model(probe: Probe, conv: str | None) -> Any:
    """The cached model from the inputs to (``conv``'s output, the predictions); ``conv`` None: predictions only."""
    key = f"grad:{conv}"
    if key not in probe.cache:
        import keras

        inputs, tensors, final = probe.graph_tensors()
        probe.cache[key] = keras.Model(inputs, [tensors[conv], final] if conv else final)
    return probe.cache[key]


def _n_classes(probe: Probe) -> int:
    return int(probe.model.outputs[0].shape[-1])


def _check_class(probe: Probe, class_index: int | None) -> int:
    """``class_index`` as the compiled functions take it (-1: the predicted class), checked against the model."""
    n = _n_classes(probe)
    if class_index is None:
        return -1
    top = 2 if n == 1 else n  # one sigmoid unit explains class 0 (its complement) or 1
    if not 0 <= int(class_index) < top:
        raise ProbeError(f"There is no class {class_index}: the model has {top} classes (0 to {top - 1}).")
    return int(class_index)


def _class_score(preds: Any, index: Any) -> tuple[Any, Any]:
    """(the explained score per sample, the class index used) inside a compiled function; -1 is the predicted class."""
    import tensorflow as tf

    if preds.shape[-1] == 1:  # one sigmoid unit: class 1 is its output, class 0 its complement
        used = tf.where(index < 0, tf.constant(1, tf.int32), index)
        return tf.where(used == 1, preds[:, 0], 1.0 - preds[:, 0]), used
    used = tf.where(index < 0, tf.argmax(preds[0], output_type=tf.int32), index)
    return tf.gather(preds, used, axis=1), used


def _compiled(probe: Probe, conv: str | None) -> Any:
    """The cached graph function of Grad-CAM on ``conv`` (or of saliency for None): (x, class) -> (heat, preds, class).

    One ``tf.GradientTape`` pass traced once per model and input shape, so later images cost one
    compiled forward and backward pass instead of an eager call per layer.
    """
    key = f"explain:{conv}"
    if key not in probe.cache:
        import tensorflow as tf

        model = grad_model(probe, conv)

        def gradcam_fn(x: Any, index: Any) -> Any:
            with tf.GradientTape() as tape:
                maps, preds = model(x, training=False)
                score, used = _class_score(preds, index)
            grads = tape.gradient(score, maps)
            weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
            cam = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))[0]
            cam = tf.image.resize(cam[..., None], tf.shape(x)[1:3])[..., 0]
            return cam, preds, used

        def saliency_fn(x: Any, index: Any) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(x)
                preds = model(x, training=False)
                score, used = _class_score(preds, index)
            grads = tf.abs(tape.gradient(score, x))[0]
            return tf.reduce_max(grads, axis=-1), preds, used

        if conv is not None and _depends(model):
            raise ProbeError(f"The class score does not depend on {conv}'s output, so Grad-CAM has no gradient "
                             "there. Pick a convolutional layer on the path to the output.")
        probe.cache[key] = tf.function(gradcam_fn if conv else saliency_fn, reduce_retracing=True)
    return probe.cache[key]


def _depends(model: Any) -> bool:
    """True when the predictions do not depend on the maps (a side branch): checked once, symbolically."""
    import tensorflow as tf

    x = tf.zeros([1, *(int(d) for d in model.inputs[0].shape[1:])], model.inputs[0].dtype)
    with tf.GradientTape() as tape:
        maps, preds = model(x, training=False)
    return tape.gradient(preds, maps) is None


def _run(probe: Probe, conv: str | None, x: Any, class_index: int | None) -> tuple[Any, Any, int]:
    import numpy as np
    import tensorflow as tf

    fn = _compiled(probe, conv)
    heat, preds, used = fn(tf.convert_to_tensor(x, tf.float32), tf.constant(_check_class(probe, class_index), tf.int32))
    heat = np.asarray(heat, dtype="float64")
    top = float(heat.max())
    return (heat / top if top > 0 else heat), np.asarray(preds), int(used)


def gradcam(probe: Probe, x: Any, conv: str, class_index: int | None = None) -> tuple[Any, Any, int]:
    """(heatmap in [0, 1] of the input's height x width, the predictions, the class explained)."""
    return _run(probe, conv, x, class_index)


def saliency(probe: Probe, x: Any, class_index: int | None = None) -> tuple[Any, Any, int]:
    """(largest absolute input gradient per pixel, scaled to [0, 1]; the predictions; the class explained)."""
    return _run(probe, None, x, class_index)


def _image_for_view(x: Any) -> Any:
    """The model's input image scaled to 0-255 integers (what the overlay draws under the heatmap)."""
    import numpy as np

    a = np.asarray(x, dtype="float64")[0]
    lo, hi = float(a.min()), float(a.max())
    a = (a - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(a)
    return np.round(a).astype(int)


def _shrink(a: Any) -> Any:
    from visualnn.services.activations import block_reduce

    return block_reduce(a, (MAX_IMAGE, MAX_IMAGE))


def image_input(probe: Probe, data: Any, req: ExplainRequest[Project]) -> tuple[Any, dict[str, Any]]:
    """The image to explain (a batch of one) and what to say about it (split and index, or the file)."""
    import numpy as np

    if req.input_path:
        from visualnn.core.paths import resolve_path
        from visualnn.services.predict import read_raw

        path = resolve_path(req.input_path, req.base_dir)
        try:
            raw = read_raw(path, None)
            x = data.transform(raw) if data is not None else np.asarray(raw, "float32")
        except (OSError, ValueError) as exc:
            raise ProbeError(f"Could not read {path} as the training data was read: {explain(exc)}") from exc
        except TrainingError:
            raise
        except Exception as exc:
            raise ProbeError(f"Could not prepare {path} as the training data was: {explain(exc)}") from exc
        x = np.asarray(x)
        if x.ndim == len(probe.model.inputs[0].shape) - 1:
            x = x[None]
        check_sample_shape(x[:1], probe.model)
        return x[:1], {"source": path}
    split, x, y = split_sample(data, req.split, req.index)
    from visualnn.services.activations import class_label

    return x, {"split": split, "index": req.index, "true": class_label(y, list(getattr(data, "class_names", []) or []))}


def explain_image(req: ExplainRequest[Project], probe: Probe, data: Any, sink: Sink) -> dict[str, Any]:
    """Grad-CAM or saliency of one image."""
    import numpy as np

    if len(probe.model.inputs) != 1:
        raise ProbeError(f"{req.method} explains models with one image Input; {probe.label}'s model has "
                         f"{len(probe.model.inputs)} ({', '.join(input_layer_names(probe.model))}).")
    rank = len(probe.model.inputs[0].shape)
    if rank != 4:
        name = input_layer_names(probe.model)[0]
        raise ProbeError(f"{req.method} explains images, and the Input {name} takes rank-{rank} samples "
                         f"{tuple(probe.model.inputs[0].shape)}. For a table, use permutation importance.")
    task = task_of(probe, data)
    if task == REGRESSION:
        raise ProbeError(f"{req.method} explains a class score, and {probe.label}'s model is a regression model "
                         "(it predicts numbers, not classes).")
    x, about = image_input(probe, data, req)
    conv = pick_conv(probe, req.project, req.node) if req.method == "gradcam" else None
    sink("status", {"text": f"{'Grad-CAM on ' + conv if conv else 'Saliency'} with {probe.label}…"})
    try:
        heat, preds, index = gradcam(probe, x, conv, req.class_index) if conv else saliency(probe, x, req.class_index)
    except ProbeError:
        raise
    except Exception as exc:
        raise ProbeError(f"{req.method} failed on {conv or 'the input'}: {explain(exc)}") from exc
    from visualnn.services.evaluation import class_probabilities

    probs = class_probabilities(preds)[0]
    names = list(getattr(data, "class_names", None) or (probe.run.extra.get("class_names") if probe.run else []) or [])
    names += [str(i) for i in range(len(names), len(probs))]
    image = _image_for_view(x)
    shown_heat = _shrink(heat)
    shown_image = _shrink(image)
    return {
        "method": req.method, "run_id": probe.run.id if probe.run else None, "layer": conv,
        "class_index": index, "class_name": names[index] if index < len(names) else str(index),
        "predicted": names[int(np.argmax(probs))], "confidence": float(np.max(probs)),
        "probabilities": {n: float(p) for n, p in zip(names, probs, strict=False)},
        "heatmap": np.round(shown_heat, 4).tolist(), "image": np.round(shown_image).astype(int).tolist(),
        "input_shape": [int(d) for d in np.asarray(x).shape[1:]], **about,
    }


def _columns(data: Any, width: int) -> list[tuple[str, list[int]]]:
    """(column name, its feature indices) of a table: a one-hot column's features move together."""
    plan = (getattr(data, "stats", None) or {}).get("features")
    if isinstance(plan, list) and plan and all(isinstance(p, dict) for p in plan):
        out, start = [], 0
        for p in plan:
            n = len(p.get("columns") or [p.get("name")])
            out.append((str(p.get("name")), list(range(start, start + n))))
            start += n
        if start == width:
            return out
    return [(f"feature {i}", [i]) for i in range(width)]


def _score(model: Any, x: Any, y: Any, task: str) -> float:
    """Accuracy (classifiers) or negative mean absolute error (regression): higher is better."""
    import numpy as np

    p = np.asarray(model.predict(x, verbose=0, batch_size=256))
    if task == REGRESSION:
        return -float(np.mean(np.abs(p.reshape(len(p), -1) - np.asarray(y, "float64").reshape(len(y), -1))))
    from visualnn.services.evaluation import class_probabilities

    yy = np.asarray(y)
    truth = yy.argmax(axis=1) if yy.ndim == 2 and yy.shape[1] > 1 else yy.reshape(-1).astype(int)
    return float(np.mean(class_probabilities(p).argmax(axis=1) == truth))


def permutation_importance(req: ExplainRequest[Project], probe: Probe, data: Any, sink: Sink) -> dict[str, Any]:
    """How much worse the model gets when each column is shuffled, on the validation split, averaged over
    ``req.repeats`` shuffles, largest first: the drop in accuracy, or the increase in MAE for regression (the row
    key ``drop`` holds either; the report's ``effect`` says which)."""
    import numpy as np

    if len(probe.model.inputs) != 1:
        raise ProbeError("Permutation importance shuffles the columns of one table; the model has several Inputs.")
    rank = len(probe.model.inputs[0].shape)
    if rank != 2:
        kind = {4: "images", 3: "sequences (time steps x features)", 5: "video"}.get(rank, f"rank-{rank} samples")
        raise ProbeError(f"Permutation importance shuffles table columns, and this model takes {kind}. "
                         "Use Grad-CAM or saliency for images.")
    split, dataset = split_dataset(data, "val")
    xs, ys = [], []
    for x, y in dataset:
        xs.append(np.asarray(x))
        ys.append(np.asarray(y))
    if not xs:
        raise ProbeError("The validation split is empty; set a validation fraction in the Data panel.")
    x_all, y_all = np.concatenate(xs), np.concatenate(ys)
    task = task_of(probe, data)
    base = _score(probe.model, x_all, y_all, task)
    rng = np.random.default_rng(req.seed)
    rows: list[dict[str, Any]] = []
    columns = _columns(data, x_all.shape[1])
    for i, (name, idx) in enumerate(columns):
        sink("status", {"text": f"Shuffling {name} ({i + 1}/{len(columns)})…"})
        drops = []
        for _ in range(max(1, req.repeats)):
            shuffled = x_all.copy()
            order = rng.permutation(len(x_all))
            shuffled[:, idx] = x_all[order][:, idx]
            drops.append(base - _score(probe.model, shuffled, y_all, task))
        rows.append({"column": name, "drop": float(np.mean(drops)), "std": float(np.std(drops))})
    rows.sort(key=lambda r: -r["drop"])
    metric = "mae" if task == REGRESSION else "accuracy"
    return {"method": "permutation", "run_id": probe.run.id if probe.run else None, "split": split,
            "metric": metric, "effect": "increase" if task == REGRESSION else "drop",
            "baseline": -base if task == REGRESSION else base, "n_samples": int(len(x_all)),
            "repeats": max(1, req.repeats), "importances": rows}


def run_explain(req: ExplainRequest[Project], sink: Sink = null_sink) -> dict[str, Any]:
    """Grad-CAM, saliency or permutation importance for a trained run (the latest when ``run_id`` is None)."""
    if req.method not in METHODS:
        raise ProbeError(f"The method must be one of {', '.join(METHODS)}; received {req.method!r}.")
    from visualnn.services.evaluation import pick_run

    run_id = req.run_id or pick_run(req.project, None).id
    probe = probe_for(req.project, req.base_dir, run_id)
    data = project_data(req.project, req.base_dir, probe, req.inline_data)
    if req.method == "permutation":
        if req.input_path:
            raise ProbeError("Permutation importance is measured on the project's validation split; "
                             "leave out the input file.")
        return permutation_importance(req, probe, data, sink)
    return explain_image(req, probe, data, sink)
