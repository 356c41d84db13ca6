"""KerasHub ResNet presets before and while the engine builds them: a preset directory's architecture read from its
``config.json`` (TF-free), and a message naming the node for each preset that cannot be had.

A built-in preset name (``resnet_50_imagenet``) is downloaded from Kaggle into kagglehub's cache on first use;
offline, the build says so at once instead of failing deep in ``requests``. A directory must hold a ResNet
``config.json`` and an HDF5 ``model.weights.h5``. ``keras_hub`` itself is imported only to build, in the engine
or the command line (``pip install "visualnn[hub]"``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from visualnn.core.specs import KerasCall
from visualnn.core.specs.builtin.hub import (
    FROM_PRESET,
    HUB_CLASS,
    PRESETS,
    ResNetFacts,
    facts_params,
    is_builtin,
    node_facts,
    resnet_facts,
)
from visualnn.services.backbones import HDF5_MAGIC, BackboneError, server_reachable

KAGGLE_HOST = "api.kaggle.com"
"""Where KerasHub (kagglehub) downloads built-in presets from."""
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
INSTALL = 'KerasHub is not installed: pip install "visualnn[hub]" (or pip install keras-hub), then restart VisualNN.'
FIXES = ("Fixes: choose 'preset folder...' beside preset in the inspector (a directory written by "
         "backbone.save_to_preset, or a copy of a downloaded preset), or pick a built-in preset while online.")


def kagglehub_cache_dir() -> Path:
    """Where kagglehub keeps downloaded models (``$KAGGLEHUB_CACHE`` or ``~/.cache/kagglehub``)."""
    return Path(os.environ.get("KAGGLEHUB_CACHE") or Path.home() / ".cache" / "kagglehub")


def read_preset_facts(folder: str | Path, label: str = "The KerasHub backbone") -> ResNetFacts:
    """The architecture facts of a local ResNet preset directory, from its ``config.json`` (no TensorFlow)."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise BackboneError(f"{label}: the preset directory {path} does not exist. {FIXES}")
    config_file = path / CONFIG_FILE
    if not config_file.is_file():
        raise BackboneError(f"{label}: {path} is not a KerasHub preset directory (it has no {CONFIG_FILE}). {FIXES}")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackboneError(f"{label}: the preset's {config_file} cannot be read as JSON ({exc}). {FIXES}") from exc
    name = str(config.get("registered_name") or config.get("class_name") or "") if isinstance(config, dict) else ""
    if not name.endswith(HUB_CLASS):
        raise BackboneError(
            f"{label}: {path} is a KerasHub preset of {name or 'an unknown model'}, not of a ResNet "
            f"({HUB_CLASS}). Choose a ResNet preset directory. {FIXES}"
        )
    try:
        return resnet_facts(config.get("config") or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise BackboneError(f"{label}: the ResNet config in {config_file} is not one VisualNN can read "
                            f"({type(exc).__name__}: {exc}). {FIXES}") from exc


def preset_params(folder: str | Path, label: str = "The KerasHub backbone") -> dict[str, Any]:
    """The node settings for a chosen preset directory: its path and its facts."""
    facts = read_preset_facts(folder, label)
    return {"preset": str(Path(folder).expanduser()), **facts_params(facts)}


def preset_of(call: KerasCall) -> str:
    """The preset a KerasHub node's Sequential loads."""
    for item in call.kwargs.get("layers") or []:
        if isinstance(item, KerasCall) and item.class_path == FROM_PRESET:
            return str(item.kwargs["preset"])
    raise BackboneError(f"{call.class_path} holds no {FROM_PRESET} call.")


def check_preset(label: str, params: dict[str, Any], reachable: Callable[[], bool] | None = None) -> None:
    """Raise :class:`BackboneError` when the node's preset cannot be loaded: a built-in preset neither cached nor
    downloadable, a directory that is missing, not a ResNet preset, changed since it was chosen, or whose
    weights file is missing or damaged."""
    preset = str(params.get("preset"))
    if is_builtin(preset):
        cached = any(kagglehub_cache_dir().glob(f"models/keras/*/keras/{preset}/*/{CONFIG_FILE}"))
        if not cached and not (reachable or (lambda: server_reachable(KAGGLE_HOST)))():
            raise BackboneError(offline_message(label, preset))
        return
    facts = read_preset_facts(preset, label)
    if facts != node_facts(label, params):
        raise BackboneError(
            f"{label}: the preset directory {preset} holds another ResNet than when it was chosen (its config.json "
            "changed). Choose it again with 'preset folder...' so the shapes and parameter counts are read anew."
        )
    weights = Path(preset).expanduser() / WEIGHTS_FILE
    if not weights.is_file():
        raise BackboneError(f"{label}: the preset directory {preset} has no {WEIGHTS_FILE}. {FIXES}")
    with weights.open("rb") as fh:
        head = fh.read(8)
    if head != HDF5_MAGIC:
        raise BackboneError(
            f"{label}: the weights file {weights} is damaged or not an HDF5 (.h5) file, so it holds no ResNet "
            f"weights. {FIXES}"
        )


def offline_message(label: str, preset: str) -> str:
    """A built-in preset that needs the network while there is none."""
    return (
        f"{label}: the KerasHub preset {preset} is not on this computer and Kaggle ({KAGGLE_HOST}) cannot be "
        f"reached; built-in presets need the network once (they are kept in {kagglehub_cache_dir()}), or a "
        f"local preset directory. {FIXES}"
    )


def build(label: str, params: dict[str, Any], call: KerasCall, make: Callable[..., Any]) -> Any:
    """``make(call, name=label)`` for a KerasHub node, its preset checked first and Keras's refusal put in the
    user's words."""
    try:
        import_keras_hub()
    except BackboneError as exc:
        raise BackboneError(f"{label}: {exc}") from exc
    check_preset(label, params)
    try:
        return make(call, name=label)
    except BackboneError:
        raise
    except Exception as exc:
        raise BackboneError(build_failure(label, params, exc)) from exc


def build_failure(label: str, params: dict[str, Any], exc: BaseException) -> str:
    """KerasHub refused to load a preset: why, for the node ``label``."""
    preset = str(params.get("preset"))
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, ModuleNotFoundError) and "keras_hub" in text:
        return f"{label}: {INSTALL}"
    if is_builtin(preset) and any(word in text for word in ("Connection", "resolve", "kaggle", "HTTP")):
        return offline_message(label, preset) + f" KerasHub said: {text}"
    where = f"the built-in preset {preset}" if preset in PRESETS else f"the preset directory {preset}"
    return f"{label}: KerasHub could not load {where}. KerasHub said: {text} {FIXES}"


def import_keras_hub() -> Any:
    """``keras_hub``, or a message that says how to install it."""
    try:
        import keras_hub  # type: ignore[import-untyped]
    except ModuleNotFoundError as exc:
        raise BackboneError(INSTALL) from exc
    return keras_hub
