"""The exported script's distribution part: strategies, mixed precision and the multi-worker launch block."""

from __future__ import annotations

import ast

import pytest

from visualnn.core.codegen import CodegenError, generate_script
from visualnn.core.codegen.distribute_snippets import launch_comment
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig


def _project(**training: object) -> Project:
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [4]}))
    g.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}))
    g.add_node(Node("dense_2", "Dense", {"units": 3, "activation": "softmax"}))
    g.connect(Edge.of("input_1", "dense_1"))
    g.connect(Edge.of("dense_1", "dense_2"))
    return Project(graph=g, name="dist", dataset=None,
                   training=TrainingConfig(epochs=2, batch_size=16, **training))  # type: ignore[arg-type]


def _main_body(code: str) -> str:
    return code[code.index("def main("):]


def test_auto_is_the_plain_script() -> None:
    project = _project()
    assert generate_script(project, strategy="auto") == generate_script(project)
    assert "tf.distribute" not in generate_script(project)


def test_mirrored_scales_the_batch_and_creates_the_strategy_first() -> None:
    code = generate_script(_project(), strategy="mirrored")
    ast.parse(code)
    body = _main_body(code)
    assert body.index("tf.distribute.MirroredStrategy()") < body.index("load_data()")
    assert "global_batch = args.batch_size * strategy.num_replicas_in_sync" in body
    assert "make_dataset(x_train, y_train, global_batch, training=True)" in body
    assert "with strategy.scope():" in body
    assert "# One machine, several GPUs" in code


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_sets_the_policy_before_building_and_keeps_outputs_float32(policy: str) -> None:
    body = _main_body(generate_script(_project(mixed_precision=policy)))
    set_policy = body.index(f'keras.mixed_precision.set_global_policy("{policy}")')
    assert set_policy < body.index("model = build_model()") < body.index('dtype_policy = "float32"')
    assert "set_global_policy" not in _main_body(generate_script(_project(mixed_precision=False)))
    assert 'set_global_policy("mixed_float16")' in generate_script(_project(mixed_precision=True))  # old bool


def test_multiworker_script_uses_a_custom_loop_with_per_worker_checkpoints() -> None:
    code = generate_script(_project(mixed_precision="mixed_bfloat16"), strategy="multiworker")
    ast.parse(code)
    body = _main_body(code)
    assert body.index("tf.distribute.MultiWorkerMirroredStrategy()") < body.index("load_data()")
    for needle in ("strategy.run(replica_step", "strategy.reduce(tf.distribute.ReduceOp.SUM",
                   "AutoShardPolicy.DATA", "rebatch(global_batch, drop_remainder=True)",
                   "tf.train.CheckpointManager", 'f"worker-{task_id', "if is_chief:", "model.save(args.output)",
                   'set_global_policy("mixed_bfloat16")'):
        assert needle in body, needle
    assert "model.fit(" not in body  # model.fit fails under 2-worker MWMS in Keras 3.15.1
    assert code.count('\\"type\\": \\"worker\\", \\"index\\": ') == 2


def test_launch_comment_scales_to_n_machines() -> None:
    lines = launch_comment("multiworker", n_workers=4)
    assert all(line.startswith("#") or not line for line in lines)
    assert sum("python this_script.py" in line for line in lines) == 4
    assert launch_comment(None) == []


def test_unknown_export_strategy_is_refused() -> None:
    with pytest.raises(CodegenError, match="must be auto, mirrored or multiworker; received 'tpu'"):
        generate_script(_project(), strategy="tpu")


def _chief_saves(code: str) -> list[str]:
    """The statements under ``if is_chief:`` in ``main()``, as source (the chief alone saves the model)."""
    main = next(n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef) and n.name == "main")
    block = next(n for n in ast.walk(main) if isinstance(n, ast.If) and ast.unparse(n.test) == "is_chief")
    return [ast.unparse(statement) for statement in block.body]


@pytest.mark.parametrize("kind", ["csv", "numpy"])
def test_multiworker_chief_saves_the_model_behind_its_preprocessing_layers(kind: str) -> None:
    from tests.core.test_codegen_script import csv_facts
    from visualnn.core.dataset import DatasetSpec

    project = _project()
    facts = csv_facts()
    if kind == "numpy":
        facts = {key: facts[key] for key in ("val", "test", "split_seed", "stratify", "target_encoding", "scaling",
                                             "task")}
        facts.update(path="data.npz", features_array="x", targets_array="y", targets_path=None)
    project.dataset = DatasetSpec(kind, str(facts["path"]), {})
    code = generate_script(project, strategy="multiworker", facts=facts)
    compile(code, "train.py", "exec")
    assert "def with_preprocessing(model):" in code
    assert _chief_saves(code) == ["with_preprocessing(model).save(args.output)",
                                      "print('Saved the trained model, taking raw inputs, to', args.output)"]
    # Without data the script's random arrays need no preprocessing: the chief saves the model itself.
    assert _chief_saves(generate_script(_project(), strategy="multiworker")) == [
        "model.save(args.output)", "print('Saved the trained model to', args.output)"]
