"""Compile catalog and the data-aware checks that run before training."""

from __future__ import annotations

import pytest

from visualnn.core.compile_options import DataFacts, check_compile, output_layer
from visualnn.core.graph import FUNCTIONAL, Edge, Graph, Node
from visualnn.core.training_config import RunRecord, TrainingConfig, run_differences
from visualnn.core.training_options import LOSSES, METRICS, OPTIMIZERS, SCHEDULES
from visualnn.core.training_settings import FIELD_BY_NAME


def _mlp(units: int = 3, activation: str | None = "softmax", first: str = "Input") -> Graph:
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [4]}))
    g.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}))
    g.add_node(Node("dense_2", "Dense", {"units": units, "activation": activation}))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return g


def _codes(issues: list) -> set[str]:  # type: ignore[type-arg]
    return {i.code for i in issues}


def test_catalog_has_the_issue_lists_and_docs() -> None:
    loss_ids = {o.id for o in LOSSES}
    assert {"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
            "mean_squared_error", "mean_absolute_error", "huber", "log_cosh", "kl_divergence"} <= loss_ids
    assert {"sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "adamax"} == {o.id for o in OPTIMIZERS}
    assert {"accuracy", "precision", "recall", "auc", "top_k_accuracy", "mae", "mse", "rmse", "r2"} == {
        o.id for o in METRICS}
    assert tuple(o.id for o in SCHEDULES) == FIELD_BY_NAME["schedule"].choices
    for o in (*LOSSES, *OPTIMIZERS, *METRICS):
        assert o.doc.endswith(".") and o.url.startswith("https://keras.io/")


def test_output_layer_reads_units_and_activation() -> None:
    assert output_layer(_mlp(5, "softmax")) == ("dense_2", "softmax", 5)


def test_clean_classification_has_no_issues() -> None:
    facts = DataFacts("classification", n_classes=3, label_format="int")
    assert check_compile(_mlp(3), "sparse_categorical_crossentropy", ("accuracy",), facts) == []


def test_units_must_match_classes_with_fix() -> None:
    issues = check_compile(_mlp(10), "sparse_categorical_crossentropy", ("accuracy",),
                           DataFacts("classification", n_classes=3))
    (issue,) = issues
    assert issue.code == "output-units" and "10 units" in issue.message and "3 classes" in issue.message
    assert issue.fix == {"node": "dense_2", "param": "units", "value": 3}


def test_softmax_with_binary_and_sigmoid_with_categorical() -> None:
    assert "softmax-binary" in _codes(check_compile(_mlp(1, "softmax"), "binary_crossentropy", (), None))
    assert "sigmoid-categorical" in _codes(check_compile(_mlp(3, "sigmoid"), "categorical_crossentropy", (), None))
    ok = check_compile(_mlp(1, "sigmoid"), "binary_crossentropy", (), DataFacts("classification", 2))
    assert ok == []


def test_integer_labels_with_categorical_suggest_sparse() -> None:
    issues = check_compile(_mlp(3), "categorical_crossentropy", ("accuracy",),
                           DataFacts("classification", n_classes=3, label_format="int"))
    (issue,) = issues
    assert issue.fix == {"training": {"loss": "sparse_categorical_crossentropy"}}


def test_regression_with_accuracy_and_classification_loss() -> None:
    facts = DataFacts("regression", label_format="float")
    issues = check_compile(_mlp(1, None), "mean_squared_error", ("accuracy", "mae"), facts)
    (issue,) = issues
    assert issue.code == "regression-accuracy" and issue.fix == {"training": {"metrics": ["mae"]}}
    bad = check_compile(_mlp(1, None), "sparse_categorical_crossentropy", (), facts)
    assert "regression-classification-loss" in _codes(bad)


def test_images_not_rescaled() -> None:
    g = _mlp(10)
    facts = DataFacts("classification", n_classes=10, input_kind="images", input_max=255.0)
    assert "images-not-rescaled" in _codes(check_compile(g, "sparse_categorical_crossentropy", (), facts))
    scaled = DataFacts("classification", n_classes=10, input_kind="images", input_max=1.0)
    assert check_compile(g, "sparse_categorical_crossentropy", (), scaled) == []


def test_training_config_backward_compatible_and_problems() -> None:
    old = {"loss": "mse", "optimizer": "sgd", "learning_rate": 0.01, "metrics": ["mae"], "epochs": 3}
    cfg = TrainingConfig.from_dict(old)
    assert cfg.schedule == "constant" and cfg.terminate_on_nan and cfg.metrics == ("mae",)
    assert TrainingConfig.from_dict(cfg.to_dict()) == cfg
    bad = cfg.with_changes(epochs=0, learning_rate=-1.0, schedule="wobbly")
    text = " ".join(bad.problems())
    assert "received 0" in text and "received -1.0" in text and "'wobbly'" in text


def test_run_differences_lists_only_what_differs() -> None:
    a = RunRecord("r1", "t", config=TrainingConfig().to_dict(), graph=_mlp(3).to_dict())
    b = RunRecord("r2", "t", config=TrainingConfig(learning_rate=0.01).to_dict(), graph=_mlp(3).to_dict())
    diff = run_differences([a, b])
    assert diff == {"learning_rate": [0.001, 0.01]}
    assert RunRecord.from_dict(a.to_dict()) == a

    older = a.config.copy()
    del older["class_weight"]  # recorded before the setting existed: it trained unweighted, the default
    before = RunRecord("r0", "t", config=older, graph=_mlp(3).to_dict())
    assert run_differences([before, a]) == {}
    weighted = RunRecord("r3", "t", config=TrainingConfig(class_weight="balanced").to_dict(), graph=_mlp(3).to_dict())
    assert run_differences([before, weighted]) == {"class_weight": ["none", "balanced"]}


def test_binary_metrics_on_a_multiclass_model() -> None:
    (issue,) = check_compile(_mlp(3), "sparse_categorical_crossentropy", ("accuracy", "precision", "auc"), None)
    assert issue.code == "binary-metric-multiclass" and issue.fix == {"training": {"metrics": ["accuracy"]}}
    assert check_compile(_mlp(1, "sigmoid"), "binary_crossentropy", ("precision", "recall", "auc"), None) == []


def test_imbalanced_yes_no_data_watched_by_accuracy_alone_is_warned_with_the_metrics_to_add() -> None:
    from visualnn.core.tensors import rare_class_metrics, suggest_output

    assert rare_class_metrics((921, 79)) == ("precision", "recall")  # the rare class is class 1, Keras's positive
    assert rare_class_metrics((79, 921)) == ("auc",)  # class 0 rare: precision and recall would measure the other
    assert rare_class_metrics((600, 400)) == () and rare_class_metrics((5, 3, 1)) == ()
    assert suggest_output("binary", 2, 1, class_counts=(921, 79)).metrics == ("accuracy", "precision", "recall")
    assert suggest_output("binary", 2, 1, class_counts=(600, 400)).metrics == ("accuracy",)

    graph = _mlp(1, "sigmoid")
    fraud = DataFacts("classification", 2, input_shape=(4,), target_shape=(1,), source="fraud.csv",
                      class_counts=(921, 79), class_names=("no", "yes"))
    (issue,) = [i for i in check_compile(graph, "binary_crossentropy", ("accuracy",), fraud) if i.code == "rare-class"]
    assert issue.severity == "warning" and issue.fix == {"training": {"metrics": ["accuracy", "precision", "recall"],
                                                                      "class_weight": "balanced"}}
    assert issue.message.startswith("Class 'yes' has 79 of 1000 samples (8%) in fraud.csv: a model that always "
                                    "answers 'no' scores 92% accuracy")
    assert "Balanced class weights (Training, Fit) make each 'yes' sample weigh 11.7x a 'no' one" in issue.message
    (weighted,) = [i for i in check_compile(graph, "binary_crossentropy", ("accuracy",), fraud, "balanced")
                   if i.code == "rare-class"]  # already weighted: the fix only adds the metrics
    assert weighted.fix == {"training": {"metrics": ["accuracy", "precision", "recall"]}}
    assert "class weights" not in weighted.message.lower()
    assert "rare-class" not in _codes(check_compile(graph, "binary_crossentropy", ("accuracy", "precision", "recall"),
                                                    fraud))
    flipped = DataFacts("classification", 2, source="f.csv", class_counts=(79, 921), class_names=("no", "yes"))
    (issue,) = [i for i in check_compile(graph, "binary_crossentropy", ("accuracy",), flipped) if i.code == "rare-class"]
    assert issue.fix == {"training": {"metrics": ["accuracy", "auc"], "class_weight": "balanced"}}
    assert "precision and recall measure 'yes'" in issue.message
    balanced = DataFacts("classification", 2, source="b.csv", class_counts=(600, 400), class_names=("no", "yes"))
    assert "rare-class" not in _codes(check_compile(graph, "binary_crossentropy", ("accuracy",), balanced))


def test_balanced_class_weights_give_every_class_the_same_share_of_the_loss() -> None:
    from visualnn.core.tensors import balanced_class_weights

    weights = balanced_class_weights((633, 67))
    assert weights == {0: 700 / (2 * 633), 1: 700 / (2 * 67)}
    assert weights[0] * 633 == pytest.approx(weights[1] * 67)  # each class's samples weigh the same in total
    assert balanced_class_weights((10, 0, 30)) == {0: 2.0, 2: 40 / 60}  # an absent class is left to Keras's 1
    assert balanced_class_weights((5, 5, 5)) == {0: 1.0, 1: 1.0, 2: 1.0}


def test_balanced_class_weights_need_classes_one_target_and_fit() -> None:
    from visualnn.core.compile_options import check_class_weight_parts

    off = {"training": {"class_weight": "none"}}
    regression = DataFacts("regression", target_shape=(1,))
    (issue,) = [i for i in check_compile(_mlp(1), "mean_squared_error", ("mae",), None, "balanced")
                if i.code.startswith("class-weight")]
    assert issue.code == "class-weight-regression" and issue.severity == "error" and issue.fix == off
    assert "mean_squared_error is a regression loss" in issue.message
    assert "class-weight-regression" in _codes(check_compile(_mlp(1), "binary_crossentropy", (), regression, "balanced"))
    tags = DataFacts("classification", 3, label_format="multilabel", target_shape=(3,))
    (issue,) = [i for i in check_compile(_mlp(3, "sigmoid"), "binary_crossentropy", (), tags, "balanced")
                if i.code.startswith("class-weight")]
    assert issue.code == "class-weight-multilabel" and issue.fix == off
    fraud = DataFacts("classification", 2, target_shape=(1,), class_counts=(900, 100))
    assert not [c for c in _codes(check_compile(_mlp(1, "sigmoid"), "binary_crossentropy", (), fraud, "balanced"))
                if c.startswith("class-weight")]
    assert not [c for c in _codes(check_compile(_mlp(1), "mean_squared_error", (), regression)) if c.startswith("class")]

    two_heads = Graph(FUNCTIONAL)
    two_heads.add_node(Node("input_1", "Input", {"shape": [4]}))
    for head, units in (("kind", 3), ("score", 1)):
        two_heads.add_node(Node(f"dense_{head}", "Dense", {"units": units}, name=head))
        two_heads.connect(Edge.of("input_1", f"dense_{head}"))
    (issue,) = check_class_weight_parts(two_heads, "balanced")
    assert issue.code == "class-weight-parts" and "the model has 2 outputs (kind, score)" in issue.message
    assert issue.fix == off and check_class_weight_parts(two_heads, "none") == []
    assert check_class_weight_parts(_mlp(2), "balanced") == []
    (issue,) = check_class_weight_parts(_mlp(2), "balanced", named_parts=True)
    assert "images with their table" in issue.message

    assert TrainingConfig(class_weight="balanced").problems() == []
    (problem,) = TrainingConfig(class_weight="balanced", strategy="multiworker").problems()
    assert "multiworker strategy" in problem and "set Class weights to none" in problem
    assert TrainingConfig.from_dict({"class_weight": "heavy"}).problems() == [
        "Class weights must be one of none, balanced; received 'heavy'."]
