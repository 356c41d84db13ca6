"""A two-input, two-output model for the Training and Evaluation views (the shape of the two-input template)."""

from __future__ import annotations

from typing import Any

from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node

OUTPUTS = ["kind", "score"]


def two_output_graph() -> Graph:
    """Inputs ``tabular`` (8,) and ``sequence`` (12, 3); outputs ``kind`` (Dense 3 softmax) and ``score`` (Dense 1)."""
    g = Graph(FUNCTIONAL)

    def add(nid: str, type_id: str, sources: list[str], name: str | None = None, **params: Any) -> None:
        g.add_node(Node(nid, type_id, params, (0.0, 100.0 * len(g.nodes)), name))
        for port, src in enumerate(sources):
            g.connect(Edge.of(src, nid, dst_port=port))

    add("input_1", "Input", [], "tabular", shape=[8])
    add("dense_1", "Dense", ["input_1"], units=16, activation="relu")
    add("input_2", "Input", [], "sequence", shape=[12, 3])
    add("lstm_1", "LSTM", ["input_2"], units=16)
    add("concatenate_1", "Concatenate", ["dense_1", "lstm_1"])
    add("dense_2", "Dense", ["concatenate_1"], units=16, activation="relu")
    add("dense_3", "Dense", ["dense_2"], "kind", units=3, activation="softmax")
    add("dense_4", "Dense", ["dense_2"], "score", units=1)
    return g


def two_output_epoch(epoch: int) -> dict[str, float]:
    """Keras's epoch logs of that model compiled with accuracy for ``kind`` and mae for ``score``."""
    f = 1.0 / epoch
    logs = {"loss": 1.5 * f, "kind_loss": 1.0 * f, "score_loss": 0.5 * f, "kind_accuracy": 1 - 0.5 * f,
            "score_mae": 0.6 * f}
    return {**logs, **{f"val_{k}": v * 1.1 for k, v in logs.items()}}


def two_output_report(run_id: str = "r1") -> dict[str, Any]:
    """An evaluation report of that model, shaped as the engine sends it for several outputs."""
    names = ["a", "b", "c"]
    confusion = [[5, 1, 0], [0, 6, 1], [1, 0, 6]]
    per_class = [{"class": n, "precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 7} for n in names]
    kind = {"task": "classification", "n_samples": 20, "metrics": {"loss": 0.41, "accuracy": 0.85},
            "classification": {"accuracy": 0.85, "class_names": names, "confusion": confusion,
                               "per_class": per_class,
                               "wrong": [{"index": 3, "true": "a", "pred": "b", "confidence": 0.9,
                                          "sample": {"tabular": [0.5] * 8, "sequence": [[0.1, 0.2, 0.3]] * 12}}]}}
    true = [float(i) for i in range(20)]
    pred = [t + (0.5 if i % 2 else -0.3) for i, t in enumerate(true)]
    score = {"task": "regression", "n_samples": 20, "metrics": {"loss": 0.17, "mae": 0.4},
             "regression": {"mae": 0.4, "rmse": 0.41, "r2": 0.99, "true": true, "pred": pred,
                            "hist_counts": [10, 0, 0, 10], "hist_edges": [-0.3, -0.1, 0.1, 0.3, 0.5]}}
    return {"run_id": run_id, "split": "test", "split_label": "test split", "task": "multi-output", "n_samples": 20,
            "metrics": {"loss": 0.495, "kind_loss": 0.41, "score_loss": 0.17, "kind_accuracy": 0.85,
                        "score_mae": 0.4},
            "outputs": {"kind": kind, "score": score}}


class _TwoOutputModel:
    """Stands in for the trained Keras model: ``predict`` on the input dict gives one array per output, in order."""

    output_names = OUTPUTS

    def predict(self, x: dict[str, Any], verbose: int = 0, batch_size: int = 32) -> list[Any]:
        import numpy as np

        n = len(x["tabular"])
        logits = np.array([[3.0, 1.0, 0.5], [0.2, 2.5, 0.1], [0.1, 0.3, 4.0], [1.0, 1.1, 0.9]])[np.arange(n) % 4]
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return [probs, (x["tabular"].sum(axis=1) - 2.5).reshape(n, 1)]


class _TwoInputData:
    """The prepared data's side of prediction: the real named-parts check of the raw arrays, and the parts."""

    def __init__(self) -> None:
        from visualnn.services.datasets.prepared import DataPart

        self.parts = [DataPart("tabular", "input", "tabular", None, (8,), "float32"),
                      DataPart("sequence", "input", "sequence", None, (12, 3), "float32"),
                      DataPart("kind", "target", "kind", None, (), "int64", "multiclass", ("cat", "dog", "fox")),
                      DataPart("score", "target", "score", None, (), "float32", "regression", ())]

    def transform(self, raw: Any) -> dict[str, Any]:
        from visualnn.services.datasets.arrays import raw_inputs

        return raw_inputs(raw, ["tabular", "sequence"], "The input")


def two_output_prediction(raw: dict[str, Any] | None = None, run_id: str = "r1") -> dict[str, Any]:
    """What the engine answers a predict job of that model on ``raw`` (default: 4 samples of both Inputs).

    The result is made by the real service code (``services.predict``'s named-parts path) with a stand-in
    model, so it has exactly the engine's shape. A ``raw`` without an array raises the engine's TrainingError.
    """
    import numpy as np

    from visualnn.core.project import Project
    from visualnn.core.protocol import PredictRequest
    from visualnn.services.predict import _predict_parts

    if raw is None:
        raw = {"tabular": np.arange(32, dtype="float32").reshape(4, 8) / 10, "sequence": np.zeros((4, 12, 3))}
    req = PredictRequest(project=Project(graph=two_output_graph()), base_dir=".", run_id=run_id, input_path="x.npz")
    return _predict_parts(req, run_id, _TwoOutputModel(), _TwoInputData(), raw, "x.npz", 32, lambda *_: None)
