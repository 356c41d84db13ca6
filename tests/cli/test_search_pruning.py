"""A pruned trial stops where the pruner stopped it and reports the value Optuna recorded for it (it trained one
more batch and a validation pass, printed that partial epoch's figure, and Optuna's table showed another)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna
import pytest

from tests.cli.search_helpers import SPACE, last_json, tiny_project
from visualnn.cli import main

pytestmark = pytest.mark.tf


class _PruneAtOnce(optuna.pruners.BasePruner):
    """Prunes every trial but the first at its first reported epoch (the median pruner needs startup trials and
    luck; a study without a complete trial ends with exit 1)."""

    def prune(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        return trial.number > 0 and bool(trial.intermediate_values)


def test_a_pruned_trial_ends_at_its_pruned_epoch_with_optunas_value(tmp_path: Path, capsys: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("visualnn.services.search.make_pruner", lambda cfg, epochs: _PruneAtOnce())
    path = tiny_project(tmp_path, epochs=4)
    assert main(["search", str(path), *SPACE, "--trials", "3", "--json"]) == 0
    out = last_json(capsys.readouterr().out)
    assert [t["state"] for t in out["trials"]] == ["complete", "pruned", "pruned"]
    runs = {r["extra"]["search"]["trial"]: r for r in json.loads(path.read_text())["runs"]}
    assert len(runs[0]["history"]["val_loss"]) == 4
    for trial in out["trials"][1:]:
        run = runs[trial["number"]]
        assert run["extra"]["search"]["pruned_at"] == 1
        assert len(run["history"]["val_loss"]) == 1  # no second epoch was started
        assert run["extra"]["search"]["values"] == [trial["value"]] == [run["history"]["val_loss"][0]]
