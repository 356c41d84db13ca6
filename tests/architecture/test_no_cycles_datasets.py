"""The data service and core import in one direction: no module imports one that imports it back (grimp).

The whole-package check lands with the last of issue 11's loops; this one guards the loops already opened:
``datasets.prepare`` <-> ``sources``/``images_tf`` (PreparedData now sits below them in ``prepared``).
"""

from __future__ import annotations

import grimp
import pytest

GUARDED = ("visualnn.core", "visualnn.services.datasets", "visualnn.services.training_data",
           "visualnn.services.script_export", "visualnn.services.script_facts")


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module among ``modules`` (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & modules))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("visualnn")


def test_the_finder_sees_a_planted_cycle() -> None:
    planted = grimp.ImportGraph()
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")):
        planted.add_import(importer=importer, imported=imported)
    assert _cycles(planted, set(planted.modules)) == [["a", "b", "c"]]


def test_core_and_the_data_service_have_no_import_cycle(graph: grimp.ImportGraph) -> None:
    modules = {m for m in graph.modules if m.startswith(GUARDED)}
    assert "visualnn.services.datasets.prepared" in modules
    assert _cycles(graph, modules) == []
