"""Generated hostile inputs for the fuzz tests, and the one way each is handed to VisualNN.

Each ``draw_*`` function builds one input (a file, or a folder of files) from hypothesis draws, starting
from a valid one and damaging it where VisualNN reads it (a CSV's cells, rows, delimiters and encoding; a
``.npy`` header's dict, magic and lengths; a zip's entries; an image header's size fields; a ``.keras``
archive's ``config.json``), and returns it as a :class:`Generated` (file contents and how to read them), so a
failing input can be pasted into an ``@example``. :data:`STRATEGIES` wraps them as hypothesis strategies.
:meth:`Generated.write` puts it on disk as a :class:`Case`; :func:`run_case` hands a case to the product the way
the CLI and the Data panel do and returns how it ended: ``"ok"`` or the refusal's message. Any other exception
propagates: that is the bug the fuzz tests look for. The memory test runs cases in a child process
(``fuzz_memory_child``), so a case is plain JSON.
"""

from __future__ import annotations

import csv
import io
import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.reliability.fuzz import NUMBERS, STRINGS, dumps_raw, materialize, mutate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"


@dataclass(frozen=True)
class Generated:
    """One generated input: its files (path relative to a folder -> bytes) and how VisualNN is asked to read it."""

    kind: str  # csv | numpy | images | keras
    path: str  # the file or folder handed over, relative to the folder
    files: dict[str, bytes]
    options: dict[str, Any] | None = None
    source_kind: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    def size(self) -> int:
        """Bytes on disk, all files together."""
        return sum(len(b) for b in self.files.values())

    def write(self, folder: Path) -> Case:
        """Write the files under ``folder``; the :class:`Case` that reads them."""
        for rel, data in self.files.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return Case(self.kind, str(folder / self.path), self.options, self.source_kind, list(self.inputs),
                    list(self.outputs))


@dataclass
class Case:
    """One generated input: what it is (``csv``, ``numpy``, ``images``, ``keras``, ``project``), where, and how to read it."""

    kind: str
    path: str
    options: dict[str, Any] | None = None
    source_kind: str | None = None  # the dataset kind passed to inspect_source (None: from the path)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        with _deep_json():  # mutated options may nest lists 2,500 deep (fuzz.DEEP)
            return json.dumps({f.name: getattr(self, f.name) for f in fields(self)})

    @staticmethod
    def from_json(text: str) -> Case:
        with _deep_json():
            return Case(**json.loads(text))


@contextmanager
def _deep_json() -> Iterator[None]:
    """Room for :data:`~tests.reliability.fuzz.DEEP`'s nesting in ``json``'s encoder and decoder, which count each
    level against the recursion limit (1,000 by default; a few hundred bytes of C stack per level)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10_000))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


# ------------------------------------------------------------------------------------------------- CSV
def _rows(path: Path, n: int) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [row for _, row in zip(range(n), csv.reader(fh), strict=False)]


TABLES: dict[str, list[list[str]]] = {
    "penguins": _rows(EXAMPLES / "tabular" / "penguins.csv", 30),
    "weather": _rows(EXAMPLES / "timeseries" / "weather.csv", 60),
    "mixed": [["id", "score", "label", "flag", "when"],
              *[[str(i), f"{i * 0.37:.3f}", "ab"[i % 2], "yes" if i % 3 else "no", f"2024-01-{1 + i % 28:02d}"]
                for i in range(20)]],
}

CELLS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", "NA", "nan", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e400", "3.5e38", "1" * 400,
                     "0x1F", "1,5", '"', '""', "a\nb", "a\r\nb", "é", "\x00", "🙂", "TRUE", "yes", " ", "1e-400",
                     "-", "1.7976931348623157e308", "9" * 30]),
    st.integers().map(str),
    st.floats().map(repr),
)
_TABLE_OPS = ("cell", "cell", "cell", "drop_row", "dup_row", "extra_cell", "short_row", "header", "drop_col",
              "dup_col", "many_rows", "many_cols")


def _damage_table(draw: Any, rows: list[list[str]]) -> list[list[str]]:
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(_TABLE_OPS))
        if not rows:
            rows = [[draw(CELLS)]]
            continue
        r = draw(st.integers(0, len(rows) - 1))
        row = rows[r]
        if op == "cell" and row:
            row[draw(st.integers(0, len(row) - 1))] = draw(CELLS)
        elif op == "drop_row":
            del rows[r]
        elif op == "dup_row":
            rows.insert(r, list(row))
        elif op == "extra_cell":
            row.append(draw(CELLS))
        elif op == "short_row" and row:
            del row[-1]
        elif op == "header":
            rows[0] = [draw(CELLS) for _ in rows[0]] if draw(st.booleans()) else rows[0] + rows[0][:1]
        elif op in ("drop_col", "dup_col"):
            c = draw(st.integers(0, max(0, len(rows[0]) - 1)))
            for each in rows:
                if c < len(each):
                    each.insert(c, each[c]) if op == "dup_col" else each.pop(c)
        elif op == "many_rows":
            rows += [list(row) for _ in range(draw(st.sampled_from([100, 2000])))]
        elif op == "many_cols":
            width = draw(st.sampled_from([300, 3000]))
            rows = [each + [each[-1] if each else "1"] * width for each in rows]
    return rows


def csv_bytes(draw: Any, rows: list[list[str]]) -> bytes:
    """``rows`` written with a drawn delimiter, quoting, line ending and encoding, then maybe damaged as bytes."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if draw(st.booleans()):
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator=ending).writerows(rows)
        text = out.getvalue()
    else:  # joined by hand: a cell holding the delimiter or a quote makes the row ragged
        text = ending.join(delimiter.join(r) for r in rows) + draw(st.sampled_from(["", ending]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    raw = text.encode(encoding, "replace")
    damage = draw(st.sampled_from(["none"] * 5 + ["truncate", "byte", "nul"]))
    if damage == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif damage in ("byte", "nul"):
        at = draw(st.integers(0, len(raw)))
        byte = 0 if damage == "nul" else draw(st.integers(0, 255))
        raw = raw[:at] + bytes([byte]) + raw[at:]
    return raw


CSV_OPTIONS: dict[str, dict[str, Any]] = {
    "penguins": json.loads((EXAMPLES / "tabular" / "tabular.vnn").read_text(encoding="utf-8"))["dataset"]["options"],
    "weather": json.loads((EXAMPLES / "timeseries" / "timeseries.vnn").read_text(encoding="utf-8"))["dataset"]["options"],
    "mixed": {"columns": {"label": {"role": "target"}, "when": {"role": "ignore"}}},
}


def _options(draw: Any, base: dict[str, Any]) -> dict[str, Any] | None:
    """No options, the valid ones, or mutated ones (an object: the project loader checks that much)."""
    choice = draw(st.sampled_from(["none", "valid", "valid", "mutated"]))
    if choice == "none":
        return None
    if choice == "valid":
        return json.loads(json.dumps(base))
    out = materialize(mutate(draw, base))
    return out if isinstance(out, dict) else {}


def draw_csv(draw: Any) -> Generated:
    """A damaged CSV (or time series) with valid, missing or mutated dataset options."""
    name = draw(st.sampled_from(sorted(TABLES)))
    path = draw(st.sampled_from(["data.csv", "data.tsv", "data.txt"]))
    raw = csv_bytes(draw, _damage_table(draw, TABLES[name]))
    kind = draw(st.sampled_from(["csv", "timeseries"] if name == "weather" else ["csv"]))
    header = TABLES[name][0]
    inputs = outputs = []
    if draw(st.integers(0, 4)) == 0:  # a model with several Inputs / outputs
        inputs = draw(st.lists(st.sampled_from([*header, "nope"]), min_size=1, max_size=3))
        outputs = draw(st.lists(st.sampled_from([*header, "nope"]), min_size=1, max_size=3))
    return Generated("csv", path, {path: raw}, _options(draw, CSV_OPTIONS[name]), kind, tuple(inputs), tuple(outputs))


# ----------------------------------------------------------------------------------------------- NumPy
DTYPES = st.sampled_from(["<f8", "<f4", "<f2", "<i8", "<i4", "|u1", "|b1", ">f8", ">i2", "<c16", "<U5", "|S3",
                          "|O", "<M8[D]", "<m8[s]", "|V8", "[('a', '<f4'), ('b', '<i4')]", "garbage", "<f16", "<u8"])
SHAPES = st.one_of(
    st.lists(st.integers(0, 12), min_size=0, max_size=5).map(tuple),
    st.sampled_from([(-1,), (10**12,), (2**31, 2**31), (2**62, 4), (3, -4), (1,) * 40, (0, 10**9), (100_000, 10_000)]),
)
ARRAY_NAMES = ["x", "y", "X", "labels", "features", "targets", "tabular", "sequence", "kind", "score", "a b", "é",
               "../evil", "dir/x", "", "x.npy"]


def npy_bytes(draw: Any) -> bytes:
    """A ``.npy`` file: a valid array whose header dict, magic, version, header length or data is then damaged."""
    import numpy as np

    shape = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple))
    dtype = draw(st.sampled_from(["<f8", "<f4", "<i8", "|u1", "<U3", "|b1"]))
    if dtype == "<U3":
        array: Any = np.array(draw(st.lists(STRINGS.map(lambda s: s[:3]), min_size=int(np.prod(shape)),
                                            max_size=int(np.prod(shape)))), dtype=dtype).reshape(shape)
    elif dtype in ("<f8", "<f4"):
        values = draw(st.lists(NUMBERS.map(lambda v: float(v) if isinstance(v, float) or abs(v) < 1e308 else float("inf")),
                               min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
        with np.errstate(over="ignore"):
            array = np.array(values, dtype=dtype).reshape(shape)
    else:
        array = (np.arange(int(np.prod(shape))) % draw(st.integers(1, 5))).astype(dtype).reshape(shape)
    header: dict[str, Any] = {"descr": dtype, "fortran_order": False, "shape": shape}
    data = array.tobytes()
    if draw(st.booleans()):
        buf = io.BytesIO()
        np.save(buf, array, allow_pickle=False)
        return buf.getvalue()
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["descr", "shape", "fortran", "extra", "missing"]))
        if op == "descr":
            header["descr"] = draw(DTYPES)
        elif op == "shape":
            header["shape"] = draw(SHAPES | st.sampled_from([[3], "3", 3, None, (1.5,), (True,)]))
        elif op == "fortran":
            header["fortran_order"] = draw(st.sampled_from([True, False, 1, "x", None]))
        elif op == "extra":
            header[draw(st.sampled_from(["extra", "descr2", "__class__"]))] = 1
        elif header:
            del header[draw(st.sampled_from(sorted(header)))]
    text = repr(header)
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.sampled_from(["", "{", "__import__('os').system('true')", "{'descr': <f8}", "[1, 2]",
                                     "{'descr': '<f8', 'shape': (1,) * 10**6}"]))
    version = draw(st.sampled_from([(1, 0), (1, 0), (2, 0), (3, 0), (0, 0), (9, 9)]))
    body = text.encode("latin-1", "replace")
    pad = 64 - (10 + len(body) + 1) % 64
    body = body + b" " * pad + b"\n"
    length = len(body)
    if draw(st.integers(0, 7)) == 0:
        length = draw(st.sampled_from([0, 1, length - 1, length + 1, 65535, 2**31]))
    size_field = (struct.pack("<H", min(length, 65535)) if version[0] == 1
                  else struct.pack("<I", min(length, 2**32 - 1)))
    cut = draw(st.sampled_from(["keep", "keep", "short", "long", "none"]))
    if cut == "short":
        data = data[: len(data) // 2]
    elif cut == "long":
        data = data + bytes(17)
    elif cut == "none":
        data = b""
    magic = draw(st.sampled_from([b"\x93NUMPY", b"\x93NUMPY", b"\x93NUMPX", b"PK\x03\x04XX"]))
    return magic + bytes(version) + size_field + body + data


def draw_numpy(draw: Any) -> Generated:
    """A damaged ``.npy``, or an ``.npz`` of damaged ``.npy`` entries (names, compression, zip bytes)."""
    if draw(st.integers(0, 3)) == 0:
        return Generated("numpy", "data.npy", {"data.npy": npy_bytes(draw)}, _options(draw, {"arrays": {"features": "x"}}))
    parts = draw(st.integers(0, 2)) == 0
    names = ["tabular", "sequence", "kind", "score"] if parts else ["x", "y"]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(names)))
        names[at:at + 1] = draw(st.lists(st.sampled_from(ARRAY_NAMES), max_size=2))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            entry = name if name.endswith(".npy") and draw(st.booleans()) else f"{name}.npy"
            method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
            zf.writestr(entry, npy_bytes(draw), compress_type=method)
        if draw(st.integers(0, 5)) == 0:
            zf.writestr("readme.txt", "not an array")
    raw = bytearray(buf.getvalue())
    if raw and draw(st.integers(0, 4)) == 0:
        for _ in range(draw(st.integers(1, 4))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    base = {"arrays": {"features": "x", "targets": "y"}, "split": {"val": 0.2, "test": 0.1, "seed": 1}}
    inputs, outputs = (("tabular", "sequence"), ("kind", "score")) if parts else ((), ())
    return Generated("numpy", "data.npz", {"data.npz": bytes(raw)}, _options(draw, base), None, inputs, outputs)


# ---------------------------------------------------------------------------------------------- images
def _image_bytes() -> dict[str, bytes]:
    from PIL import Image

    out = {}
    for fmt, ext, mode in (("PNG", "png", "RGB"), ("PNG", "png16", "I;16"), ("JPEG", "jpg", "RGB"),
                           ("GIF", "gif", "P"), ("BMP", "bmp", "RGB"), ("PNG", "pngl", "L")):
        buf = io.BytesIO()
        Image.new(mode, (8, 6), 120 if mode != "RGB" else (200, 10, 10)).save(buf, fmt)
        out[ext] = buf.getvalue()
    return out


IMAGES = _image_bytes()
SIDES = st.sampled_from([0, 1, 7, 8192, 8193, 20_000, 65_535, 2**31 - 1, 2**32 - 1])


def _png_size(data: bytes, width: int, height: int) -> bytes:
    ihdr = data[16:29]
    ihdr = struct.pack(">II", width, height) + ihdr[8:]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return data[:16] + ihdr + crc + data[33:]


def _jpeg_size(data: bytes, width: int, height: int) -> bytes:
    pos = 2
    while pos + 9 <= len(data):
        marker = data[pos + 1]
        if marker in (0xC0, 0xC1, 0xC2):
            return data[:pos + 5] + struct.pack(">HH", height & 0xFFFF, width & 0xFFFF) + data[pos + 9:]
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return data


def image_file_bytes(draw: Any) -> tuple[str, bytes]:
    """(extension, bytes) of a small valid image whose declared size or bytes are then damaged."""
    base = draw(st.sampled_from(sorted(IMAGES)))
    data = IMAGES[base]
    ext = {"png16": "png", "pngl": "png"}.get(base, base)
    op = draw(st.sampled_from(["size", "size", "truncate", "flip", "junk", "extension", "none"]))
    if op == "size":
        w, h = draw(SIDES), draw(SIDES)
        if ext == "png":
            data = _png_size(data, w, h)
        elif ext == "jpg":
            data = _jpeg_size(data, w, h)
        elif ext == "gif":
            data = data[:6] + struct.pack("<HH", w & 0xFFFF, h & 0xFFFF) + data[10:]
        else:
            data = data[:18] + struct.pack("<ii", min(w, 2**31 - 1), -min(h, 2**31 - 1)) + data[26:]
    elif op == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif op == "flip":
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 6))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        data = bytes(raw)
    elif op == "junk":
        data = data + draw(st.binary(max_size=64))
    elif op == "extension":
        ext = draw(st.sampled_from(["png", "jpg", "jpeg", "gif", "bmp", "PNG", "txt", "webp"]))
    return ext, data


def draw_images(draw: Any) -> Generated:
    """An image folder of two or three classes holding valid images and a few damaged ones."""
    files: dict[str, bytes] = {}
    classes = draw(st.sampled_from([["cats", "dogs"], ["a", "b", "c"], ["only"], ["é x", "(1)"]]))
    for c, name in enumerate(classes):
        for i in range(2):
            files[f"images/{name}/ok{i}.png"] = IMAGES["png"]
        for i in range(draw(st.integers(0 if c else 1, 2))):
            ext, data = image_file_bytes(draw)
            files[f"images/{name}/bad{i}.{ext}"] = data
    options = _options(draw, {"image": {"image_size": [16, 16], "color_mode": "rgb", "rescale": "0_1"},
                               "split": {"val": 0.2, "test": 0.0, "seed": 42}})
    return Generated("images", "images", files, options, "images")


# ----------------------------------------------------------------------------------------------- Keras
KERAS_SEED: dict[str, Any] = json.loads((Path(__file__).with_name("fuzz_seed_model.json")).read_text(encoding="utf-8"))
"""``config.json`` of a small Functional model saved by Keras 3 (x -> Dense -> LayerNormalization(rms_scaling) ->
Dense): the Dense layers round-trip to catalog nodes, the LayerNormalization stays a generic node built by Keras."""
KERAS_SEQUENTIAL: dict[str, Any] = {
    "module": "keras", "class_name": "Sequential",
    "config": {"name": "seq", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 6], "name": "inp"}},
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d1", "units": 5}},
        {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "drop", "rate": 0.25}},
    ]},
}


def draw_keras(draw: Any) -> Generated:
    """A ``.keras`` archive whose ``config.json`` is a mutated small model (catalog and generic layers)."""
    seed = draw(st.sampled_from([KERAS_SEED, KERAS_SEQUENTIAL]))
    config = mutate(draw, seed, raw=True)
    text = dumps_raw(config)
    if draw(st.integers(0, 9)) == 0:  # to_json() output wrapped once more, as some tools write it
        text = json.dumps({"class_name": "Functional", "config": text})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.json" if draw(st.integers(0, 19)) == 5 else "config.json",
                    text.encode("utf-8", "surrogatepass"))
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.10.0"}))
    raw = bytearray(buf.getvalue())
    if draw(st.integers(0, 9)) == 0:
        for _ in range(draw(st.integers(1, 4))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return Generated("keras", "model.keras", {"model.keras": bytes(raw)})


# ------------------------------------------------------------------------------------------ the product
def run_case(case: Case) -> str:
    """Hand ``case`` to VisualNN as the CLI does; ``"ok"`` or the documented refusal's message.

    Data: :func:`inspect_source` (``data inspect``, the Data panel) and, for images, the thumbnails the Data
    panel shows; refusal: :class:`DataError`. Keras: :func:`import_model` (``import-model``, File > Import);
    refusal: :class:`ModelImportError`.
    """
    if case.kind == "keras":
        from visualnn.services.importing import ModelImportError, import_model

        try:
            import_model(case.path)
        except ModelImportError as exc:
            return _refusal(exc)
        return "ok"
    from visualnn.services.datasets.errors import DataError
    from visualnn.services.datasets.inspect import inspect_source

    try:
        info = inspect_source(case.path, case.options, case.source_kind, inputs=case.inputs or None,
                              outputs=case.outputs or None)
    except DataError as exc:
        return _refusal(exc)
    if case.kind == "images":
        from visualnn.services.datasets.images import load_thumbnail

        for files in info.examples.values():
            for path in files:
                load_thumbnail(path)  # an image or None, never an exception
    return "ok"


def _refusal(exc: Exception) -> str:
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} without a message"
    return message


DRAWERS = {"csv": draw_csv, "numpy": draw_numpy, "images": draw_images, "keras": draw_keras}
STRATEGIES: dict[str, st.SearchStrategy[Generated]] = {
    kind: st.composite(lambda draw, f=drawer: f(draw))() for kind, drawer in DRAWERS.items()
}
"""Each kind's inputs as a hypothesis strategy (``@given(generated=STRATEGIES["csv"])``)."""

__all__ = ["Case", "DRAWERS", "Generated", "STRATEGIES", "draw_csv", "draw_images", "draw_keras", "draw_numpy",
           "run_case"]
