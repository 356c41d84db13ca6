"""Generate visualnn/core/specs/builtin/backbone_costs_table.py: the cost of every pretrained backbone family at
any input size, as pure data.

    PYTHONPATH=. python scripts/gen_backbone_costs.py [--check]

For each family of visualnn/core/specs/builtin/pretrained.py it builds the node's model as the app builds it
(VisualNN's builder on Input(h, w, 3) -> backbone, weights=None) with each pooling option at several sizes, square
and not, odd and even at every down-sampling stage, and walks it layer by layer (scripts/backbone_walk.py: the catalog's
own analytic rules on the shapes Keras gives every tensor). Each tensor's height and width follow from the input's
through a chain of size operations (stride-2 'same' convs round up, valid convs and pooling round down, padding
adds, and MobileNet's ``correct_pad`` adds one pixel fewer on an even size); tensors with the same chain form a
*level*. The table holds, per level, the MACs, extra FLOPs and kept-for-backprop values per output pixel, and the
inference moments (the values alive at once, per level). The generator checks that the coefficients are the same
integers at every build size and that the table reproduces every walk exactly; ``--check`` compares the file on
disk with a fresh generation instead of writing it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scripts.backbone_walk import Tensor, Walk, Walker
from visualnn.core.specs.builtin import backbone_cost_model
from visualnn.core.specs.builtin.pretrained import FAMILIES

OUT = Path(__file__).resolve().parents[1] / "visualnn" / "core" / "specs" / "builtin" / "backbone_costs_table.py"
SIZES = ((192, 192), (97, 97), (128, 160), (161, 99), (75, 130))
"""Odd and even sizes at every stride-2 stage of both axes, so that parity-dependent padding shows."""

Level = tuple[tuple[str, ...], tuple[str, ...]]


def node_model(family: str, height: int, width: int, pooling: str | None = None, channels: int = 3) -> Any:
    """The Keras model VisualNN builds for Input(height, width, channels) -> ``family`` (random weights)."""
    import keras  # type: ignore[import-untyped]

    from visualnn.core.graph import Edge, Graph, Node
    from visualnn.services.keras_builder import build_model

    keras.backend.clear_session()
    graph = Graph()
    graph.add_node(Node("in", "Input", {"shape": [height, width, channels]}))
    graph.add_node(Node("backbone", family, {"weights": None, "pooling": pooling}))
    graph.connect(Edge.of("in", "backbone"))
    return build_model(graph)


def _coefficients(walk: Walk) -> dict[str, Any]:
    """Per-level coefficients of one walk (values per output pixel of the level)."""
    levels: dict[Level, list[int]] = {}  # level -> [macs, extras, kept]

    def add(t: Tensor, slot: int, value: int) -> None:
        if value % t.area:
            raise ValueError(f"{value} is not a whole number per pixel of {t.shape}")
        levels.setdefault(t.level, [0, 0, 0])[slot] += value // t.area

    for step in walk.steps:
        add(step.level, 0, step.macs)
        add(step.level, 1, step.extras)
        for t in step.outputs:
            levels.setdefault(t.level, [0, 0, 0])
    for t in walk.kept_tensors():
        add(t, 2, t.elements)
    moments = []
    for moment in walk.moments():
        per: dict[Level, int] = {}
        for t in moment:
            per[t.level] = per.get(t.level, 0) + t.elements // t.area
        moments.append(per)
    (out,) = walk.outputs
    return {"levels": levels, "moments": moments, "output": (out.level, out.shape[-1], out.reads_own_output)}


def _prune(moments: list[dict[int, int]]) -> list[dict[int, int]]:
    """The moments no other moment covers (at least as many values at every level)."""
    unique = {tuple(sorted(m.items())): m for m in moments}.values()
    kept = []
    for m in unique:
        dominated = any(o is not m and all(o.get(k, 0) >= v for k, v in m.items()) and o != m for o in unique)
        if not dominated:
            kept.append(m)
    return sorted(kept, key=lambda m: tuple(sorted(m.items())))


POOLED_SIZES = ((97, 97), (75, 130))
"""The pooled variants share the network body (and its padding) with pooling=None: two sizes check them."""
POOLINGS = (None, "avg", "max")


def family_table(name: str) -> dict[str | None, dict[str, Any]]:
    """The table entries of one family, one per pooling option (Keras applies more than the pooling after it:
    ConvNeXt's last LayerNormalization runs on the pooled vector), each checked against its walks."""
    models = [node_model(name, h, w) for h, w in SIZES]
    probe = [Walker() for _ in models]
    for walker, model in zip(probe, models, strict=True):
        walker.walk(model)
    parity = frozenset(i for walker in probe for i, ((top, bottom), (left, right)) in enumerate(walker.pads_seen)
                       if top != bottom or left != right)
    out: dict[str | None, dict[str, Any]] = {}
    for pooling in POOLINGS:
        sizes = SIZES if pooling is None else POOLED_SIZES
        built = models if pooling is None else [node_model(name, h, w, pooling) for h, w in sizes]
        walks = [Walker(parity).walk(model) for model in built]
        out[pooling] = _entry(f"{name} pooling={pooling}", sizes, walks)
    return out


def _entry(name: str, sizes: tuple[tuple[int, int], ...], walks: list[Walk]) -> dict[str, Any]:
    coefficients = [_coefficients(w) for w in walks]
    first = coefficients[0]
    for (h, w), other in zip(sizes[1:], coefficients[1:], strict=True):
        if other != first:
            raise ValueError(f"{name}: the per-pixel coefficients at {h}x{w} differ from those at {sizes[0]}")
    order = sorted(first["levels"], key=lambda lv: (len(lv[0]), lv))
    for chain_h, chain_w in order:
        if chain_h != chain_w:
            raise ValueError(f"{name}: height and width shrink differently ({chain_h} vs {chain_w})")
    index = {lv: i for i, lv in enumerate(order)}
    moments = _prune([{index[lv]: v for lv, v in m.items()} for m in first["moments"]])
    out_level, out_channels, out_reads = first["output"]
    feature = max((lv for lv in order if lv[0] and lv[0][-1] != "1"), key=lambda lv: len(lv[0]))
    entry = {
        "levels": tuple(lv[0] for lv in order),
        "macs": tuple(first["levels"][lv][0] for lv in order),
        "extras": tuple(first["levels"][lv][1] for lv in order),
        "kept": tuple(first["levels"][lv][2] for lv in order),
        "moments": tuple(tuple(sorted(m.items())) for m in moments),
        "feature_level": index[feature],
        "output_level": index[out_level],
        "output_channels": out_channels,
        "output_kept": out_reads,
    }
    for (h, w), walk in zip(sizes, walks, strict=True):
        _check(name, entry, h, w, walk)
    return entry


def _check(name: str, entry: dict[str, Any], h: int, w: int, walk: Walk) -> None:
    got = backbone_cost_model.evaluate(entry, h, w)
    want = (walk.macs, walk.extras, walk.kept, walk.peak - sum(t.elements for t in walk.inputs))
    if (got.macs, got.extras, got.kept, got.peak) != want:
        raise ValueError(f"{name} at {h}x{w}: the table gives {got}, the walk (macs, extras, kept, peak) {want}")


def render(table: dict[str, dict[str, Any]]) -> str:
    """The generated module's text."""
    lines = [
        '"""Pretrained backbones\' cost at any input size: GENERATED by scripts/gen_backbone_costs.py; do not edit.',
        "",
        "Per family and pooling option (include_top=False, 3 channels, the preprocessing layers in front): the levels",
        "(size chains: how a tensor's height and width follow from the input's), and per level the MACs, extra FLOPs",
        "and values kept for backprop per output pixel, the inference moments (level index, values per pixel), the level",
        "of the last feature map and of the output.",
        "Regenerate after a Keras upgrade or a new family: PYTHONPATH=. python scripts/gen_backbone_costs.py",
        '"""',
        "",
        "from typing import Any",
        "",
        "TABLE: dict[str, dict[str | None, dict[str, Any]]] = {",
    ]
    for name, entries in table.items():
        lines.append(f"    {name!r}: {{")
        for pooling, entry in entries.items():
            lines.append(f"        {pooling!r}: {{")
            for key, value in entry.items():
                lines.append(f"            {key!r}: {value!r},")
            lines.append("        },")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file on disk; write nothing")
    parser.add_argument("--family", action="append",
                        help="regenerate only these families; the others' rows stay as the file holds them")
    args = parser.parse_args(argv)
    names = args.family or [f.name for f in FAMILIES]
    table = {}
    for name in names:
        table[name] = family_table(name)
        plain = table[name][None]
        print(f"{name}: {len(plain['levels'])} levels, {len(plain['moments'])} moments", flush=True)
    if args.family:  # the other families' rows as the file holds them, in the table's order
        from visualnn.core.specs.builtin.backbone_costs_table import TABLE

        table = {f.name: table[f.name] if f.name in table else TABLE[f.name] for f in FAMILIES
                 if f.name in table or f.name in TABLE}
    text = render(table)
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run scripts/gen_backbone_costs.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
