"""Fuzzing project files: mutated valid projects load or are refused with :class:`ProjectFileError`, and a
project that loads goes through ``visualnn check`` and ``summary`` without an internal error.

The seeds are every bundled template and example project. Each mutation changes a value anywhere in the
document (types, nesting, huge and non-finite numbers, unicode, missing and extra keys; see
:mod:`tests.reliability.fuzz`); the document then goes through one of the three doors a project comes in by:
a dict (an engine job, a recovery file's payload), JSON text, or a file on disk (bytes that may not even be
UTF-8).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.reliability.fuzz import dumps_raw, fuzz_settings, materialize, mutate
from visualnn.core.project import Project
from visualnn.core.project.io import ProjectFileError, load_project, parse, project_from_dict, project_to_dict
from visualnn.core.templates import TEMPLATES
from visualnn.core.validation import INTERNAL

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*/*.vnn"))


def _seeds() -> dict[str, dict[str, Any]]:
    seeds = {f"template:{name}": project_to_dict(t.build()) for name, t in TEMPLATES.items()}
    for path in EXAMPLES:
        seeds[f"example:{path.parent.name}"] = json.loads(path.read_text(encoding="utf-8"))
    return seeds


SEEDS = _seeds()


@pytest.fixture(scope="module")
def examples_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled examples with their data, copied once: mutated projects are checked against real data here."""
    root = tmp_path_factory.mktemp("examples")
    shutil.copytree(ROOT / "resources" / "examples", root, dirs_exist_ok=True)
    return root


def _home(seed: str, examples: Path) -> Path:
    """Where a project made from ``seed`` lives: its example's folder (data beside it) or the examples root."""
    kind, _, name = seed.partition(":")
    return examples / name / f"{name}.vnn" if kind == "example" else examples / "template.vnn"


def _check_like_the_cli(project: Project, home: Path) -> None:
    """What ``visualnn check`` and ``summary`` do with a loaded project; an internal error fails the test."""
    from visualnn.cli.project_verbs import check_with_data
    from visualnn.core.shapes import infer_shapes
    from visualnn.core.summary import summary_rows
    from visualnn.core.validation import validate

    project.path = str(home)
    spec = project.dataset
    if spec is not None and not _inside(home.parent, spec.path):
        project.dataset = None  # a mutated path may name "/" : scanning the whole disk is not this test's business
    issues, _ = check_with_data(project)
    report = infer_shapes(project.graph)
    summary_rows(project.graph, report)
    issues += validate(project, shapes=report)
    internal = [i.message for i in issues if i.code == INTERNAL]
    assert not internal, internal


def _inside(folder: Path, path: str) -> bool:
    try:
        full = (folder / path).resolve()
    except (OSError, ValueError, RuntimeError):
        return False
    return full == folder.resolve() or folder.resolve() in full.parents


def _load_or_refuse(load: Any) -> Project | None:
    """``load()``'s project, or None when it refused with a ProjectFileError that says something."""
    try:
        return load()  # type: ignore[no-any-return]
    except ProjectFileError as exc:
        assert str(exc).strip(), "a refusal without a message"
        assert "Traceback" not in str(exc)
        return None


@st.composite
def mutated(draw: st.DrawFn, raw: bool = False) -> tuple[str, Any]:
    """(seed name, a mutated copy of that seed's document); with ``raw`` it may hold :class:`Raw` literals."""
    seed = draw(st.sampled_from(sorted(SEEDS)))
    return seed, mutate(draw, SEEDS[seed], raw=raw)


def _example(seed: str, path: list[str | int], value: Any) -> tuple[str, Any]:
    """``seed``'s document with the value at ``path`` replaced: a fuzz-found failure kept as a regression."""
    doc = copy.deepcopy(SEEDS[seed])
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return seed, doc


OPTIONS = ["dataset", "options"]
# Dataset options of the wrong JSON type passed the loader; `check` then crashed with a TypeError or an
# AttributeError while reading the data (and so did train, the Data panel...). A CSV setting of the right
# type that the reader cannot use (a delimiter that is not one ASCII character, an unknown encoding) raised
# pyarrow's ValueError or a LookupError.
FOUND = [
    _example("example:tabular", [*OPTIONS, "split", "val"], "0.2"),
    _example("example:tabular", [*OPTIONS, "csv", "delimiter"], True),
    _example("example:tabular", [*OPTIONS, "csv", "delimiter"], "\x80"),
    _example("example:tabular", [*OPTIONS, "csv", "encoding"], ""),
    _example("example:tabular", [*OPTIONS, "columns"], [1]),
    _example("example:timeseries", [*OPTIONS, "window", "length"], "24"),
    _example("example:images", [*OPTIONS, "image", "image_size"], [32]),
]


def _with_examples(test: Any) -> Any:
    for found in FOUND:
        test = example(mutated=found)(test)
    return test


@fuzz_settings(40)
@given(mutated=mutated())
@_with_examples
def test_mutated_project_dicts_load_or_are_refused(examples_copy: Path, mutated: tuple[str, Any]) -> None:
    seed, doc = mutated
    doc = materialize(doc)
    assume(isinstance(doc, dict))  # what reaches project_from_dict is always an object (parse checks text)
    project = _load_or_refuse(lambda: project_from_dict(doc, "fuzz.vnn"))
    if project is not None:
        _check_like_the_cli(project, _home(seed, examples_copy))


@fuzz_settings(40)
@given(mutated=mutated(raw=True))
@_with_examples
def test_mutated_project_text_loads_or_is_refused(examples_copy: Path, mutated: tuple[str, Any]) -> None:
    seed, doc = mutated
    text = dumps_raw(doc)
    project = _load_or_refuse(lambda: project_from_dict(parse(text, "fuzz.vnn"), "fuzz.vnn"))
    if project is not None:
        _check_like_the_cli(project, _home(seed, examples_copy))


@fuzz_settings(30)
@given(mutated=mutated(raw=True), damage=st.sampled_from(["none", "truncate", "byte", "bom", "utf16", "latin1"]),
       where=st.floats(0, 1), byte=st.integers(0, 255))
def test_mutated_project_files_load_or_are_refused(examples_copy: Path, mutated: tuple[str, Any], damage: str,
                                                   where: float, byte: int) -> None:
    seed, doc = mutated
    raw = dumps_raw(doc).encode("utf-8", "surrogatepass")
    # Damage at the byte level too: cut short, a stray byte, a byte-order mark, another encoding.
    at = int(where * len(raw))
    if damage == "truncate":
        raw = raw[:at]
    elif damage == "byte":
        raw = raw[:at] + bytes([byte]) + raw[at:]
    elif damage == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif damage in ("utf16", "latin1"):
        raw = raw.decode("utf-8", "surrogatepass").encode(damage.replace("utf16", "utf-16"), "replace")
    home = _home(seed, examples_copy)
    target = home.with_name(f"fuzz-{os.getpid()}.vnn")
    target.write_bytes(raw)
    project = _load_or_refuse(lambda: load_project(target))
    if project is not None:
        _check_like_the_cli(project, home)
