"""Journey: a hyperparameter search from the window, with the real TensorFlow engine and Optuna.

By hand: New -> a 150-row CSV through the Data panel -> Input, Dense, Dense dragged and connected -> File > Save As
-> the hidden layer's units marked "search" in the Inspector (typed ``4,16``) -> Runs > Search: the learning rate
searched too, 4 trials, random sampler, no pruner -> Search. The live table fills with the trials (each a run of
the project), the best-so-far curve and the parallel coordinates draw them, the Importance tab shows the engine's
fANOVA shares of the two parameters once the search ends, the SQLite study lies beside the project;
"Apply this trial" writes the best trial's values into the canvas and Undo takes them back.

Needs the engine's ``search`` job (the searchcore branch); an engine without it is a skip that says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.journeys.steps import build_dense_model, load_csv, set_training, write_csv
from visualnn.core.search_settings import STORAGE_SUFFIX
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.training import snapshot
from visualnn.ui.training.search_view import SearchPanel

pytestmark = [pytest.mark.tf, pytest.mark.slow]


@pytest.fixture(autouse=True)
def own_session_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The journey is one run of the app: its own session folder, removed when it ends."""
    monkeypatch.setattr(snapshot, "_SESSION_DIR", None)
    yield
    snapshot.remove_session_dir()


def _cells(view: SearchPanel, column: str) -> list[str]:
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    c = headers.index(column)
    return [view.table.item(r, c).text() for r in range(view.table.rowCount())]


def test_search_four_trials_from_the_window_and_apply_the_best(
        launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot) -> None:
    if "search" not in (tf_engine.info.get("handlers") or []):
        pytest.skip("this engine has no 'search' job (the Optuna engine of the searchcore branch is not merged in)")
    session, user = launch(tf_engine)
    window = session.window
    document = window.document
    user.menu("File", "New")
    assert not document.graph.nodes
    load_csv(user, write_csv(tmp_path / "numbers.csv"))
    ids = build_dense_model(user, hidden_units=8)
    set_training(user, epochs=2, batch_size=32)
    saved = tmp_path / "work" / "numbers.vnn"
    saved.parent.mkdir()
    user.chooser.will_answer("save_file", str(saved))
    user.menu("File", "Save As…")
    assert document.path == str(saved)

    # The Inspector: "search" beside units, then the values typed.
    hidden = ids[1]
    user.select_layer(hidden)
    user.click(window.inspector.rows["units"].search.toggle)  # type: ignore[union-attr]
    spec = window.inspector.rows["units"].search.line  # type: ignore[union-attr]
    user.type_into(spec, "4,16")
    assert [p.describe() for p in document.project.search.space] == [f"{hidden}.units=4,16"]
    badge = [c for c in user.node_item(hidden).childItems() if c.toolTip().endswith(f"{hidden}.units=4,16")]
    assert badge, "the searched layer shows no search badge"

    # Runs > Search: the learning rate too, 4 trials (fANOVA's minimum), the random sampler, no pruner (every trial
    # completes), the loss as the metric.
    user.show_dock("runs")
    runs = window.runs_panel
    user.open_tab(runs.views, "Search")
    view = runs.search
    form = view.form
    user.click(form.marker.fields["training.learning_rate"].toggle)
    user.type_into(form.trials, "4")
    user.choose(form.sampler, "random")
    user.choose(form.pruner, "none")
    search = document.project.search
    assert search.trials == 4 and search.sampler == "random" and search.pruner == "none"
    assert not form.problems_label.isVisible(), form.problems_label.text()

    user.click(view.search_btn)
    user.wait_until(lambda: view.search_btn.isEnabled() and len(view.rows) >= 4,
                    lambda: f"four trials (the view says {view.status.text()!r}; error {view.error.text()!r})",
                    timeout_ms=300_000)
    assert not view.error.isVisible(), view.error.text()
    states = _cells(view, "state")
    assert states == ["complete"] * 4, states
    assert set(_cells(view, f"{hidden}.units")) <= {"4", "16"}
    trials = [r for r in document.project.runs if isinstance(r.extra.get("search"), dict)]
    assert len(trials) == 4, [r.id for r in document.project.runs]
    assert (saved.parent / f"numbers{STORAGE_SUFFIX}").is_file(), "the SQLite study is not beside the project"
    xs, _ys = view.plots.best_curve.getData()
    assert xs is not None and len(xs) >= 1
    assert len(view.plots.parallel_lines) >= 3 + 1  # three axes, at least one complete trial
    shares = view.plots.importance_values  # what the engine's fANOVA sent when the search ended
    assert set(shares) == {f"{hidden}.units", "training.learning_rate"}, shares
    assert sum(shares.values()) == pytest.approx(1.0) and view.plots.importance_bars is not None
    user.open_tab(view.plots, "Importance")
    user.screenshot("search_view")

    # Apply the best trial: the canvas takes its units; Undo restores the 8 the model had.
    best = min((r for r in view.rows if r.value is not None), key=lambda r: r.value or 0.0)
    view.select_trials([best.number])
    user.click(view.apply_btn)
    assert document.graph.nodes[hidden].params["units"] == best.params[f"{hidden}.units"]
    document.undo_stack.undo()
    assert document.graph.nodes[hidden].params["units"] == 8
