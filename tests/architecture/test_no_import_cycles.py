"""No two modules of ``visualnn`` import each other, directly or through others.

The import graph comes from grimp (the library behind ``lint-imports``), which records every
``import`` statement, those inside functions and under ``TYPE_CHECKING`` too: a lazy import still
ties the two modules' designs together. Each loop is reported as a chain of module names with the
line of each import, shortest first.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise

import grimp
import pytest


def _reachable(graph: grimp.ImportGraph, start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = deque([start])
    while todo:
        for imported in graph.find_modules_directly_imported_by(todo.popleft()):
            if imported not in seen:
                seen.add(imported)
                todo.append(imported)
    return seen


def import_loops(graph: grimp.ImportGraph) -> list[list[str]]:
    """The modules that sit on an import loop, one sorted group per strongly connected component."""
    reach = {module: _reachable(graph, module) for module in graph.modules}
    groups: list[list[str]] = []
    placed: set[str] = set()
    for module in sorted(graph.modules):
        if module in placed or module not in reach[module]:
            continue
        group = sorted({module} | {other for other in reach[module] if module in reach[other]})
        placed.update(group)
        groups.append(group)
    return groups


def shortest_cycle(graph: grimp.ImportGraph, group: list[str], start: str) -> list[str]:
    """The shortest chain of imports inside ``group`` from ``start`` back to ``start`` (both ends listed)."""
    members = set(group)
    came_from: dict[str, str] = {}
    todo = deque([start])
    while todo:
        module = todo.popleft()
        for imported in sorted(graph.find_modules_directly_imported_by(module) & members):
            if imported == start:
                chain = [start]
                while module != start:
                    chain.append(module)
                    module = came_from[module]
                return [start, *reversed(chain[1:]), start]
            if imported not in came_from:
                came_from[imported] = module
                todo.append(imported)
    raise AssertionError(f"{start} is not on an import loop inside {group}")


def describe(graph: grimp.ImportGraph, group: list[str]) -> str:
    """One loop group as readable chains: ``a -> b (l.12) -> a (l.40)``, one per distinct cycle."""
    cycles: list[list[str]] = []
    for start in group:
        cycle = shortest_cycle(graph, group, start)
        if not any(set(pairwise(cycle)) == set(pairwise(c)) for c in cycles):
            cycles.append(cycle)
    lines = [f"loop among {len(group)} modules: {', '.join(group)}"]
    for cycle in sorted(cycles, key=len):
        steps = [cycle[0]]
        for importer, imported in pairwise(cycle):
            where = ", ".join(
                f"l.{d['line_number']}" for d in graph.get_import_details(importer=importer, imported=imported)
            )
            steps.append(f"{imported} ({where})")
        lines.append("    " + " -> ".join(steps))
    return "\n".join(lines)


def test_visualnn_has_no_import_cycles() -> None:
    # Imports under `if TYPE_CHECKING:` never run: they name a type for an annotation (the settings table
    # describes TrainingConfig, which reads the table). Every import that runs, at any depth, counts.
    graph = grimp.build_graph("visualnn", cache_dir=None, exclude_type_checking_imports=True)
    loops = import_loops(graph)
    if loops:  # pytest.fail rather than assert: the chains are the message, not a repr of the groups
        report = "\n".join(describe(graph, group) for group in loops)
        pytest.fail(
            f"{len(loops)} import loop(s) in visualnn; move the shared piece one floor down "
            f"(see docs/ARCHITECTURE.md):\n{report}"
        )


def _toy_graph(*imports: str) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for text in imports:
        importer, imported = text.split(" -> ")
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    return graph


def test_the_finder_reports_each_loop_and_passes_a_tree() -> None:
    """The checker itself can fail: it finds both loops of a toy graph and none in a tree."""
    graph = _toy_graph("p.a -> p.b", "p.b -> p.c", "p.c -> p.a", "p.c -> p.d", "p.e -> p.f", "p.f -> p.e", "p.a -> p.g")
    assert import_loops(graph) == [["p.a", "p.b", "p.c"], ["p.e", "p.f"]]
    assert shortest_cycle(graph, ["p.a", "p.b", "p.c"], "p.b") == ["p.b", "p.c", "p.a", "p.b"]
    assert describe(graph, ["p.e", "p.f"]).splitlines()[1].strip() == "p.e -> p.f (l.1) -> p.e (l.1)"
    assert import_loops(_toy_graph("p.a -> p.b", "p.b -> p.c", "p.a -> p.c")) == []


def test_a_loop_through_a_shared_module_is_shown_whole() -> None:
    """Two loops through one module form one group, and each shows up as its own chain."""
    graph = _toy_graph("p.a -> p.hub", "p.hub -> p.a", "p.b -> p.hub", "p.hub -> p.b")
    assert import_loops(graph) == [["p.a", "p.b", "p.hub"]]
    chains = describe(graph, ["p.a", "p.b", "p.hub"]).splitlines()[1:]
    assert sorted(c.strip() for c in chains) == ["p.a -> p.hub (l.1) -> p.a (l.1)", "p.b -> p.hub (l.1) -> p.b (l.1)"]
