"""What the activations and explanations share: the model to look into, the data and one sample of it.

The model is the run's saved model, or for ``run_id`` None the untrained model built from the graph
(weights drawn with the training seed). Models are cached by identity (the run's file and its
modification time, or the graph's JSON and the seed), with the sub-models cut from them, so a second
look at the same model costs one forward pass. The data is the app's own (``load_data``, with the
cache evaluation uses), so a sample is exactly what training fed the model.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from visualnn.core.graph import Graph
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord
from visualnn.services.training_common import TrainingError, explain

MAX_MODELS = 3  # models kept in memory (each with its sub-models)


class ProbeError(TrainingError):
    """A look inside a model that cannot be done; the message names the node or the reason and the fix."""


@dataclass
class Probe:
    """A model ready to be looked into: the Keras model, the graph it was drawn from, its cached sub-models."""

    key: str
    model: Any
    graph: Graph
    run: RunRecord | None
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``run-3`` or ``the untrained model``, for messages."""
        return f"run {self.run.id}" if self.run is not None else "the untrained model"


    def graph_tensors(self) -> tuple[Any, dict[str, Any], Any]:
        """(the model's inputs, each layer's output tensor by name, the first output) in one connected graph.

        A ``Sequential`` model is called again layer by layer on a fresh Input: the tensors its layers keep
        from building are not always on the path its own ``outputs`` come from (then a gradient of the
        output with respect to them is None).
        """
        if "tensors" not in self.cache:
            import keras

            model = self.model
            if isinstance(model, keras.Sequential):
                first = model.inputs[0]
                inp = keras.Input(shape=tuple(first.shape)[1:], dtype=first.dtype, name=input_layer_names(model)[0])
                outs: dict[str, Any] = {input_layer_names(model)[0]: inp}
                h = inp
                for layer in model.layers:
                    h = layer(h)
                    outs[layer.name] = h
                self.cache["tensors"] = (inp, outs, h)
            else:
                outs = {name: t for name, t in zip(input_layer_names(model), model.inputs, strict=True)}
                for layer in model.layers:
                    if type(layer).__name__ != "InputLayer":
                        outs[layer.name] = layer.output
                self.cache["tensors"] = (model_inputs(model), outs, model.outputs[0])
        return self.cache["tensors"]  # type: ignore[no-any-return]


_MODELS: dict[str, Probe] = {}


def find_run(project: Project, run_id: str) -> RunRecord:
    """The run ``run_id`` with a saved model on disk, or a ProbeError saying what to do."""
    run = next((r for r in project.runs if r.id == run_id), None)
    if run is None:
        known = ", ".join(r.id for r in project.runs) or "none"
        raise ProbeError(f"There is no run {run_id!r} in the project (runs: {known}). Pick another run or train again.")
    if not run.model_path:
        raise ProbeError(f"Run {run.id} saved no model, so it cannot be looked into. Pick another run or train again.")
    return run


def probe_for(project: Project, base_dir: str, run_id: str | None) -> Probe:
    """The (cached) model of run ``run_id``, or of the graph when None."""
    if run_id:
        run = find_run(project, run_id)
        path = os.path.join(base_dir, run.model_path or "")
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            raise ProbeError(f"The model of run {run.id} is missing ({path}): the run's folder was deleted or moved. "
                             "Pick another run, or choose 'Untrained' to look at the model built from the graph.") from None
        key = json.dumps(["run", os.path.abspath(path), mtime])
        if key not in _MODELS:
            from visualnn.services.training_common import load_run_model

            model = load_run_model(base_dir, run)
            graph = Graph.from_dict(run.graph) if run.graph else project.graph
            _remember(Probe(key, model, graph, run))
        return _MODELS[key]
    seed = project.training.seed
    key = json.dumps(["graph", project.graph.to_dict(), seed], sort_keys=True, default=str)
    if key not in _MODELS:
        import keras

        from visualnn.services.keras_builder import BuildError, build_model

        keras.utils.set_random_seed(int(seed))
        try:
            model = build_model(project.graph)
        except BuildError as exc:
            raise ProbeError(f"The model cannot be built, so it has no activations yet: {exc}") from exc
        _remember(Probe(key, model, project.graph.copy(), None))
    return _MODELS[key]


def _remember(probe: Probe) -> None:
    while len(_MODELS) >= MAX_MODELS:
        _MODELS.pop(next(iter(_MODELS)))
    _MODELS[probe.key] = probe


def layer_name(probe: Probe, project: Project, node_id: str) -> str:
    """The Keras layer name of canvas node ``node_id`` in the probe's model (its name when the model was built)."""
    node = probe.graph.nodes.get(node_id) or project.graph.nodes.get(node_id)
    if node is None:
        raise ProbeError(f"There is no node {node_id!r} on the canvas.")
    label = node.label
    if node_id not in probe.graph.nodes:
        raise ProbeError(f"{label} was added after {probe.label} was trained, so that model has no such layer. "
                         "Train again, or choose 'Untrained' to see it in the model built from the graph.")
    names = {layer.name for layer in probe.model.layers} | set(input_layer_names(probe.model))
    if label not in names:
        raise ProbeError(f"{label} is not a layer of {probe.label}'s model. Train again to include it.")
    return str(label)


def model_inputs(model: Any) -> Any:
    """The model's Inputs as a sub-model takes them: the one tensor, or the list of several."""
    inputs = list(model.inputs)
    return inputs[0] if len(inputs) == 1 else inputs


def input_layer_names(model: Any) -> list[str]:
    """The names of the model's Inputs."""
    return [str(getattr(t, "name", "") or "").split(":")[0] for t in getattr(model, "inputs", None) or []]


def project_data(project: Project, base_dir: str, probe: Probe, inline: dict[str, Any] | None) -> Any:
    """The project's prepared data as this model takes it (or a ProbeError when there is none)."""
    from visualnn.services.training_data import load_data, model_names, model_shapes

    if inline is None and project.dataset is None:
        raise ProbeError("No data is attached to the project, so there is no sample to feed the model. "
                         "Choose a dataset in the Data panel first.")
    cfg = probe.run.training_config if probe.run is not None else project.training
    ins, outs = model_names(probe.model)
    try:
        return load_data(project.dataset, base_dir, cfg.batch_size, cfg.seed, inline, shuffle=False, use_cache=True,
                         inputs=ins, outputs=outs, shapes=model_shapes(probe.model))
    except Exception as exc:
        raise ProbeError(f"Could not prepare the data: {explain(exc)}") from exc


def split_dataset(data: Any, split: str) -> tuple[str, Any]:
    """(the split really used, its batched dataset): ``test`` falls back to ``val`` as evaluation does."""
    if split not in ("train", "val", "test"):
        raise ProbeError(f"The split must be train, val or test; received {split!r}.")
    dataset = getattr(data, split, None)
    if dataset is None and split == "test":
        split, dataset = "val", getattr(data, "val", None)
    if dataset is None:
        raise ProbeError(f"The data has no {split} split; set one in the Data panel or pick another split.")
    return split, dataset


def split_sample(data: Any, split: str, index: int) -> tuple[str, Any, Any]:
    """(split, x, y) of sample ``index`` of ``split`` (a batch of one; in the order evaluation numbers samples)."""
    import numpy as np

    split, dataset = split_dataset(data, split)
    size = {"train": data.n_train, "val": data.n_val, "test": data.n_test}.get(split, 0)
    if index < 0 or (size and index >= size):
        raise ProbeError(f"There is no sample {index} in the {split} split: it has {size} samples (0 to {size - 1}).")
    for x, y in dataset.unbatch().skip(index).take(1).batch(1):
        if isinstance(x, dict):
            return split, {k: np.asarray(v) for k, v in x.items()}, y
        return split, np.asarray(x), np.asarray(y)
    raise ProbeError(f"There is no sample {index} in the {split} split.")


def raw_sample(data: Any, raw: Any, model: Any) -> Any:
    """One raw sample (a row, an image's path, an array) as the model's input batch of one, checked against it."""
    import numpy as np

    try:
        x = data.transform(raw if isinstance(raw, list) else [raw]) if data is not None else np.asarray([raw], "float32")
    except Exception as exc:
        raise ProbeError(f"The sample could not be prepared as the training data was: {explain(exc)}") from exc
    check_sample_shape(x, model)
    return x


def check_sample_shape(x: Any, model: Any) -> None:
    """A ProbeError naming the Input and both shapes when ``x`` does not fit the model's single Input."""
    if isinstance(x, dict) or len(getattr(model, "inputs", None) or []) != 1:
        return
    want = tuple(model.inputs[0].shape)[1:]
    got = tuple(getattr(x, "shape", ()))[1:]
    fits = len(want) == len(got) and all(w is None or w == g for w, g in zip(want, got, strict=True))
    if not fits:
        name = input_layer_names(model)[0]
        shown = ", ".join("None" if d is None else str(d) for d in want)
        raise ProbeError(f"The sample has shape {got} but the Input {name} takes ({shown}) per sample. "
                         "Pick a sample of the project's data, or a file like the ones it was trained on.")
