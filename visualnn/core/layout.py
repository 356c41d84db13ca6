"""Layered (Sugiyama-style) auto-layout: models flow top to bottom with few edge crossings.

Pure Python so it is testable headless and usable by importers; positions are the top-left
corners of fixed-size node cards, matching how the canvas places ``Node.pos``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from visualnn.core.graph import Graph

NODE_WIDTH = 220.0
NODE_HEIGHT = 84.0
H_GAP = 40.0
V_GAP = 56.0
_SWEEPS = 4


def assign_layers(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering: every edge goes from a lower layer to a higher one.

    Edges that would close a cycle are ignored (the nodes on a cycle still get a layer).
    """
    out: dict[str, list[str]] = {n: [] for n in nodes}
    indeg = dict.fromkeys(nodes, 0)
    for a, b in edges:
        if a in out and b in out and a != b:
            out[a].append(b)
            indeg[b] += 1
    layer = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if indeg[n] == 0]
    seen: set[str] = set()
    while True:
        while ready:
            n = ready.pop()
            seen.add(n)
            for m in out[n]:
                layer[m] = max(layer[m], layer[n] + 1)
                indeg[m] -= 1
                if indeg[m] == 0:
                    ready.append(m)
        rest = [n for n in nodes if n not in seen]
        if not rest:
            return layer
        # Break a cycle at its first node in document order and carry on.
        indeg[rest[0]] = 0
        ready.append(rest[0])


def _count_between(upper: list[str], lower: list[str], down: dict[str, list[str]]) -> int:
    pos = {n: i for i, n in enumerate(lower)}
    targets = [pos[m] for n in upper for m in down.get(n, ()) if m in pos]
    # Crossings = inversions in the target sequence (O(k^2) is fine for layer sizes here).
    crossings = 0
    for i, t in enumerate(targets):
        for u in targets[i + 1 :]:
            if u < t:
                crossings += 1
    return crossings


def count_crossings(layers: list[list[str]], down: dict[str, list[str]]) -> int:
    """Edge crossings between adjacent layers (edges listed source -> targets in ``down``)."""
    return sum(_count_between(layers[i], layers[i + 1], down) for i in range(len(layers) - 1))


def _order_layers(
    layers: list[list[str]], down: dict[str, list[str]], up: dict[str, list[str]]
) -> list[list[str]]:
    """Barycentre sweeps, keeping the best ordering seen."""
    best = [list(layer) for layer in layers]
    best_score = count_crossings(best, down)
    cur = [list(layer) for layer in layers]
    for sweep in range(_SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(cur)) if downward else range(len(cur) - 2, -1, -1)
        for i in indices:
            ref = cur[i - 1] if downward else cur[i + 1]
            ref_pos = {n: k for k, n in enumerate(ref)}
            neigh = up if downward else down
            keyed = []
            for k, n in enumerate(cur[i]):
                ps = [ref_pos[m] for m in neigh.get(n, ()) if m in ref_pos]
                keyed.append((sum(ps) / len(ps) if ps else float(k), k, n))
            keyed.sort()
            cur[i] = [n for _, _, n in keyed]
        score = count_crossings(cur, down)
        if score < best_score:
            best, best_score = [list(layer) for layer in cur], score
        if best_score == 0:
            break
    return best


def _place_x(layers: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]], step: float) -> dict[str, float]:
    """Centre each node over its neighbours while keeping the layer order and spacing."""
    x: dict[str, float] = {}
    for layer in layers:
        width = (len(layer) - 1) * step
        for k, n in enumerate(layer):
            x[n] = k * step - width / 2
    for sweep in range(4):
        order = layers if sweep % 2 == 0 else list(reversed(layers))
        neigh = up if sweep % 2 == 0 else down
        for layer in order:
            want = []
            for n in layer:
                ps = [x[m] for m in neigh.get(n, ()) if m in x]
                want.append(sum(ps) / len(ps) if ps else x[n])
            placed: list[float] = []
            for w in want:
                placed.append(w if not placed else max(w, placed[-1] + step))
            # Shift back so the layer's mean matches what the nodes asked for.
            shift = (sum(want) - sum(placed)) / len(placed) if placed else 0.0
            for k in range(len(placed) - 1, -1, -1):
                nxt = placed[k + 1] if k + 1 < len(placed) else None
                v = placed[k] + shift
                placed[k] = v if nxt is None else min(v, nxt - step)
            for n, v in zip(layer, placed, strict=True):
                x[n] = v
    return x


def layered_positions(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    node_width: float = NODE_WIDTH,
    node_height: float = NODE_HEIGHT,
    h_gap: float = H_GAP,
    v_gap: float = V_GAP,
) -> dict[str, tuple[float, float]]:
    """Top-left positions for ``nodes`` so edges point downwards with few crossings."""
    if not nodes:
        return {}
    layer_of = assign_layers(nodes, edges)
    # Long edges get dummy nodes in each layer they pass, so ordering sees them.
    down: dict[str, list[str]] = {n: [] for n in nodes}
    up: dict[str, list[str]] = {n: [] for n in nodes}
    extra_layer: dict[str, int] = {}
    dummy = 0
    for a, b in edges:
        if a not in layer_of or b not in layer_of or a == b:
            continue
        la, lb = layer_of[a], layer_of[b]
        if lb <= la:
            continue  # a cycle's back edge: drawn, but not used for ordering
        prev = a
        for lay in range(la + 1, lb):
            d = f"\x00d{dummy}"
            dummy += 1
            extra_layer[d] = lay
            down[d], up[d] = [], []
            down[prev].append(d)
            up[d].append(prev)
            prev = d
        down[prev].append(b)
        up[b].append(prev)
    n_layers = max(list(layer_of.values()) + list(extra_layer.values())) + 1
    layers: list[list[str]] = [[] for _ in range(n_layers)]
    for n in nodes:
        layers[layer_of[n]].append(n)
    for d, lay in extra_layer.items():
        layers[lay].append(d)
    layers = _order_layers(layers, down, up)
    x = _place_x(layers, up, down, node_width + h_gap)
    real = set(nodes)
    return {
        n: (round(x[n] - node_width / 2, 2), round(layer_of[n] * (node_height + v_gap), 2))
        for layer in layers
        for n in layer
        if n in real
    }


def auto_layout(graph: Graph, node_width: float = NODE_WIDTH, node_height: float = NODE_HEIGHT) -> dict[str, tuple[float, float]]:
    """Layered positions for every node of ``graph`` (apply them with a MoveNodes command)."""
    edges = [(e.src.node, e.dst.node) for e in graph.edges]
    return layered_positions(list(graph.nodes), edges, node_width, node_height)
