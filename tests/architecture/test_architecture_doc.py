"""docs/ARCHITECTURE.md stays true where a machine can tell: the layers, the packages, the README's link."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
PACKAGE = ROOT / "visualnn"


def _section(title_start: str) -> str:
    """The text of the doc's ``## <title_start>...`` section."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title_start)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/ARCHITECTURE.md has no section starting '## {title_start}'"
    return match.group(1)


def _layers_contract() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    assert len(contracts) == 1, "pyproject.toml should hold exactly one import-linter layers contract"
    return list(contracts[0]["layers"])


def test_the_layer_diagram_matches_the_layers_contract() -> None:
    """Each layer of the contract starts a line of the §1 diagram, top to bottom in the contract's order."""
    lines = _section("1.").splitlines()
    rows = []
    for layer in _layers_contract():
        found = [i for i, line in enumerate(lines) if re.match(rf"{re.escape(layer)}\s", line)]
        assert found, f"layer {layer!r} of the layers contract is missing from the diagram in docs/ARCHITECTURE.md §1"
        rows.append(found[0])
    assert rows == sorted(rows), "the diagram in docs/ARCHITECTURE.md §1 lists the layers in another order"


def test_the_file_tree_names_every_package_and_top_level_module() -> None:
    tree = _section("4.").split("\nresources/")[0]  # visualnn/ only: tests/ repeats the package names
    packages = sorted(p.parent.relative_to(PACKAGE) for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE)
    missing = [f"{p.as_posix()}/" for p in packages if not re.search(rf"(?<![\w/]){re.escape(p.name)}/", tree)]
    missing += [p.name for p in sorted(PACKAGE.glob("*.py")) if not re.search(rf"(?<!\w){re.escape(p.name)}", tree)]
    assert not missing, f"docs/ARCHITECTURE.md §4 does not show: {', '.join(missing)}"


def test_the_readme_points_into_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/ARCHITECTURE.md" in readme
    assert "../shared" not in readme
