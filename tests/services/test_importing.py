"""Import of .keras archives and Keras JSON configs: same architecture, safe parsing, weights."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.tf


def _architecture(model: Any) -> dict[str, tuple[str, str]]:
    """Layer name -> (class, config without name) for every non-input layer, nested models flattened."""
    out: dict[str, tuple[str, str]] = {}
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.__class__.__name__ in ("Functional", "Sequential"):
            out.update(_architecture(layer))
            continue
        if layer.__class__.__name__ == "InputLayer":
            continue
        cfg = {k: v for k, v in layer.get_config().items() if k != "name"}
        out[layer.name] = (layer.__class__.__name__, json.dumps(cfg, sort_keys=True, default=list))
    return out


def _round_trip(model: Any) -> Any:
    from visualnn.services.importing import graph_from_config
    from visualnn.services.keras_builder import build_model

    result = graph_from_config(json.loads(model.to_json()))
    rebuilt = build_model(result.graph)
    assert rebuilt.count_params() == model.count_params()
    assert _architecture(rebuilt) == _architecture(model)
    assert all(n.pos != (0.0, 0.0) for n in list(result.graph)[1:]), "nodes are laid out"
    return result


def test_sequential_round_trip_maps_to_catalog_nodes() -> None:
    import keras

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax", kernel_initializer="he_normal"),
        ]
    )
    result = _round_trip(model)
    assert result.generic == []
    assert result.graph.mode == "sequential"
    assert [n.type for n in result.graph] == ["Input", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense"]
    dense = [n for n in result.graph if n.type == "Dense"][0]
    assert dense.params["units"] == 10 and dense.params["kernel_initializer"] == "he_normal"


def test_initializers_with_settings_import_as_catalog_nodes_and_export_as_code(tmp_path: Path) -> None:
    """EfficientNet's convolutions start from VarianceScaling(scale 2, fan_out, truncated normal): catalog nodes."""
    import keras

    from visualnn.core.codegen import generate_model_code
    from visualnn.core.project import Project

    efficient = keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")
    dense_init = keras.initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_out", distribution="uniform")
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False, kernel_initializer=efficient)(inputs)
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False, depthwise_initializer=efficient)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(2, kernel_initializer=dense_init,
                                 bias_initializer=keras.initializers.Constant(0.5))(x)
    model = keras.Model(inputs, outputs)
    result = _round_trip(model)
    assert result.generic == []
    conv = next(n for n in result.graph if n.type == "Conv2D")
    assert conv.params["kernel_initializer"] == {
        "class_name": "VarianceScaling",
        "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal", "seed": None},
    }
    assert next(n for n in result.graph if n.type == "DepthwiseConv2D").params["depthwise_initializer"] == \
        conv.params["kernel_initializer"]
    project = Project()
    project.graph = result.graph
    code = generate_model_code(project, "functional")
    assert "kernel_initializer=keras.initializers.VarianceScaling(" in code and 'mode="fan_out"' in code
    from tests.services.test_codegen_parity import load_module

    exported = load_module(code, tmp_path / "efficient_code.py").build_model()
    assert _architecture(exported) == _architecture(model)


def test_multi_input_functional_with_nested_model_keeps_it_as_a_block() -> None:
    import keras

    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    merged = keras.layers.Concatenate()([a, b])
    hidden = keras.layers.Dense(5, activation="relu")(merged)
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)], name="inner")
    model = keras.Model([a, b], [inner(hidden), hidden])
    result = _round_trip(model)
    inputs = [n for n in result.graph if n.type == "Input"]
    assert [n.label for n in inputs] == ["a", "b"]
    assert [(n.type, n.params) for n in result.graph if n.type == "Block"] == [("Block", {"block": "inner"})]
    assert [n.type for n in result.graph.blocks["inner"].graph] == ["Input", "Dense"]


def test_non_default_unknown_kwarg_keeps_a_generic_node_that_builds() -> None:
    import keras

    # ActivityRegularization is outside the catalog: it must survive as a generic node with its config.
    x = keras.Input((8,))
    y = keras.layers.ActivityRegularization(l1=0.25, name="penalty")(keras.layers.Dense(4)(x))
    result = _round_trip(keras.Model(x, y))
    assert result.generic == ["penalty"]
    node = [n for n in result.graph if n.label == "penalty"][0]
    assert node.type == "KerasLayer" and json.loads(node.params["config"])["config"]["l1"] == 0.25
    assert node.params["output_shape"] == [4]


@pytest.mark.parametrize("app", ["MobileNetV2", "ResNet50"])
def test_keras_applications_round_trip(app: str) -> None:
    import keras

    model = getattr(keras.applications, app)(weights=None, input_shape=(96, 96, 3), classes=10)
    _round_trip(model)


@pytest.mark.slow
@pytest.mark.parametrize("app", ["DenseNet121", "EfficientNetB0", "InceptionV3", "VGG16"])
def test_heavier_keras_applications_round_trip(app: str) -> None:
    import keras

    size = 96 if app != "InceptionV3" else 128
    model = getattr(keras.applications, app)(weights=None, input_shape=(size, size, 3), classes=10)
    result = _round_trip(model)
    if app == "EfficientNetB0":
        # Its VarianceScaling convolutions and channel-wise Dropout (noise_shape) are catalog layers.
        assert result.generic == []


def test_lambda_model_is_refused_without_running_it(tmp_path: Path) -> None:
    from visualnn.services.importing import ModelImportError, import_model

    config = {
        "class_name": "Sequential",
        "config": {
            "name": "evil",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "x"}},
                {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "boom", "function": "..."}},
            ],
        },
    }
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(config))
    with pytest.raises(ModelImportError, match="'boom' is a Lambda layer"):
        import_model(path)


def test_custom_object_is_refused(tmp_path: Path) -> None:
    from visualnn.services.importing import ModelImportError, import_model

    config = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {
                    "module": "my_package.layers",
                    "class_name": "Fancy",
                    "registered_name": "my_package>Fancy",
                    "config": {"name": "fancy"},
                    "name": "fancy",
                    "inbound_nodes": [],
                }
            ],
            "input_layers": [],
            "output_layers": [],
        },
    }
    archive = tmp_path / "custom.keras"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("config.json", json.dumps(config))
    with pytest.raises(ModelImportError, match="custom object 'my_package>Fancy'"):
        import_model(archive)


def test_not_a_model_file_names_the_problem(tmp_path: Path) -> None:
    from visualnn.services.importing import ModelImportError, import_model

    path = tmp_path / "x.json"
    path.write_text('{"class_name": "Dense", "config": {}}')
    with pytest.raises(ModelImportError, match="'Dense'"):
        import_model(path)
    with pytest.raises(ModelImportError, match="does not exist"):
        import_model(tmp_path / "missing.keras")


def test_keras_archive_with_weights_round_trips(tmp_path: Path) -> None:
    import keras
    import numpy as np

    from visualnn.services.imported_weights import import_weights
    from visualnn.services.importing import import_model

    keras.utils.set_random_seed(1)
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Dense(2, name="head")(keras.layers.Concatenate(name="cat")([a, b]))
    model = keras.Model([a, b], out)
    path = tmp_path / "m.keras"
    model.save(path)
    result = import_model(path)
    saved = import_weights(path, result.graph, tmp_path / "imported.keras")
    reloaded = keras.saving.load_model(saved)
    xa, xb = np.ones((3, 4), "float32"), np.ones((3, 3), "float32")
    np.testing.assert_allclose(reloaded.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0), atol=1e-6)


def test_a_model_on_a_dict_of_named_inputs_imports_with_its_weights(tmp_path: Path) -> None:
    """Keras 3 writes ``input_layers`` as a dict for ``keras.Model({"a": a, "b": b}, y)``: refused before as
    "the file is damaged or was not written by Keras"."""
    import keras
    import numpy as np

    from visualnn.services.imported_weights import import_weights
    from visualnn.services.importing import import_model

    keras.utils.set_random_seed(3)
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    model = keras.Model({"a": a, "b": b}, keras.layers.Dense(2, name="head")(keras.layers.Concatenate(name="cat")([a, b])))
    path = tmp_path / "named.keras"
    model.save(path)
    result = import_model(path)
    assert [n.id for n in result.graph if n.type == "Input"] == ["a", "b"]
    reloaded = keras.saving.load_model(import_weights(path, result.graph, tmp_path / "imported.keras", result.weight_paths))
    xa, xb = np.ones((3, 4), "float32"), np.full((3, 3), 2.0, "float32")
    np.testing.assert_allclose(reloaded.predict([xa, xb], verbose=0), model.predict({"a": xa, "b": xb}, verbose=0),
                               atol=1e-6)


def test_the_apps_export_with_preprocessing_imports_as_the_trained_model_it_wraps(tmp_path: Path) -> None:
    """Its StringLookup, ops.where and Normalization in front came in as 18 generic nodes with 5 errors."""
    import keras
    import numpy as np

    from visualnn.core.dataset import DatasetSpec
    from visualnn.services.datasets.sources import load_csv_arrays
    from visualnn.services.imported_weights import import_weights
    from visualnn.services.importing import import_model
    from visualnn.services.preprocessing import raw_model

    rng = np.random.default_rng(4)
    rows = ["age,city,label"] + [f"{rng.normal(40, 9):.1f},{rng.choice(['Lyon', 'Nice', ''])},{rng.choice(['a', 'b'])}"
                                 for _ in range(60)]
    (tmp_path / "people.csv").write_text("\n".join(rows) + "\n")
    arrays = load_csv_arrays(DatasetSpec("csv", str(tmp_path / "people.csv"), {}))
    width = arrays.x["train"].shape[1]
    keras.utils.set_random_seed(4)
    trained = keras.Sequential([keras.Input((width,)), keras.layers.Dense(5, activation="relu"),
                                keras.layers.Dense(2, activation="softmax")], name="classifier")
    path = tmp_path / "exported.keras"
    raw_model(trained, arrays.stats, "keras").model.save(path)
    result = import_model(path)
    assert [n.type for n in result.graph] == ["Input", "Dense", "Dense"] and not result.generic
    assert "exported with its preprocessing in front" in result.warnings[0]
    reloaded = keras.saving.load_model(import_weights(path, result.graph, tmp_path / "imported.keras", result.weight_paths))
    x = arrays.x["train"][:8]
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), trained.predict(x, verbose=0), atol=1e-6)


def test_nested_model_weights_load_into_its_block(tmp_path: Path) -> None:
    import keras
    import numpy as np

    from visualnn.services.imported_weights import import_weights
    from visualnn.services.importing import import_model

    keras.utils.set_random_seed(2)
    a = keras.Input((4,), name="a")
    inner = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(3, name="d_in"), keras.layers.BatchNormalization(name="bn")], name="inner"
    )
    model = keras.Model(a, inner(keras.layers.Dense(5, activation="relu", name="d_out")(a)))
    # Non-trivial batch-norm statistics, so a wrong mapping would show.
    model.get_layer("inner").get_layer("bn").set_weights([np.full(3, 2.0), np.full(3, 0.5), np.full(3, 0.1), np.full(3, 3.0)])
    path = tmp_path / "nested.keras"
    model.save(path)
    result = import_model(path)
    assert [n.type for n in result.graph] == ["Input", "Dense", "Block"]
    assert [n.type for n in result.graph.blocks["inner"].graph] == ["Input", "Dense", "BatchNormalization"]
    saved = import_weights(path, result.graph, tmp_path / "flat.keras", result.weight_paths)
    flat = keras.saving.load_model(saved)
    x = np.random.default_rng(0).standard_normal((6, 4)).astype("float32")
    np.testing.assert_allclose(flat.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_core_snake_case_is_keras_to_snake_case() -> None:
    import keras
    from keras.src.utils.naming import to_snake_case

    from visualnn.core.names import snake_case

    names = [n for mod in (keras.layers, keras.initializers, keras.regularizers, keras.constraints)
             for n in dir(mod) if n[:1].isupper()]
    assert len(names) > 100
    assert {n: snake_case(n) for n in names} == {n: to_snake_case(n) for n in names}
