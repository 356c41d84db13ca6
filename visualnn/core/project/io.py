"""Reading and writing ``.vnn`` project files: versioned JSON, atomic saves, phased loads.

Loading runs in phases: parse JSON -> check the header -> migrate to the current format ->
resolve renamed layer types -> check every field and build the :class:`Project`. A bad field
raises :class:`ProjectFileError` naming the file and the JSON path (``graph.nodes[3].params.units``).
Unknown layer types are kept as they are (placeholder nodes); validation reports them.
Nothing is ever pickled or evaluated.
"""

from __future__ import annotations

import json
import logging
import math
import os
from typing import Any

from visualnn.core import json_limits
from visualnn.core.block_rules import block_name_problem, structure_problem
from visualnn.core.dataset import DatasetSpec, option_type_problems
from visualnn.core.graph import MODES, BlockDef, Edge, Graph, Node
from visualnn.core.paths import rebase_path, relative_path, resolve_path
from visualnn.core.project import DEFAULT_NAME, FORMAT, FORMAT_VERSION, SPEC_VERSION_KEY, Project
from visualnn.core.project.migrations import MigrationError, migrate
from visualnn.core.project.run_folders import copy_run_folders, plan_run_folders
from visualnn.core.recovery import atomic_write_text
from visualnn.core.search_settings import SearchConfig, SearchSettingsError
from visualnn.core.specs import LayerSpec, Registry, default_registry
from visualnn.core.specs import base as kinds
from visualnn.core.training_config import RunRecord, TrainingConfig
from visualnn.core.training_settings import FIELDS

SUFFIX = ".vnn"
log = logging.getLogger(__name__)


class ProjectFileError(ValueError):
    """A project file that cannot be read; the message names the file and the bad JSON path."""

    def __init__(self, source: str, message: str, json_path: str | None = None) -> None:
        self.source = source
        self.json_path = json_path
        where = f"{source}: {json_path}: " if json_path else f"{source}: "
        super().__init__(where + message)


# ----------------------------------------------------------------------- saving
def project_to_dict(project: Project, base_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The JSON document for ``project``, with data paths relative to ``base_dir`` when given."""
    data: dict[str, Any] = project.to_dict()
    if base_dir is None:
        return data
    old_dir = _base_dir(project)
    new_dir = os.path.abspath(base_dir)
    dataset = data.get("dataset")
    if isinstance(dataset, dict):
        dataset["path"] = _rebase(dataset.get("path"), old_dir, new_dir)
        arrays = dataset.get("options", {}).get("arrays")
        if isinstance(arrays, dict) and isinstance(arrays.get("targets_path"), str):
            arrays["targets_path"] = _rebase(arrays["targets_path"], old_dir, new_dir)
    for run in data.get("runs", []):
        if isinstance(run, dict) and isinstance(run.get("model_path"), str):
            run["model_path"] = _rebase(run["model_path"], old_dir, new_dir)
    return data


_ONE_LINE = 100  # containers whose compact form fits stay on one line: `"pos": [0.0, 140.0]`


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _scalar(value: Any) -> str:
    """``json.dumps`` of a number, text, bool or None, without its per-call set-up for the common types (a
    project's run histories are thousands of floats, and a search saves the project once per trial)."""
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    return _compact(value)


_LAID_OUT: dict[tuple[str, int], str] = {}  # (compact JSON, level) -> its text: the records saved before
_LAID_OUT_MAX = 1024  # a few MB at most: a run record lays out to about 3 KB
_CACHED_LEVEL = 2  # the items of the document's lists (runs, nodes): saved again unchanged on every save


def _dump_cached(value: Any, level: int) -> tuple[str, str]:
    """:func:`_dump` of a container at :data:`_CACHED_LEVEL`, from the cache when the same content was laid out
    before. The key is ``json.dumps``'s compact text (made in C, and what ``_dump`` returns as ``flat``), so a
    search that saves the project after each trial lays out only the new run's record."""
    flat = _compact(value)
    text = _LAID_OUT.get((flat, level))
    if text is None:
        flat, text = _dump(value, level, cache=False)
        if len(_LAID_OUT) >= _LAID_OUT_MAX:
            _LAID_OUT.clear()
        _LAID_OUT[(flat, level)] = text
    return flat, text


def _dump(value: Any, level: int, cache: bool = True) -> tuple[str, str]:
    """``value``'s compact JSON (``json.dumps`` with its default separators) and its text at ``level``.

    The compact form of a dict or list is joined from its children's, each computed once: re-serialising every
    nested container at every level made saving a project with many runs (a search saves once per trial)
    quadratic in its depth. A dict with a key that is not text is left to ``json.dumps`` (its key spelling)."""
    if not isinstance(value, (dict, list)) or not value:
        flat = _scalar(value)
        return flat, flat
    if cache and level == _CACHED_LEVEL:
        return _dump_cached(value, level)
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict):
        kids = [(k, _dump(v, level + 1)) for k, v in value.items()]
        if all(isinstance(k, str) for k in value):
            flat = "{" + ", ".join(f"{_compact(k)}: {c}" for k, (c, _t) in kids) + "}"
        else:
            flat = _compact(value)
        if len(flat) + 2 * level <= _ONE_LINE:
            return flat, flat
        items = [f"{inner}{_compact(str(k))}: {t}" for k, (_c, t) in kids]
        return flat, "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if any(isinstance(v, (dict, list)) for v in value):
        parts = [_dump(v, level + 1) for v in value]
    else:  # a list of scalars (a history): their text is their compact form, with no call per value
        parts = [(t, t) for t in map(_scalar, value)]
    flat = "[" + ", ".join(c for c, _t in parts) + "]"
    if len(flat) + 2 * level <= _ONE_LINE:
        return flat, flat
    return flat, "[\n" + ",\n".join(inner + t for _c, t in parts) + "\n" + pad + "]"


def dumps(data: dict[str, Any]) -> str:
    """Pretty, diff-friendly JSON text: indent 2, document key order, short containers (a node's
    position, an edge, small parameter sets) on one line, trailing newline."""
    return _dump(data, 0)[1] + "\n"


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write ``project`` to ``path`` atomically and make ``path`` the project's location.

    The text goes to a temporary file in the same directory, is flushed and fsynced, then
    replaces the target in one step, so a crash never leaves a half-written project. Run folders
    that are not beside the new file are copied there first and the records point at the copies (:mod:`visualnn.core.project.run_folders`); if that or the write
    fails, nothing is left half-done and the original runs are untouched. A project still called
    "Untitled" (or named after its old file) takes the new file's name.
    """
    target = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(target)
    moved = project.path is None or os.path.abspath(project.path) != target
    name = name_for_file(project.name, target, project.path)
    plan = plan_run_folders([(r.id, r.model_path) for r in project.runs], _base_dir(project), directory)
    transfer = copy_run_folders(plan, remove_sources=False)
    try:
        data = project_to_dict(project, directory)
        data["name"] = name
        placed = transfer.model_paths()
        for run in data["runs"]:
            if run.get("id") in placed:
                run["model_path"] = placed[run["id"]]
        atomic_write_text(target, dumps(data))  # serialised first: a bad value leaves no temp file
    except BaseException:
        transfer.rollback()
        raise
    project.path = target
    for folder in transfer.commit():
        log.warning("saved %s; could not remove the session copy of a run at %s", target, folder)
    if name != project.name:
        project.set_name(name)
    # Keep in-memory relative paths pointing at the same files from the new location.
    if moved and project.dataset is not None and project.dataset.to_dict() != data["dataset"]:
        project.set_dataset(DatasetSpec.from_dict(data["dataset"]))
    # The records were written from the runs' own to_dict(), only their model paths rebased or placed: comparing
    # those (not every record again, once per search trial) tells whether the runs in memory must follow.
    if [r.model_path for r in project.runs] != [r.get("model_path") for r in data["runs"]]:
        project.runs = [RunRecord.from_dict(r) for r in data["runs"]]
        project.runs_changed.emit()


def name_for_file(name: str, target: str, old_path: str | None) -> str:
    """The project name to save under ``target``: a project still called "Untitled" (or named after the file
    it came from) takes the file's name; a name the user or a template gave stays."""
    stem = os.path.splitext(os.path.basename(target))[0]
    old_stem = os.path.splitext(os.path.basename(old_path))[0] if old_path else None
    return stem if stem and (not name.strip() or name == DEFAULT_NAME or name == old_stem) else name


def _project_dir(project: Project) -> str:
    return os.path.dirname(os.path.abspath(project.path)) if project.path else os.getcwd()


def _base_dir(project: Project) -> str | None:
    # An unsaved project has no base: its relative paths are kept as they are.
    return os.path.dirname(os.path.abspath(project.path)) if project.path else None


def _rebase(path: Any, old_dir: str | None, new_dir: str) -> Any:
    """A stored data path relative to ``new_dir`` (non-text values pass through untouched)."""
    return rebase_path(path, old_dir, new_dir) if isinstance(path, str) and path else path


def resolve_data_path(project: Project, path: str) -> str:
    """The absolute path of a data path stored in ``project`` (relative to the project file)."""
    return resolve_path(path, _project_dir(project))


def relative_data_path(project: Project, path: str) -> str:
    """``path`` as stored in a project: relative to the project file, POSIX separators."""
    return relative_path(path, _project_dir(project))


# ---------------------------------------------------------------------- loading
def load_project(path: str | os.PathLike[str], registry: Registry | None = None) -> Project:
    """Read a ``.vnn`` file (parse, migrate, resolve renamed types, build)."""
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ProjectFileError(source, f"cannot read the file ({reason}).") from None
    project = project_from_dict(parse(text, source), source, registry)
    project.path = os.path.abspath(source)
    return project


def parse(text: str, source: str = "<text>") -> dict[str, Any]:
    """Phase 1: JSON text -> dict; malformed JSON is reported with line and column, nesting too deep for the
    parser and the ``NaN``/``Infinity`` literals with the fix (:mod:`visualnn.core.json_limits`)."""
    try:
        data = json_limits.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectFileError(source, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except json_limits.JsonLimitError as exc:
        raise ProjectFileError(source, exc.reason, exc.json_path) from None
    except ValueError as exc:  # an integer with more digits than Python converts
        raise ProjectFileError(source, f"not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise ProjectFileError(source, "not a VisualNN project (the file must hold a JSON object).")
    return data


def project_from_dict(data: dict[str, Any], source: str = "<dict>", registry: Registry | None = None) -> Project:
    """Phases 2-4: check the header, migrate, resolve renamed types, check fields and build.

    Every document is first checked for nesting deeper than :data:`~visualnn.core.json_limits.MAX_DEPTH` and
    for numbers that are not finite (a file's, a recovery's, an engine job's), so nothing below recurses
    without bound or carries an infinity into the canvas, training or generated code.
    """
    try:
        json_limits.check_tree(data)
    except json_limits.JsonLimitError as exc:
        raise ProjectFileError(source, exc.reason, exc.json_path) from None
    if data.get("format") != FORMAT:
        raise ProjectFileError(source, f"not a VisualNN project (format is {data.get('format')!r}, expected {FORMAT!r}).")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectFileError(source, f"must be a positive integer; received {version!r}.", "format_version")
    if version > FORMAT_VERSION:
        raise ProjectFileError(
            source,
            f"was saved by a newer VisualNN (format version {version}, app {data.get('app_version', '?')}); "
            f"this version reads format versions up to {FORMAT_VERSION}. Update VisualNN to open it.",
        )
    try:
        data = migrate(data, FORMAT_VERSION)
    except MigrationError as exc:
        raise ProjectFileError(source, str(exc)) from None
    reg = default_registry() if registry is None else registry
    return _Builder(source, reg).project(data)


def _type_name(value: Any) -> str:
    return "null" if value is None else {bool: "true/false", int: "an integer", float: "a number", str: "text",
                                         list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


class _Builder:
    """Phase 4: checks every field's JSON type while building, so errors carry the JSON path."""

    def __init__(self, source: str, registry: Registry) -> None:
        self.source = source
        self.registry = registry

    def fail(self, json_path: str, message: str) -> ProjectFileError:
        """An error for the field at ``json_path``."""
        return ProjectFileError(self.source, message, json_path)

    def want(self, value: Any, types: type | tuple[type, ...], json_path: str, what: str) -> Any:
        """``value`` when it has one of ``types`` (bools are never numbers), else an error."""
        allowed = types if isinstance(types, tuple) else (types,)
        if not (isinstance(value, allowed) and (bool in allowed or not isinstance(value, bool))):
            raise self.fail(json_path, f"must be {what}; received {_type_name(value)} {json.dumps(value)[:60]}.")
        return value

    def project(self, data: dict[str, Any]) -> Project:
        """Build the whole project."""
        name = self.want(data.get("name", DEFAULT_NAME), str, "name", "text")
        graph = self.graph(self.want(data.get("graph", {}), dict, "graph", "an object"))
        dataset = None
        if data.get("dataset") is not None:
            dataset = self.dataset(self.want(data["dataset"], dict, "dataset", "an object or null"))
        training = self.training(self.want(data.get("training", {}), dict, "training", "an object"))
        runs = [self.run(self.want(r, dict, f"runs[{i}]", "an object"), f"runs[{i}]")
                for i, r in enumerate(self.want(data.get("runs", []), list, "runs", "a list"))]
        search = None
        if data.get("search") is not None:
            search = self.search(self.want(data["search"], dict, "search", "an object"))
        return Project(graph, name, dataset, training, runs, search=search)

    def graph(self, data: dict[str, Any], at: str = "graph") -> Graph:
        """Nodes (types resolved through aliases), edges between known nodes, and block definitions."""
        mode = data.get("mode", "functional")
        if mode not in MODES:
            raise self.fail(f"{at}.mode", f"must be one of {', '.join(MODES)}; received {mode!r}.")
        graph = Graph(mode)
        nodes = graph.nodes  # filled directly: loading is not an edit, so no signals
        for i, nd in enumerate(self.want(data.get("nodes", []), list, f"{at}.nodes", "a list")):
            node = self.node(self.want(nd, dict, f"{at}.nodes[{i}]", "an object"), f"{at}.nodes[{i}]")
            if node.id in nodes:
                raise self.fail(f"{at}.nodes[{i}].id", f"duplicate node id {node.id!r}; ids must be unique.")
            nodes[node.id] = node
        edges = graph.edges
        for i, ed in enumerate(self.want(data.get("edges", []), list, f"{at}.edges", "a list")):
            where = f"{at}.edges[{i}]"
            self.want(ed, dict, where, "an object")
            for key in ("from", "to"):
                ref = ed.get(key)
                if not (isinstance(ref, list) and len(ref) == 2 and isinstance(ref[0], str)
                        and isinstance(ref[1], int) and not isinstance(ref[1], bool) and ref[1] >= 0):
                    raise self.fail(f"{where}.{key}", f"must be [node id, port number]; received {json.dumps(ref)}.")
                if ref[0] not in nodes:
                    raise self.fail(f"{where}.{key}", f"refers to the missing node {ref[0]!r}.")
            edges.append(Edge.from_dict(ed))
        if at == "graph":  # block definitions live at the project's level only
            for i, bd in enumerate(self.want(data.get("blocks", []), list, f"{at}.blocks", "a list")):
                block = self.block(self.want(bd, dict, f"{at}.blocks[{i}]", "an object"), f"{at}.blocks[{i}]")
                if block.name in graph.blocks:
                    raise self.fail(f"{at}.blocks[{i}].name", f"block {block.name!r} is defined twice; names must be unique.")
                graph.blocks[block.name] = block
        return graph

    def block(self, bd: dict[str, Any], where: str) -> BlockDef:
        """One block definition: a valid name and a graph with Inputs and one output (errors name the block)."""
        name = self.want(bd.get("name"), str, f"{where}.name", "text")
        problem = block_name_problem(name)
        if problem:
            raise self.fail(f"{where}.name", problem)
        inner = self.want(bd.get("graph"), dict, f"{where}.graph", "an object")
        if "blocks" in inner:
            raise self.fail(f"{where}.graph.blocks", f"block {name!r} holds block definitions of its own; blocks are "
                                                     "defined once, at the project level.")
        block = BlockDef(name, self.graph(inner, f"{where}.graph"))
        problem = structure_problem(block)
        if problem:
            raise self.fail(where, f"block {name!r} {problem} Open the block and fix it, or remove it from the file.")
        return block

    def node(self, nd: dict[str, Any], where: str) -> Node:
        """One node; params are checked for their JSON type (ranges are validation's job)."""
        node_id = self.want(nd.get("id"), str, f"{where}.id", "text")
        if not node_id:
            raise self.fail(f"{where}.id", "must not be empty.")
        type_id = self.want(nd.get("type"), str, f"{where}.type", "text")
        resolved = self.registry.resolve(type_id) or type_id  # renamed types follow their alias
        name = nd.get("name")
        if name is not None:
            self.want(name, str, f"{where}.name", "text or absent")
        params = self.want(nd.get("params", {}), dict, f"{where}.params", "an object")
        version = self.want(nd.get(SPEC_VERSION_KEY, 1), int, f"{where}.{SPEC_VERSION_KEY}", "an integer")
        if version < 1:
            raise self.fail(f"{where}.{SPEC_VERSION_KEY}", f"must be at least 1; received {version}.")
        spec = self.registry.get(resolved)
        if spec is not None and version != spec.version:
            params = self.upgrade(spec, params, version, where)
        if spec is not None:
            for p in spec.all_params:
                value = params.get(p.name)
                if p.takes_initializer_config and isinstance(value, dict):  # a configured initializer (imports)
                    problem = kinds.initializer_config_problem(value, f"{spec.type} {p.name}")
                    if problem is not None:
                        raise self.fail(f"{where}.params.{p.name}", problem)
                elif value is not None and not _kind_ok(p.kind, value):
                    raise self.fail(f"{where}.params.{p.name}",
                                    f"{spec.type} {p.name} must be {_KIND_WORDS.get(p.kind, p.kind)}; "
                                    f"received {json.dumps(params[p.name])[:60]}.")
        pos = nd.get("pos", [0.0, 0.0])
        if not (isinstance(pos, list) and len(pos) == 2 and all(_is_number(v) for v in pos)):
            raise self.fail(f"{where}.pos", f"must be [x, y] numbers; received {json.dumps(pos)[:60]}.")
        return Node(node_id, resolved, dict(params), (float(pos[0]), float(pos[1])), name)

    def upgrade(self, spec: LayerSpec, params: dict[str, Any], version: int, where: str) -> dict[str, Any]:
        """Params saved by version ``version`` of ``spec``, migrated by the spec's ``upgrade`` hook."""
        if version > spec.version:
            raise self.fail(f"{where}.{SPEC_VERSION_KEY}",
                            f"{spec.type} version {version} was saved by a newer VisualNN; this one knows up to "
                            f"version {spec.version}. Update VisualNN to open this file.")
        try:
            upgraded = spec.upgraded(params, version)
        except (KeyError, TypeError, ValueError) as exc:
            raise self.fail(f"{where}.params",
                            f"cannot upgrade {spec.type} parameters from version {version} to {spec.version} "
                            f"({exc}).") from exc
        if not isinstance(upgraded, dict):
            raise self.fail(f"{where}.params", f"the {spec.type} upgrade returned {_type_name(upgraded)}, not an object.")
        return upgraded

    def dataset(self, data: dict[str, Any]) -> DatasetSpec:
        """The dataset description (paths stay as stored: relative to the project file).

        Options of the wrong JSON type are refused here with their JSON path (``dataset.options.split.val``);
        values of the right type outside the allowed set stay (``DatasetSpec.validate`` reports them).
        """
        self.want(data.get("kind"), str, "dataset.kind", "text")
        self.want(data.get("path"), str, "dataset.path", "text")
        self.want(data.get("options", {}), dict, "dataset.options", "an object")
        for where, why in option_type_problems(data.get("options", {})):
            raise self.fail(f"dataset.options.{where}", why)
        return DatasetSpec.from_dict(data)

    def training(self, data: dict[str, Any]) -> TrainingConfig:
        """Compile/fit settings: older spellings are upgraded, then each field must have its table's JSON type.

        Types and finiteness are refused here with the JSON path; values of the right type outside the
        allowed range stay (``TrainingConfig.problems`` reports them before training), so nothing is lost.
        """
        cfg = TrainingConfig.from_dict(data)
        for f in FIELDS:
            if f.name in data and (reason := f.type_reason(getattr(cfg, f.name))) is not None:
                raise self.fail(f"training.{f.name}", reason)
        return cfg

    def search(self, data: dict[str, Any]) -> SearchConfig:
        """The hyperparameter search: JSON types are checked here; values by ``search_settings.config_problems``
        before a search starts (so a space naming a since-deleted layer still opens)."""
        try:
            return SearchConfig.from_dict(data)
        except SearchSettingsError as exc:
            raise self.fail("search", str(exc)) from None

    def run(self, data: dict[str, Any], where: str) -> RunRecord:
        """One run record."""
        self.want(data.get("id"), str, f"{where}.id", "text")
        self.want(data.get("started"), str, f"{where}.started", "text")
        for key in ("config", "graph", "history", "metrics", "extra"):
            if key in data:
                self.want(data[key], dict, f"{where}.{key}", "an object")
        return RunRecord.from_dict(data)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _kind_ok(kind: str, v: Any) -> bool:
    """Whether ``v`` has the JSON type a parameter kind needs (range checks come later)."""
    if kind == kinds.INT:
        return _is_int(v)
    if kind == kinds.FLOAT:
        return _is_number(v)
    if kind == kinds.BOOL:
        return isinstance(v, bool)
    if kind in (kinds.STR, kinds.CHOICE):
        return isinstance(v, str) if kind == kinds.STR else isinstance(v, (str, int, float, bool))
    if kind in (kinds.INTS, kinds.AXES):
        return _is_int(v) or (isinstance(v, list) and all(_is_int(x) for x in v))
    if kind == kinds.SHAPE:
        return isinstance(v, list) and all(x is None or _is_int(x) for x in v)
    if kind == kinds.FLOATS:
        return _is_number(v) or (isinstance(v, list) and all(_is_number(x) for x in v))
    if kind == kinds.PADDING:
        return _is_int(v) or (isinstance(v, list) and all(_is_int(x) or (isinstance(x, list) and all(_is_int(y) for y in x)) for x in v))
    return True


_KIND_WORDS = {
    kinds.INT: "an integer",
    kinds.FLOAT: "a number",
    kinds.BOOL: "true or false",
    kinds.STR: "text",
    kinds.CHOICE: "one of its choices (text)",
    kinds.INTS: "an integer or a list of integers",
    kinds.AXES: "an integer or a list of integers",
    kinds.SHAPE: "a list of dimensions such as [28, 28, 1]",
    kinds.FLOATS: "a number or a pair of numbers",
    kinds.PADDING: "integers, a list of integers or a list of pairs",
}

__all__ = [
    "ProjectFileError",
    "SUFFIX",
    "dumps",
    "load_project",
    "name_for_file",
    "parse",
    "project_from_dict",
    "project_to_dict",
    "relative_data_path",
    "resolve_data_path",
    "save_project",
]
