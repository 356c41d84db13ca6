"""Download a backbone's ImageNet weights into Keras's cache before Keras needs them, reporting progress.

``keras.applications`` downloads its weights itself on first use, printing a progress bar to a terminal that
the app does not have. Training first fetches every missing ImageNet weights file of the graph's backbones
here, from the URL Keras would use and into the file Keras looks for (``~/.keras/models/<file>``), telling
the window how far it got; Keras then finds the file cached (and still checks its hash: a file that does not
match is downloaded again by Keras itself). A download goes to ``<file>.part`` first and is renamed when
complete, so an interrupted one never leaves a file Keras would take for the weights.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from visualnn.core.graph import Graph
from visualnn.core.specs import default_registry
from visualnn.core.specs.builtin.pretrained import IMAGENET, Family, family_of
from visualnn.services.backbones import FIXES, BackboneError, application_call, keras_cache_dir, server_reachable

KERAS_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
"""Where ``keras.applications`` keeps its weights; one folder per module (``BASE_WEIGHTS_PATH`` in Keras)."""
URL_FOLDERS = {"resnet_v2": "resnet"}
"""Modules whose weights live in another module's folder (ResNet50V2 shares ResNet's)."""
CHUNK = 1 << 16
TIMEOUT_S = 20.0  # no byte for this long: the download is given up, with a message
REPORT_EVERY_S = 0.25  # progress reports at most this often (and once at the end)

Progress = Callable[[int, int, str], None]
"""Told (bytes so far, bytes in all or 0 when the server does not say, file name) as the download goes on."""


@dataclass(frozen=True)
class WeightsFile:
    """One ImageNet weights file a backbone node needs: where Keras caches it and where it comes from."""

    node: str  # the node's label
    family: Family
    name: str  # the file name in Keras's cache

    @property
    def url(self) -> str:
        """The URL Keras itself downloads the file from."""
        return KERAS_WEIGHTS_URL + URL_FOLDERS.get(self.family.module, self.family.module) + "/" + self.name


def imagenet_files(graph: Graph) -> list[WeightsFile]:
    """The ImageNet weights files of the graph's backbone nodes (one per distinct file)."""
    registry = default_registry()
    seen: dict[str, WeightsFile] = {}
    for node in graph:
        family = family_of(node.type)
        if family is None:
            continue
        spec = registry[node.type]
        call = spec.call_for(spec.resolved(node.params), [])
        app = application_call(call)
        if app.kwargs.get("weights") != IMAGENET:
            continue
        shape = app.kwargs.get("input_shape") or (None, None, 3)
        name = family.imagenet_file(bool(app.kwargs.get("include_top")), shape[0] if shape[0] == shape[1] else None)
        seen.setdefault(name, WeightsFile(node.label, family, name))
    return list(seen.values())


def missing_files(graph: Graph, cache_dir: Path | None = None) -> list[WeightsFile]:
    """The graph's ImageNet weights files not yet in Keras's cache."""
    folder = cache_dir or keras_cache_dir()
    return [f for f in imagenet_files(graph) if not (folder / f.name).is_file()]


def download(url: str, dest: Path, progress: Progress | None = None, timeout: float = TIMEOUT_S,
             label: str = "") -> Path:
    """Download ``url`` to ``dest`` (through ``dest.part``), reporting progress; raises :class:`BackboneError`
    naming the node (``label``), the URL and the folder when the download fails or stops half-way."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    who = f"{label}: " if label else ""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, part.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done, last = 0, 0.0
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                now = time.monotonic()
                if progress is not None and now - last >= REPORT_EVERY_S:
                    progress(done, total, dest.name)
                    last = now
        if total and done != total:
            raise BackboneError(f"{who}the download of {dest.name} from {url} stopped after {_mb(done)} of "
                                f"{_mb(total)}. Train again to retry it, or: {FIXES}")
        if progress is not None:
            progress(done, total or done, dest.name)
        os.replace(part, dest)
    except BackboneError:
        part.unlink(missing_ok=True)
        raise
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, urllib.error.HTTPError):
            reason: object = f"HTTP {exc.code} {exc.reason}"
        else:
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise BackboneError(f"{who}the ImageNet weights {dest.name} could not be downloaded from {url} "
                            f"({reason}); Keras keeps them in {dest.parent}. {FIXES}") from exc
    return dest


def fetch_missing(graph: Graph, report: Callable[[str, int, int], None], cache_dir: Path | None = None,
                  url_of: Callable[[WeightsFile], str] | None = None,
                  reachable: Callable[[], bool] = server_reachable) -> list[Path]:
    """Download every ImageNet weights file the graph's backbones need and Keras's cache lacks, telling
    ``report(text, done_bytes, total_bytes)`` how far each got. Returns the files downloaded.

    Nothing is tried when the download server cannot be reached within seconds: building the backbone then
    stops with the message naming the missing file and the fixes (:func:`visualnn.services.backbones.check_weights`).
    """
    folder = cache_dir or keras_cache_dir()
    missing = missing_files(graph, folder)
    if not missing or not reachable():
        return []
    fetched: list[Path] = []
    for item in missing:
        def progress(done: int, total: int, name: str, item: WeightsFile = item) -> None:
            size = f"{_mb(done)} of {_mb(total)}" if total else _mb(done)
            report(f"Downloading the ImageNet weights of {item.family.name} for {item.node}: {size}", done, total)

        url = url_of(item) if url_of is not None else item.url
        fetched.append(download(url, folder / item.name, progress, label=item.node))
    return fetched


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
