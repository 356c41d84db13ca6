"""The layer catalog: specs by stable type id, with aliases for renamed types."""

from __future__ import annotations

from collections.abc import Iterator

from visualnn.core.specs.base import LayerSpec

CATEGORIES = (
    "input",
    "core",
    "convolution",
    "pooling",
    "normalization",
    "recurrent",
    "attention",
    "merge",
    "reshaping",
    "preprocessing",
    "pretrained",
    "generic",
    "blocks",
)
"""Palette order; also the keys of the UI colour table."""


class Registry:
    """Specs by type id; ``resolve`` follows ``replaces`` aliases of renamed types."""

    def __init__(self) -> None:
        self._specs: dict[str, LayerSpec] = {}
        self._aliases: dict[str, str] = {}

    def register(self, spec: LayerSpec) -> LayerSpec:
        """Add a spec (a duplicate id is a programming error)."""
        if spec.type in self._specs:
            raise ValueError(f"Layer type {spec.type!r} is registered twice.")
        if spec.category not in CATEGORIES:
            raise ValueError(f"{spec.type}: unknown category {spec.category!r}.")
        self._specs[spec.type] = spec
        for old in spec.replaces:
            self._aliases[old] = spec.type
        return spec

    def resolve(self, type_id: str) -> str | None:
        """The current type id for ``type_id`` (following aliases), or ``None`` if unknown."""
        if type_id in self._specs:
            return type_id
        return self._aliases.get(type_id)

    def get(self, type_id: str) -> LayerSpec | None:
        """The spec for a type id or alias, or ``None``."""
        resolved = self.resolve(type_id)
        return self._specs[resolved] if resolved else None

    def __getitem__(self, type_id: str) -> LayerSpec:
        spec = self.get(type_id)
        if spec is None:
            raise KeyError(f"Unknown layer type {type_id!r}.")
        return spec

    def __contains__(self, type_id: object) -> bool:
        return isinstance(type_id, str) and self.resolve(type_id) is not None

    def __iter__(self) -> Iterator[LayerSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def by_category(self) -> dict[str, list[LayerSpec]]:
        """Specs grouped by category in palette order."""
        groups: dict[str, list[LayerSpec]] = {c: [] for c in CATEGORIES}
        for spec in self._specs.values():
            groups[spec.category].append(spec)
        return {c: specs for c, specs in groups.items() if specs}
