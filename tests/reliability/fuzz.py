"""Fuzzing helpers: the hypothesis profiles and structure-aware mutations of valid documents.

Profiles (registered here, applied per test through :func:`fuzz_settings`, never loaded globally, so the
rest of the suite keeps its own hypothesis settings):

- ``visualnn-fuzz`` (the default): a few dozen examples per test, no deadline and no example database, so
  the whole fuzz suite stays within about a minute on two cores.
- ``visualnn-fuzz-long``: ``VISUALNN_FUZZ=long`` multiplies every test's examples by :data:`LONG_FACTOR`
  (a nightly-style run; ``VISUALNN_FUZZ=long pytest tests/reliability -k fuzz``).
- ``visualnn-fuzz-examples``: ``VISUALNN_FUZZ=examples`` runs only the ``@example`` regressions (to check that
  each fails on the code before its fix).

Only the tests read the variable; the product never does.

A failing example prints its reproduction blob (``@reproduce_failure``); once fixed it goes into the test
as an ``@example`` so it stays covered on every run.

Mutations work on JSON-like data (dicts, lists, scalars) taken from a valid document: each picks a spot in
the tree (any value, at any depth) and replaces it with a hostile value, deletes it, retypes it, duplicates
it or adds an unexpected key beside it.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

FUZZ_ENV = "VISUALNN_FUZZ"
CI_PROFILE = "visualnn-fuzz"
LONG_PROFILE = "visualnn-fuzz-long"
EXAMPLES_PROFILE = "visualnn-fuzz-examples"
LONG_FACTOR = 50

_COMMON: dict[str, Any] = {
    "deadline": None,  # the first example of a test pays imports; timing is the memory tests' job
    "database": None,  # nothing written into the worktree; a failure prints its blob instead
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                              HealthCheck.function_scoped_fixture, HealthCheck.large_base_example],
}
settings.register_profile(CI_PROFILE, max_examples=30, **_COMMON)
settings.register_profile(LONG_PROFILE, max_examples=30 * LONG_FACTOR, **_COMMON)


settings.register_profile(EXAMPLES_PROFILE, max_examples=1, phases=[Phase.explicit], **_COMMON)


def _mode() -> str:
    return os.environ.get(FUZZ_ENV, "").strip().lower()


def long_run() -> bool:
    """Whether ``VISUALNN_FUZZ=long`` asks for the long fuzz run."""
    return _mode() == "long"


def fuzz_settings(examples: int) -> settings:
    """The fuzz profile with ``examples`` examples (times :data:`LONG_FACTOR` in the long run; only the
    ``@example`` regressions with ``VISUALNN_FUZZ=examples``)."""
    if _mode() == "examples":
        return settings.get_profile(EXAMPLES_PROFILE)
    if long_run():
        return settings(settings.get_profile(LONG_PROFILE), max_examples=examples * LONG_FACTOR)
    return settings(settings.get_profile(CI_PROFILE), max_examples=examples)


# ------------------------------------------------------------------------------------------ hostile values
@dataclass(frozen=True)
class Raw:
    """A number literal put into JSON text as it is (``1e999``, ``NaN``, 5000 digits): ``json.dumps`` cannot write
    some of them. :func:`materialize` turns it into the Python value ``json.loads`` would give."""

    text: str


@dataclass(frozen=True)
class Deep:
    """Lists nested ``levels`` deep: written as brackets (``json.dumps`` recurses), built without recursion."""

    levels: int


def nested_list(levels: int) -> Any:
    """``levels`` lists one inside the other, built without recursion."""
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


_RAW_VALUES: dict[str, Any] = {"1e999": float("inf"), "-1e999": float("-inf"), "NaN": float("nan"),
                               "Infinity": float("inf"), "-Infinity": float("-inf"), "1" * 5000: 10**5000}

STRINGS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "hidden layer", "couche_é", "x(1)", "\u202e", "\x00", "../../x", "/", ".",
                     "Infinity", "NaN", "1e999", "Dense", "Input", "relu", "None", "🙂" * 3, "a" * 5000,
                     "__import__('os')"]),
)
NUMBERS = st.one_of(
    st.integers(min_value=-3, max_value=70_000),
    st.sampled_from([0, 1, -1, 2**31, 2**53 + 1, 2**63, -(2**63), 10**30, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.5, 1e-320, 1e20, -1e20, 1e308, -1e308, 3.5e38]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS)
RAW = st.sampled_from([Raw(t) for t in _RAW_VALUES])
DEEP = st.sampled_from([Deep(99), Deep(100), Deep(101), Deep(2500)])


def hostile_values(raw: bool = False) -> st.SearchStrategy[Any]:
    """Any JSON-ish value: scalars, small containers, deep nesting; with ``raw`` also :class:`Raw` literals."""
    containers = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                              | st.dictionaries(STRINGS, inner, max_size=4), max_leaves=8)
    return st.one_of(SCALARS, containers, DEEP, RAW) if raw else st.one_of(SCALARS, containers, DEEP)


# --------------------------------------------------------------------------------------------- the tree
Path = tuple[Any, ...]


def spots(doc: Any, limit: int = 5000) -> list[Path]:
    """Paths (tuples of keys and indexes) to every value of ``doc``, the root included, in document order."""
    out: list[Path] = []
    stack: list[tuple[Path, Any]] = [((), doc)]
    while stack and len(out) < limit:
        path, value = stack.pop()
        out.append(path)
        if isinstance(value, dict):
            stack.extend(reversed([((*path, k), v) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([((*path, i), v) for i, v in enumerate(value)]))
    return out


def get(doc: Any, path: Path) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _put(doc: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


def keys_of(doc: Any) -> list[str]:
    """Every dict key used anywhere in ``doc`` (inserted keys look like real ones)."""
    found: set[str] = set()
    for path in spots(doc):
        if path and isinstance(path[-1], str):
            found.add(path[-1])
    return sorted(found)


OPERATIONS = ("replace", "replace", "delete", "retype", "duplicate", "insert", "number")


def mutate(draw: Any, doc: Any, raw: bool = False, max_mutations: int = 3) -> Any:
    """A copy of ``doc`` with 1 to ``max_mutations`` structure-aware mutations drawn with ``draw``."""
    doc = copy.deepcopy(doc)
    known = keys_of(doc)
    for _ in range(draw(st.integers(1, max_mutations))):
        places = spots(doc)
        path = places[draw(st.integers(0, len(places) - 1))]
        value = get(doc, path)
        op = draw(st.sampled_from(OPERATIONS))
        if op == "replace" or (op == "delete" and not path):
            doc = _put(doc, path, draw(hostile_values(raw)))
        elif op == "delete":
            parent = get(doc, path[:-1])
            if isinstance(parent, dict) or isinstance(parent, list):
                del parent[path[-1]]
        elif op == "retype":
            kind = draw(st.sampled_from(["str", "list", "object", "null", "bool"]))
            new = {"str": lambda v: v if isinstance(v, str) else dumps_raw(v)[:200], "list": lambda v: [v],
                   "object": lambda v: {"value": v}, "null": lambda v: None, "bool": lambda v: not bool(v)}[kind](value)
            doc = _put(doc, path, new)
        elif op == "duplicate":
            if isinstance(value, list) and value:
                value.append(copy.deepcopy(value[draw(st.integers(0, len(value) - 1))]))
            elif isinstance(value, dict) and value:
                doc = _put(doc, path, [value, copy.deepcopy(value)])
        elif op == "insert":
            if isinstance(value, dict):
                key = draw(st.sampled_from(known) | STRINGS) if known else draw(STRINGS)
                value[key] = draw(hostile_values(raw))
            elif isinstance(value, list):
                value.insert(draw(st.integers(0, len(value))), draw(hostile_values(raw)))
            else:
                doc = _put(doc, path, draw(hostile_values(raw)))
        else:  # number: the extremes numbers meet in real files
            doc = _put(doc, path, draw(NUMBERS | (RAW if raw else NUMBERS)))
    return doc


def dumps_raw(doc: Any) -> str:
    """``doc`` as JSON text: :class:`Raw` and :class:`Deep` written as they are, non-finite floats as JSON spells them."""
    pieces: list[str] = []

    def marker(value: Raw | Deep) -> str:
        pieces.append(value.text if isinstance(value, Raw) else "[" * value.levels + "]" * value.levels)
        return f"\x00RAW{len(pieces) - 1}\x00"

    text = json.dumps(_swap(doc, marker), ensure_ascii=False)
    for i, piece in enumerate(pieces):
        text = text.replace(json.dumps(f"\x00RAW{i}\x00"), piece, 1)
    return text


def materialize(doc: Any) -> Any:
    """``doc`` as the Python value ``json.loads`` would make of :func:`dumps_raw`'s text (deep lists built for real)."""
    return _swap(doc, lambda v: _RAW_VALUES[v.text] if isinstance(v, Raw) else nested_list(v.levels))


def _swap(doc: Any, how: Any) -> Any:
    """A copy of ``doc`` with every :class:`Raw` and :class:`Deep` replaced by ``how(value)``."""
    if isinstance(doc, Raw | Deep):
        return how(doc)
    doc = copy.deepcopy(doc)
    stack = [doc] if isinstance(doc, dict | list) else []
    while stack:
        item = stack.pop()
        pairs = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
        for k, v in pairs:
            if isinstance(v, Raw | Deep):
                item[k] = how(v)
            elif isinstance(v, dict | list):
                stack.append(v)
    return doc


__all__ = ["FUZZ_ENV", "Deep", "Raw", "dumps_raw", "fuzz_settings", "hostile_values", "long_run", "materialize", "mutate",
           "nested_list", "spots"]
