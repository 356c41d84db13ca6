"""Pretrained backbones before and while Keras builds them: weights that are there, or a message that says why not.

``keras.applications`` downloads ImageNet weights on first use. Offline, that would wait on the network
and end in a traceback; here the build first looks in Keras's cache, and when the file is missing and the
download server cannot be reached within a few seconds, it stops with a message naming the file, the folder
Keras looks in, and the two fixes (a weights file, or random weights). A weights file of another network, or
a damaged one, gets a message naming the node too. TF-free: Keras itself is only imported to build.
"""

from __future__ import annotations

import os
import socket
import threading
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from visualnn.core.specs import KerasCall
from visualnn.core.specs.builtin.pretrained import IMAGENET, Family, family_of

DOWNLOAD_HOST = "storage.googleapis.com"
"""Where keras.applications downloads weights from."""
PROBE_SECONDS = 4.0
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
FIXES = ("Fixes: choose 'weights from file...' beside weights in the inspector (a copy of that file, or weights "
         "saved from the same network), or set weights to None (random weights) to train it from scratch.")


class BackboneError(ValueError):
    """A backbone that cannot be built; the message names the node, the file and the fix."""


def keras_cache_dir() -> Path:
    """The folder ``keras.utils.get_file`` keeps downloaded weights in (``$KERAS_HOME`` or ``~/.keras``, then
    ``models``), with Keras's own fall-back to ``/tmp/.keras`` when that is not writable."""
    home = os.environ.get("KERAS_HOME")
    if home is None:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    base_dir = os.path.expanduser(home)
    if not os.access(base_dir, os.W_OK) and os.path.isdir("/tmp"):
        base_dir = os.path.join("/tmp", ".keras")
    return Path(base_dir) / "models"


def server_reachable(host: str = DOWNLOAD_HOST, seconds: float = PROBE_SECONDS) -> bool:
    """Whether a TCP connection to ``host`` opens within ``seconds`` (the name look-up included, which
    ``socket`` itself cannot time out: it runs on a daemon thread that is left behind if it hangs)."""
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, 443), timeout=seconds):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, name="weights-probe", daemon=True)
    thread.start()
    thread.join(seconds)
    return bool(result and result[0])


def application_call(call: KerasCall) -> KerasCall:
    """The ``keras.applications`` call inside a backbone node's Sequential."""
    layers = call.kwargs.get("layers") or []
    for item in layers:
        if isinstance(item, KerasCall) and item.class_path.startswith("keras.applications."):
            return item
    raise BackboneError(f"{call.class_path} holds no keras.applications network.")


def check_weights(
    label: str,
    type_id: str,
    call: KerasCall,
    cache_dir: Path | None = None,
    reachable: Callable[[], bool] = server_reachable,
) -> None:
    """Raise :class:`BackboneError` when the node's weights cannot be had without waiting on the network or
    failing inside Keras: ImageNet weights neither cached nor downloadable, a missing or damaged file."""
    family = family_of(type_id)
    if family is None:
        return
    app = application_call(call)
    weights = app.kwargs.get("weights")
    if weights is None:
        return
    if weights == IMAGENET:
        _check_imagenet(label, family, app, cache_dir or keras_cache_dir(), reachable)
        return
    _check_file(label, family, Path(str(weights)))


def _check_imagenet(label: str, family: Family, app: KerasCall, folder: Path,
                    reachable: Callable[[], bool]) -> None:
    shape = app.kwargs.get("input_shape") or (None, None, 3)
    name = family.imagenet_file(bool(app.kwargs.get("include_top")), shape[0] if shape[0] == shape[1] else None)
    if (folder / name).is_file() or reachable():
        return  # cached, or Keras downloads it (once) into that folder
    raise BackboneError(
        f"{label}: the ImageNet weights of {family.name} are not on this computer and the download server "
        f"({DOWNLOAD_HOST}) cannot be reached. Keras looks for the file {name} in the folder {folder}. {FIXES}"
    )


def _check_file(label: str, family: Family, path: Path) -> None:
    if not path.is_file():
        raise BackboneError(f"{label}: the weights file {path} does not exist. {FIXES}")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise BackboneError(f"{label}: the weights file {path} cannot be read ({exc.strerror}). {FIXES}") from exc
    readable = zipfile.is_zipfile(path) if path.suffix == ".keras" else head == HDF5_MAGIC
    if not readable:
        kind = "a .keras (zip) file" if path.suffix == ".keras" else "an HDF5 (.h5) file"
        raise BackboneError(
            f"{label}: the weights file {path} is damaged or not {kind}, so it holds no {family.name} weights. "
            f"{FIXES}"
        )


def build(label: str, type_id: str, call: KerasCall, make: Callable[..., Any]) -> Any:
    """``make(call, name=label)`` for a backbone node, its weights checked first; a weights file Keras only
    partly loads (it warns and keeps random weights for the rest) is refused like one it cannot load."""
    check_weights(label, type_id, call)
    weights = application_call(call).kwargs.get("weights")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = make(call, name=label)
    skipped = [str(w.message) for w in caught if "saving" in w.filename and "Skipping" in str(w.message)]
    if skipped and weights not in (None, IMAGENET):
        raise BackboneError(build_failure(label, type_id, call, skipped[0]))
    for w in caught:  # what is not about the weights goes on to the log as before
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return layer


def build_failure(label: str, type_id: str, call: KerasCall, message: str) -> str:
    """Keras refused to build a backbone: why, in the user's words, for the node ``label``."""
    family = family_of(type_id)
    name = family.name if family else type_id
    weights = application_call(call).kwargs.get("weights")
    if weights not in (None, IMAGENET):
        return (
            f"{label}: the weights file {weights} does not fit {name} with these settings (it was saved from "
            f"another network, or with another include_top, classes or input channels). Keras said: {message} "
            f"{FIXES}"
        )
    return f"{label}: Keras could not build {name}. Keras said: {message}"
