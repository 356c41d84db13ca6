"""`visualnn search` refuses bad input before training anything, naming the parameter, setting or URL (exit 2)."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.search_helpers import SPACE, tiny_project
from visualnn.cli import main


def _refused(capsys: Any, *args: str) -> str:
    assert main(["search", *args, "--json"]) == 2
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["ok"] is False
    message: str = out["error"]
    return message


@pytest.mark.parametrize(("space", "words"), [
    ([], "The search space is empty"),
    (["training.batch_size=64..16"], "training.batch_size: the range 64..16 has low > high; write 16..64"),
    (["training.learning_rate=0..0.01:log"], "training.learning_rate: a log-scale range must stay above 0"),
    (["dense_7.units=8,16"], "dense_7.units: there is no layer 'dense_7'"),
    (["dense_1.kernel=8,16"], "dense_1.kernel: Dense has no parameter 'kernel'"),
    (["dropout_1.rate=0.5..2.0"], "dropout_1.rate: 2.0 is not allowed"),
    (["dense_1.units"], "write TARGET=SPEC"),
])
def test_bad_space(tmp_path: Path, capsys: Any, space: list[str], words: str) -> None:
    path = tiny_project(tmp_path)
    message = _refused(capsys, str(path), *(a for s in space for a in ("--space", s)))
    assert words in message
    assert not (tmp_path / "wine.search.db").exists() and not (tmp_path / "runs").exists()


def test_metric_must_be_compiled_and_never_the_test_split(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path)
    message = _refused(capsys, str(path), *SPACE, "--metric", "val_auc")
    assert "search metric 'val_auc' is not compiled" in message and "val_accuracy" in message
    message = _refused(capsys, str(path), *SPACE, "--metric", "test_accuracy")
    assert "test split" in message


def test_the_search_section_of_the_project_is_used(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path, trials=0, space=[{"target": "dense_1.units", "kind": "choice", "choices": [8]}])
    assert "search trials must be at least 1" in _refused(capsys, str(path))
    bad = tiny_project(tmp_path, space=[{"target": "dense_1.units", "kind": "int", "low": 0, "high": 8}])
    assert "dense_1.units: 0 is not allowed" in _refused(capsys, str(bad))


@pytest.mark.parametrize("url", [
    "postgresql://vnn:secret@127.0.0.1:1/nothing",  # nothing listens there: refused at once
    "postgresql://vnn:secret@10.255.255.1:5432/nothing",  # unroutable: the connect timeout
])
def test_unreachable_storage_is_refused_within_10_s_naming_the_url(tmp_path: Path, capsys: Any, url: str) -> None:
    pytest.importorskip("psycopg2")
    path = tiny_project(tmp_path)
    t0 = time.monotonic()
    message = _refused(capsys, str(path), *SPACE, "--storage", url)
    assert time.monotonic() - t0 < 10
    assert "Cannot" in message and url.replace(":secret@", ":***@") in message and "secret" not in message


def test_sqlite_storage_in_a_missing_folder(tmp_path: Path, capsys: Any) -> None:
    path = tiny_project(tmp_path)
    url = f"sqlite:///{tmp_path}/nowhere/s.db"
    message = _refused(capsys, str(path), *SPACE, "--storage", url)
    assert f"the folder {tmp_path}/nowhere does not exist" in message


def test_existing_study_with_another_space_is_refused_naming_the_difference(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.search_settings import SearchConfig
    from visualnn.core.search_space import parse_assignment
    from visualnn.services.search_study import make_pruner, make_sampler, open_storage, open_study

    path = tiny_project(tmp_path)
    old = (parse_assignment("dense_1.units=8,16"), parse_assignment("dropout_1.rate=0.0..0.5"))
    cfg = SearchConfig(space=old)
    storage = open_storage(f"sqlite:///{tmp_path}/wine.search.db")
    open_study(storage, "wine", cfg, old, make_sampler(cfg, old, 1), make_pruner(cfg, 1))
    message = _refused(capsys, str(path), "--space", "dense_1.units=8,16,32", "--space", "dropout_1.rate=0.0..0.5")
    assert "Study 'wine'" in message and "different search space" in message
    assert "dense_1.units: 8,16 in the study, 8,16,32 now" in message
    message = _refused(capsys, str(path), "--space", "dense_1.units=8,16", "--space", "dropout_1.rate=0.0..0.5",
                       "--metric", "val_accuracy")
    assert "direction" in message  # val_loss (minimise) in the study, val_accuracy (maximise) now


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise() -> None:
    from visualnn.cli.search_verbs import SearchProgress

    events = [("search", {"event": "study", "study": "wine", "storage": "sqlite:///w.db", "objective": "val_accuracy",
                          "directions": ["maximize"], "existing": 2}),
              ("search", {"event": "trial_started", "trial": 2, "params": {}}),
              ("epoch", {"trial": 2, "epoch": 1, "epochs": 3, "logs": {}}),
              ("search", {"event": "trial", "trial": 2, "state": "complete", "values": [0.91]}),
              ("search", {"event": "trial_started", "trial": 3, "params": {}}),
              ("search", {"event": "trial", "trial": 3, "state": "pruned", "values": [0.5]})]
    tty, plain = _Tty(), io.StringIO()
    for stream in (tty, plain):
        progress = SearchProgress(5, stream)
        for kind, data in events:
            progress(kind, data)
    assert "\r[" + "█" * 14 in tty.getvalue() and "3/5 · trial 3 · best 0.9100" in tty.getvalue()
    assert "\r" not in plain.getvalue()
    assert plain.getvalue().splitlines()[1:] == ["trial 2: complete 0.9100", "trial 3: pruned 0.5000"]
