"""Fuzzing the ``.keras`` import: archives whose ``config.json`` is a mutated small model import or are refused
with :class:`ModelImportError`, never another exception.

The seeds are a small Functional model (Dense, LayerNormalization with a non-default setting, so a generic
node is built through Keras, and Dense) and a Sequential one (:mod:`tests.reliability.fuzz_inputs`). Mutations
change any value of the config (types, nesting, huge and non-finite numbers, unicode, missing and extra keys);
some archives are damaged as zips too. The import is :func:`import_model`, the path of ``visualnn
import-model`` and File > Import. The ``@example`` inputs are the failures fuzzing found.
"""

from __future__ import annotations

import copy
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given

from tests.reliability.fuzz import fuzz_settings
from tests.reliability.fuzz_inputs import KERAS_SEED, STRATEGIES, Generated, run_case

pytestmark = pytest.mark.tf


def _archive(config: Any, corrupt: bool = False) -> Generated:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", json.dumps(config))
    raw = bytearray(buf.getvalue())
    if corrupt:  # the deflate stream of config.json, right after its local header
        start = 30 + len("config.json")
        raw[start:start + 4] = b"\xff\xff\xff\xff"
    return Generated("keras", "model.keras", {"model.keras": bytes(raw)})


def _seed_with(path: list[str | int], value: Any) -> Generated:
    """The Functional seed with the value at ``path`` replaced (``...`` deletes it)."""
    config = copy.deepcopy(KERAS_SEED)
    target = config
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return _archive(config)


LAYERS = ["config", "layers"]
CALL = [*LAYERS, 1, "inbound_nodes", 0]


@fuzz_settings(40)
@given(generated=STRATEGIES["keras"])
# Fields of the wrong JSON type: AttributeError, TypeError, IndexError, OverflowError, ValueError escaped.
@example(generated=_seed_with(["config"], [1]))
@example(generated=_seed_with(LAYERS, 3))
@example(generated=_seed_with([*LAYERS, 1], None))
@example(generated=_seed_with([*LAYERS, 1, "config"], [1]))
@example(generated=_seed_with([*LAYERS, 0, "config"], [1]))
@example(generated=_seed_with([*LAYERS, 0, "config", "batch_shape"], 4.5))
@example(generated=_seed_with(["config", "output_layers"], [["out", 0, 1e999]]))
@example(generated=_seed_with(["config", "input_layers"], 3))
@example(generated=_seed_with([*CALL, "args"], 2.5))
@example(generated=_seed_with([*CALL, "kwargs"], "x"))
@example(generated=_seed_with([*CALL, "args", 0, "config", "keras_history"], ["x", []]))
@example(generated=_seed_with([*CALL, "args", 0, "config", "keras_history"], []))
# A call on a layer defined nowhere: KeyError.
@example(generated=_seed_with([*CALL, "args", 0, "config", "keras_history"], ["nowhere", 0, 0]))
# A corrupt deflate stream: zlib.error.
@example(generated=_archive(KERAS_SEED, corrupt=True))
def test_mutated_keras_archives_import_or_are_refused(generated: Generated) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        run_case(generated.write(Path(folder)))


def test_the_seed_model_imports_with_a_generic_node() -> None:
    # The fuzzing above starts from a model that converts: a catalog Dense and a generic LayerNormalization
    # (rms_scaling on), so mutations reach both the catalog round trip and Keras's own deserialization.
    from visualnn.services.importing import import_model

    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        case = _archive(KERAS_SEED).write(Path(folder))
        result = import_model(case.path)
    assert [n.type for n in result.graph] == ["Input", "Dense", "KerasLayer", "Dense"]
    assert result.generic == ["norm"]
