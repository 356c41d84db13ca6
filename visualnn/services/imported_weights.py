"""Load an imported Keras model's own weights into the graph VisualNN made of it, and save it as ``.keras``.

Weights that the archive cannot hold are refused before the model is built (a ``model.weights.h5`` entry that
inflates like a zip bomb, or fewer bytes than the graph has weights); weights load by Keras's own layer paths,
or layer by layer from the paths the import recorded for flattened nested models.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from visualnn.core.graph import Graph
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE
from visualnn.services.keras_config import MB, ModelImportError, is_hdf5

MAX_WEIGHTS_INFLATION = 20
"""How many times its stored size a large ``model.weights.h5`` zip entry may inflate. Keras stores the
weights uncompressed and trained weights barely deflate; a higher ratio is a zip bomb."""

INFLATION_CHECKED_FROM = 64 * MB
"""Weights entries smaller than this are not checked for inflation (small zero-filled models deflate well)."""


def import_weights(
    path: str | Path, graph: Graph, out_path: str | Path, weight_paths: dict[str, str] | None = None
) -> str:
    """Rebuild ``graph``, load the archive's weights into it and save it as ``out_path`` (.keras).

    Weights load by Keras's own layer paths; for flattened nested models each layer is loaded
    from the path ``weight_paths`` recorded for its node during the import.
    """
    import tempfile

    from visualnn.services.keras_builder import build_model

    p = Path(path)
    if is_hdf5(p):
        _check_weights_fit(graph, p.stat().st_size, p.name, p.name)
        model = build_model(graph)
        try:
            model.load_weights(p)  # a legacy .h5 model: Keras reads its model_weights group
        except Exception as exc:
            raise ModelImportError(
                f"The weights in {p.name} do not match the imported graph ({exc}); import without weights."
            ) from None
        return _save(model, out_path)
    if not zipfile.is_zipfile(p):
        raise ModelImportError(f"{p.name} has no weights: only .keras and .h5 model files carry them.")
    with zipfile.ZipFile(p) as archive, tempfile.TemporaryDirectory() as tmp:
        try:
            info = archive.getinfo("model.weights.h5")
        except KeyError:
            raise ModelImportError(f"{p.name} holds no model.weights.h5; import it without weights.") from None
        _check_weights_entry(graph, info, p.name)
        model = build_model(graph)  # only now: the archive can hold every weight the model allocates
        weights = Path(archive.extract(info, tmp))
        try:
            model.load_weights(weights)
        except Exception as exc:
            # Layer by layer reaches only the outer model's layers: with blocks it would leave theirs untrained.
            if not weight_paths or any(node.type == BLOCK_TYPE for node in graph):
                raise ModelImportError(
                    f"The weights in {p.name} do not match the imported graph ({exc}); import without weights."
                ) from None
            _load_by_layer(model, graph, weights, weight_paths, p.name)
    return _save(model, out_path)


def _check_weights_entry(graph: Graph, info: zipfile.ZipInfo, source: str) -> None:
    """Refuse a ``model.weights.h5`` entry that inflates like a zip bomb or cannot hold the model's weights."""
    if info.file_size >= INFLATION_CHECKED_FROM and info.file_size > MAX_WEIGHTS_INFLATION * max(info.compress_size, 1):
        raise ModelImportError(
            f"{source}: its model.weights.h5 inflates from {info.compress_size:,} to {info.file_size:,} bytes, more "
            f"than {MAX_WEIGHTS_INFLATION} times; Keras stores weights uncompressed and real weights barely "
            "compress, so the file is damaged or crafted. Import it without weights."
        )
    _check_weights_fit(graph, info.file_size, source, "its model.weights.h5")


def _check_weights_fit(graph: Graph, size: int, source: str, where: str) -> None:
    """Refuse, before building the model, weights that ``size`` bytes cannot hold (at least a byte each)."""
    total = infer_shapes(graph).total_params
    if total > size:
        raise ModelImportError(
            f"{source}: the imported model has {total:,} weights but {where} holds only {size:,} bytes, so it "
            "cannot carry them (each weight takes at least one byte); the file is damaged or crafted. "
            "Import it without weights."
        )


def _save(model: Any, out_path: str | Path) -> str:
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    return str(out)


def _load_by_layer(model: Any, graph: Graph, weights: Path, paths: dict[str, str], source: str) -> None:
    """Load each layer from its own path in the weights file (flattened nested models)."""
    from keras.src.saving.saving_lib import H5IOStore, _load_state

    store = H5IOStore(str(weights), mode="r")
    try:
        for nid, inner in paths.items():
            label = graph.nodes[nid].label if nid in graph.nodes else nid
            try:
                _load_state(model.get_layer(label), weights_store=store, assets_store=None, inner_path=inner,
                            visited_saveables=set())
            except Exception as exc:
                raise ModelImportError(
                    f"Layer {label!r}: its weights in {source} could not be loaded ({exc}); import without weights."
                ) from None
    finally:
        store.close()
