"""ImageNet weights are downloaded into Keras's cache with progress before Keras needs them (issue 17 item 7).

A local HTTP server stands in for Keras's weights server (nothing here reaches the network): the download
lands in the file Keras looks for, byte for byte, reports its progress as it goes, and a download that
fails or stops half-way leaves no file behind and a message naming the node, the URL and the fixes."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from visualnn.core.graph import SEQUENTIAL, Graph
from visualnn.core.specs.builtin.pretrained import FAMILIES
from visualnn.core.templates import template
from visualnn.services.backbones import BackboneError
from visualnn.services.weights_download import KERAS_WEIGHTS_URL, URL_FOLDERS, WeightsFile, fetch_missing, missing_files

PAYLOAD = b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 2048  # ~0.5 MB that starts like an HDF5 file
NO_TOP = "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []
    truncate = False

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        if not self.path.endswith(NO_TOP):
            self.send_error(404, "no such file")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        body = PAYLOAD[: len(PAYLOAD) // 3] if self.truncate else PAYLOAD
        for i in range(0, len(body), 1 << 15):
            self.wfile.write(body[i:i + (1 << 15)])

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"hits": [], "truncate": False})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", handler
    httpd.shutdown()
    httpd.server_close()


def _graph(weights: str = "imagenet") -> Graph:
    graph = template("pretrained_mobilenetv3").build().graph
    backbone = next(n for n in graph if n.type == "MobileNetV3Small")
    backbone.params["weights"] = weights
    assert graph.mode == SEQUENTIAL
    return graph


def test_the_weights_land_in_kerass_cache_file_byte_for_byte_with_progress(server: Any, tmp_path: Path) -> None:
    base, handler = server
    graph = _graph()
    assert [f.name for f in missing_files(graph, tmp_path)] == [NO_TOP]
    reports: list[tuple[str, int, int]] = []
    fetched = fetch_missing(graph, lambda text, done, total: reports.append((text, done, total)), tmp_path,
                            url_of=lambda f: base + f.name, reachable=lambda: True)
    assert fetched == [tmp_path / NO_TOP]
    assert (tmp_path / NO_TOP).read_bytes() == PAYLOAD
    assert not list(tmp_path.glob("*.part"))
    assert reports, "no progress was reported"
    assert [d for _t, d, _n in reports] == sorted(d for _t, d, _n in reports)
    assert reports[-1][1:] == (len(PAYLOAD), len(PAYLOAD))
    assert "MobileNetV3Small" in reports[-1][0] and "backbone" in reports[-1][0] and "0.5 MB" in reports[-1][0]
    # Cached now: a second training downloads nothing.
    assert missing_files(graph, tmp_path) == []
    assert fetch_missing(graph, lambda *a: None, tmp_path, url_of=lambda f: base + f.name,
                         reachable=lambda: True) == []
    assert len(handler.hits) == 1


def test_a_download_that_stops_half_way_leaves_nothing_and_says_so(server: Any, tmp_path: Path) -> None:
    base, handler = server
    handler.truncate = True
    with pytest.raises(BackboneError) as caught:
        fetch_missing(_graph(), lambda *a: None, tmp_path, url_of=lambda f: base + f.name, reachable=lambda: True)
    message = str(caught.value)
    assert message.startswith("backbone: ") and NO_TOP in message
    assert "weights from file" in message and "None" in message  # the two fixes
    assert list(tmp_path.iterdir()) == []  # neither the file nor its .part: Keras would take it for the weights


def test_a_missing_file_on_the_server_names_the_url_and_leaves_nothing(server: Any, tmp_path: Path) -> None:
    base, _handler = server
    with pytest.raises(BackboneError, match=r"backbone: the ImageNet weights .* could not be downloaded from "
                                            r"http://127\.0\.0\.1:\d+/renamed\.h5 \(HTTP 404 no such file\)"):
        fetch_missing(_graph(), lambda *a: None, tmp_path, url_of=lambda f: base + "renamed.h5",
                      reachable=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_offline_nothing_is_tried_and_random_or_file_weights_need_nothing(server: Any, tmp_path: Path) -> None:
    base, handler = server
    assert fetch_missing(_graph(), lambda *a: None, tmp_path, url_of=lambda f: base + f.name,
                         reachable=lambda: False) == []
    assert handler.hits == []  # the build then stops with the message naming the missing file (backbones.py)
    assert missing_files(_graph("None"), tmp_path) == []


def test_each_familys_url_is_the_one_keras_downloads_from() -> None:
    import importlib

    for family in FAMILIES:
        module = importlib.import_module(f"keras.src.applications.{family.module}")
        folder = URL_FOLDERS.get(family.module, family.module)
        if family.module == "resnet_v2":
            module = importlib.import_module("keras.src.applications.resnet")
        keras_base = getattr(module, "BASE_WEIGHT_PATH", None) or module.BASE_WEIGHTS_PATH
        assert KERAS_WEIGHTS_URL + folder + "/" == keras_base, family.name
        item = WeightsFile("n", family, family.imagenet_file(False, 224))
        assert item.url == keras_base + item.name
