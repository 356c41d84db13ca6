"""Training benchmarks: per-epoch time of the app against the exported script, plot redraw cost.

(The UI's event-loop lag while training is measured in bench/bench_ui.py, on the real main window with its
automatic evaluation.)

Run: ``.venv/bin/python bench/bench_training.py [--quick] [--only epochs|plot] [--templates NAME ...]``

The per-epoch case trains every template on its bundled example twice per round: through the engine's
train job (``services/training.py``, data read from disk by ``services/datasets``, validation split and
shuffle as the project sets them) and through the script ``visualnn export-code`` writes for the same
project (its ``main()``). The two fits run in lockstep, taking turns epoch by epoch (``Turns``), so that each
epoch of one side runs right beside the same epoch of the other; which side goes first alternates. A side's
round figure is the median of its epochs 2..N; the figure is the median over rounds of app / script. N is at
least 10, and more where a template's epochs are short: its timed epochs last at least ``MIN_TIMED_S`` (a
20-30 ms epoch swings by several percent, and nine of them could not tell 2 % apart). Before each round of a
case the heap is settled (see ``settle``).
Each figure is printed with its goal beside it; the script exits 1 when one misses.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import math
import os
import shutil
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _report(name: str, value: float, goal: str, ok: bool, unit: str = "") -> None:
    print(f"{name:<52} {value:10.3f}{unit:<3} goal {goal:<10} {'PASS' if ok else 'MISS'}", flush=True)


# ----------------------------------------------------------------------- overhead
EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
EPOCH_GOAL = 1.02  # the app's seconds per epoch over the exported script's
EPOCHS = 10  # per fit, at least: epoch 1 traces, epochs 2..N are timed (a 5-epoch fit swung +-10 %)
MIN_TIMED_S = 1.5  # the timed epochs of one fit last at least this long (estimated from a calibration fit)
MAX_EPOCHS = 200
ROUNDS = 7  # after the warm-up and calibration

# Each template on the bundled example it trains on: (example folder, data inside it, target, array mapping).
# Data None: the example's own project, which resources/examples/make_examples.py made from that template.
# Otherwise the template adapted to the data as `visualnn new --template T --data FILE --target COL` adapts it;
# the mapping is the Data panel's Tensors-tab choice that the validation message asks for (multi_output's
# Input "features" reads the "tabular" array of two_inputs.npz).
PAIRS: dict[str, tuple[str, str | None, str | None, dict[str, Any] | None]] = {
    "mlp_classifier": ("tabular", None, None, None),
    "mlp_regressor": ("timeseries", "weather.csv", "temperature", None),
    "cnn_small": ("images", None, None, None),
    "vgg_blocks": ("images", "shapes", None, None),
    "resnet_blocks": ("images", "shapes", None, None),
    "lstm_classifier": ("timeseries", "weather.csv", "temperature", None),
    "conv1d_regressor": ("timeseries", None, None, None),
    "autoencoder": ("images", "shapes", None, None),
    "two_input": ("two_inputs", None, None, None),
    "multi_output": ("two_inputs", "two_inputs.npz", None, {"inputs": {"features": "tabular"}}),
}


@dataclass
class EpochCase:
    """One template on its example, saved as a project in a scratch copy of the example, with its exported script."""

    template: str
    example: str
    folder: Path
    project: Any  # the Project as the app loads it from the .vnn
    script: Any  # the exported script, imported as a module
    epochs: int = EPOCHS  # per timed fit (see ``calibrate``)

    @property
    def name(self) -> str:
        """How the table names the case."""
        return f"{self.template} on {self.example}"


def prepare_case(template: str, scratch: Path) -> EpochCase:
    """Copy the example (once), make the template's project for it, save it, export its script beside it."""
    import importlib.util

    from visualnn.cli.project_verbs import new_project
    from visualnn.core.dataset import DatasetSpec
    from visualnn.core.project.io import load_project, save_project
    from visualnn.core.validation import validate
    from visualnn.services.datasets.attach import inspect_for
    from visualnn.services.datasets.facts import facts_of
    from visualnn.services.script_export import export_script, write_script

    key, data, target, arrays = PAIRS[template]
    folder = scratch / key
    if not folder.exists():
        shutil.copytree(EXAMPLES / key, folder)
    if data is None:
        project = load_project(folder / f"{key}.vnn")
    else:
        project = new_project(template, str(folder / data), target).project
        if arrays is not None:
            project.set_dataset(DatasetSpec(project.dataset.kind, project.dataset.path,
                                            dict(project.dataset.options, arrays=arrays)))
        info = inspect_for(project.graph, project.dataset.path, target, project.dataset.kind, project.dataset.options)
        errors = [i.message for i in validate(project, facts=facts_of(info)) if i.is_error]
        if errors:
            raise SystemExit(f"{template} does not fit the {key} example: {' '.join(errors)}")
    vnn = folder / f"bench_{template}.vnn"
    save_project(project, vnn)
    project = load_project(vnn)  # as the window opens it: data paths relative to the project file
    script = folder / f"train_{template}.py"
    write_script(export_script(project, "functional", str(folder), str(folder)), str(script))
    spec = importlib.util.spec_from_file_location(f"train_{template}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):
        spec.loader.exec_module(module)
    return EpochCase(template, key, folder, project, module)


@dataclass(frozen=True)
class Mark:
    """One epoch: wall clock and the process's CPU time (all threads) at its start and end, and its loss."""

    start: float
    end: float
    cpu_start: float
    cpu_end: float
    loss: float


def ended(start: float, cpu_start: float, logs: dict[str, Any] | None) -> Mark:
    """The mark of an epoch that started at (``start``, ``cpu_start``) and ends now, with its loss."""
    return Mark(start, time.perf_counter(), cpu_start, time.process_time(),
                float((logs or {}).get("loss", float("nan"))))


@contextlib.contextmanager
def fit_callback(make: Callable[[], Any]) -> Iterator[None]:
    """While open, every ``model.fit`` gets ``make()`` as one more callback, last in its list."""
    import keras

    own = keras.Model.__dict__.get("fit")
    inherited = keras.Model.fit

    def fit(self: Any, *args: Any, callbacks: Any = None, **kwargs: Any) -> Any:
        if isinstance(callbacks, keras.callbacks.CallbackList):  # the app passes its own list
            callback = make()
            callback.set_model(self)
            callbacks.callbacks.append(callback)  # after History: epoch-level hooks only, no batch hooks
            return inherited(self, *args, callbacks=callbacks, **kwargs)
        return inherited(self, *args, callbacks=[*(callbacks or []), make()], **kwargs)

    keras.Model.fit = fit
    try:
        yield
    finally:
        if own is None:
            del keras.Model.fit
        else:
            keras.Model.fit = own


@contextlib.contextmanager
def epoch_clock() -> Iterator[list[Mark]]:
    """While open, every ``model.fit`` is timed epoch by epoch (one side at a time: bench_transfer, the GPU bench).

    Both sides get the same callback; an epoch runs from the previous epoch's end (its batches, the validation
    pass and every other callback's epoch-end work).
    """
    import keras

    marks: list[Mark] = []

    class EpochClock(keras.callbacks.Callback):  # type: ignore[misc]
        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self.start, self.cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            marks.append(ended(self.start, self.cpu, logs))
            self.start, self.cpu = marks[-1].end, marks[-1].cpu_end

    with fit_callback(EpochClock):
        yield marks


class Turns:
    """Two fits in two threads taking turns one epoch at a time (``lockstep``): while one trains, the other waits.

    Each side's epoch k then runs right beside the other's epoch k, so the machine's drift over seconds (on a
    shared 2-core machine a fit's epochs run 65-95 ms one minute and the same fit's run 90-120 ms the next) falls
    on both sides alike. A side waits on a condition (no CPU) from its epoch's end until its next turn; its epoch
    is timed from the turn's start to its end.
    """

    WAIT_S = 900.0

    def __init__(self, first: str, second: str) -> None:
        self.sides = (first, second)
        self.cond = threading.Condition()
        self.arrived: set[str] = set()
        self.done: set[str] = set()
        self.turn: str | None = None

    def other(self, side: str) -> str:
        return self.sides[1] if side == self.sides[0] else self.sides[0]

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        if not self.cond.wait_for(ready, timeout=self.WAIT_S):
            raise SystemExit(f"lockstep: waited {self.WAIT_S:.0f} s for {what}")

    def arrive(self, side: str) -> None:
        """At the side's train begin: say so, then wait for its first turn."""
        with self.cond:
            self.arrived.add(side)
            self.cond.notify_all()
        self.take(side)

    def await_arrival(self, side: str) -> None:
        """The main thread: wait until ``side`` waits at its train begin (or has ended without training)."""
        with self.cond:
            self._wait(lambda: side in self.arrived or side in self.done, f"the {side} to start training")

    def start(self) -> None:
        """Both sides are in place: the first one's turn."""
        with self.cond:
            self.turn = self.sides[0]
            self.cond.notify_all()

    def take(self, side: str) -> None:
        """Wait until it is ``side``'s turn, or the other side has ended."""
        with self.cond:
            self._wait(lambda: self.turn == side or self.other(side) in self.done, f"the {self.other(side)}'s epoch")

    def pass_on(self, side: str) -> None:
        """The side's epoch ended: the other's turn."""
        with self.cond:
            self.turn = self.other(side)
            self.cond.notify_all()

    def leave(self, side: str) -> None:
        """The side ended (trained, or failed): the other no longer waits for it."""
        with self.cond:
            self.done.add(side)
            self.turn = self.other(side)
            self.cond.notify_all()

    def finish(self, side: str) -> None:
        """At the side's train end: leave, then wait until the other side has trained too, so that neither's
        evaluation and saving overlaps the other's last timed epoch."""
        self.leave(side)
        with self.cond:
            self._wait(lambda: len(self.done) == 2, f"the {self.other(side)} to end its training")


def turn_clock(side: str, turns: Turns, marks: list[Mark]) -> Any:
    """The callback timing ``side``'s fit in lockstep: each epoch from the start of its turn to its end."""
    import keras

    class TurnClock(keras.callbacks.Callback):  # type: ignore[misc]
        def _begin(self) -> None:
            self.start, self.cpu = time.perf_counter(), time.process_time()

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            turns.arrive(side)
            self._begin()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            marks.append(ended(self.start, self.cpu, logs))
            turns.pass_on(side)
            turns.take(side)
            self._begin()

        def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
            turns.finish(side)

    return TurnClock()


def lockstep(case: EpochCase, epochs: int, first: str) -> dict[str, list[Mark]]:
    """Train ``case`` on both sides at once, taking turns epoch by epoch (``first`` starts each round of turns).

    Each side runs in its own thread (the app's fit in the engine's worker thread beneath it). The second side
    starts only when the first waits at its train begin: the two never prepare data or build models at the same
    time (nor set the random seed), so each trains what it would train alone; the losses are checked to agree.
    """
    sides = {"app": _train_app, "script": _train_script}
    second = "script" if first == "app" else "app"
    turns = Turns(first, second)
    marks: dict[str, list[Mark]] = {first: [], second: []}
    clocks: deque[Any] = deque()
    errors: dict[str, BaseException] = {}

    def run(side: str) -> None:
        try:
            sides[side](case, epochs)
        except BaseException as exc:  # noqa: BLE001 (re-raised in the main thread below)
            errors[side] = exc
        finally:
            turns.leave(side)

    threads = {}
    with fit_callback(clocks.popleft):
        for side in (first, second):
            clocks.append(turn_clock(side, turns, marks[side]))
            threads[side] = threading.Thread(target=run, args=(side,), name=f"bench-{side}", daemon=True)
            threads[side].start()
            turns.await_arrival(side)
        turns.start()
        for t in threads.values():
            t.join()
    for side, exc in errors.items():
        raise SystemExit(f"the {side}'s training of {case.name} failed: {exc}") from exc
    return marks


class _Wire(io.TextIOBase):
    """The engine's stdout: protocol lines go to /dev/null (as fast as a pipe the window drains); notes the end."""

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (closed with the wire)
        self.end = (f'{{"t":"msg","job_id":"{job_id}","kind":"result"',
                    f'{{"t":"msg","job_id":"{job_id}","kind":"error"')
        self.done = threading.Event()
        self.error: str | None = None

    def write(self, s: str) -> int:
        if s.startswith(self.end):
            if s.startswith(self.end[1]):
                self.error = s
            self.done.set()
        return self.sink.write(s)

    def flush(self) -> None:
        self.sink.flush()

    def close(self) -> None:
        super().close()
        self.sink.close()


def _train_app(case: EpochCase, epochs: int) -> None:
    """The app's training path: a train job through the engine's server loop (worker thread, encoded messages)."""
    from visualnn.core.protocol import Job, TrainRequest, encode
    from visualnn.engine.server import EngineServer

    payload = TrainRequest(case.project.to_dict(), str(case.folder), epochs=epochs).to_dict()
    job = Job(f"bench-{case.template}", "train", payload)
    wire = _Wire(job.id)

    def stdin() -> Iterator[str]:  # the window keeps the pipe open until the job has ended
        yield encode(job)
        wire.done.wait()

    EngineServer(stdin(), wire).serve()  # type: ignore[arg-type]
    wire.close()
    if wire.error is not None:
        raise SystemExit(f"the app's training of {case.name} failed: {wire.error[:2000]}")


def _train_script(case: EpochCase, epochs: int) -> None:
    """The exported script's ``main()``, as ``python train.py --epochs N`` runs it (its printing discarded)."""
    out = str(case.folder / f"script_{case.template}.keras")
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        case.script.main(["--epochs", str(epochs), "--output", out])


def run_app(case: EpochCase, epochs: int) -> list[Mark]:
    """The app's training path alone, timed epoch by epoch."""
    with epoch_clock() as marks:
        _train_app(case, epochs)
    return list(marks)


def run_script(case: EpochCase, epochs: int) -> list[Mark]:
    """The exported script alone, timed epoch by epoch."""
    with epoch_clock() as marks:
        _train_script(case, epochs)
    return list(marks)


def check_same_work(name: str, losses: dict[str, list[float]]) -> None:
    """Exit when the app's and the script's per-epoch losses differ: then they did not do the same work."""
    if not all(abs(a - b) <= 1e-4 * max(1.0, abs(b)) for a, b in zip(losses["app"], losses["script"], strict=True)):
        raise SystemExit(f"{name}: the app and the script do not do the same work "
                         f"(losses {losses['app']} vs {losses['script']})")


def calibrate(case: EpochCase, least: int) -> int:
    """Epochs per timed fit of ``case``: at least ``least``, and enough that epochs 2..N last ``MIN_TIMED_S``.

    One short fit of the exported script (not timed for the figure) measures the epoch; it is also the case's
    warm-up (its data in the file cache, its functions traced once in the process)."""
    with epoch_clock() as marks:
        _train_script(case, 4)
    epoch_s = statistics.median(m.end - m.start for m in marks[1:])
    return max(least, min(MAX_EPOCHS, 1 + math.ceil(MIN_TIMED_S / max(epoch_s, 1e-3))))


def seconds_per_epoch(marks: list[Mark], epochs: int, who: str) -> tuple[float, float]:
    """Median wall and CPU seconds of epochs 2..N (epoch 1 traces the train and test functions)."""
    if len(marks) != epochs:
        raise SystemExit(f"{who} ran {len(marks)} epochs instead of {epochs}")
    timed = marks[1:]
    return (statistics.median(m.end - m.start for m in timed), statistics.median(m.cpu_end - m.cpu_start for m in timed))


@dataclass
class EpochFigure:
    """One case's result: per-round (wall, CPU) seconds per epoch of each side, and the verdict."""

    name: str
    epochs: int
    app: list[tuple[float, float]]
    script: list[tuple[float, float]]
    marks: list[dict[str, list[Mark]]] = field(default_factory=list)  # each round's epochs, both sides (--dump)

    def ratio(self, i: int = 0) -> float:
        """Median over rounds of app / script (i = 0: wall time, the figure; 1: CPU time, to explain it)."""
        return statistics.median(a[i] / s[i] for a, s in zip(self.app, self.script, strict=True))

    @property
    def ok(self) -> bool:
        """Whether the wall-time ratio meets the goal."""
        return self.ratio() <= EPOCH_GOAL


def quiet_tensorflow() -> None:
    """Keep the table readable: TF's and Keras's warnings (autograph, structure names) are no figures."""
    import warnings

    warnings.filterwarnings("ignore")
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tf.autograph.set_verbosity(0)


def settle() -> None:
    """Before each fit, on both sides: collect what earlier fits left and freeze the rest out of the collector's
    sight. One process runs every case, so without this its heap grows with each model and the collector's full
    walks land on whichever side runs when one falls due; each fit now starts as in its own process (and as in
    the engine, which collects after every job and freezes what lives after the first)."""
    import gc

    gc.collect()
    gc.freeze()


def time_epochs(templates: list[str], epochs: int, rounds: int, together: bool = True) -> list[EpochFigure]:
    """Per-epoch time of the app's training path and of the exported script, each template on its example.

    A warm-up (the first case's app side: the process's first engine job) is discarded, and each case is
    calibrated (:func:`calibrate`: its epochs per fit, at least ``epochs``). Then each round times every case on both
    sides, alternating which side goes first: ``together``, in lockstep (the two fits take turns epoch by
    epoch, see :class:`Turns`), else one whole fit after the other (the GPU bench, which samples each side's
    utilisation while it runs). A side's round figure is the median of its epochs 2..N.
    In the first timed round the two sides' losses must agree epoch by epoch (same data, same order, same
    model, same updates): otherwise the comparison would be unfair and the benchmark stops.
    """
    import tempfile

    from visualnn.engine import HANDLER_MODULES

    quiet_tensorflow()
    for module in HANDLER_MODULES:  # what the engine registers at start-up
        importlib.import_module(module)
    scratch = Path(tempfile.mkdtemp(prefix="vnn-bench-epochs-"))
    try:
        cases = [prepare_case(t, scratch) for t in templates]
        t_start = time.perf_counter()
        _train_app(cases[0], 3)  # warm-up: first fit in the process, first engine job
        for case in cases:
            case.epochs = calibrate(case, epochs)
        figures = {c.template: EpochFigure(c.name, c.epochs, [], []) for c in cases}
        print(f"  epochs per fit: {', '.join(f'{c.template} {c.epochs}' for c in cases)} "
              f"(calibrated at {time.perf_counter() - t_start:.0f} s)", flush=True)
        for r in range(1, rounds + 1):
            for i, case in enumerate(cases):
                first = "app" if (r + i) % 2 == 0 else "script"
                if together:
                    settle()
                    marks = lockstep(case, case.epochs, first)
                else:
                    marks = {}
                    for side in (first, "script" if first == "app" else "app"):
                        settle()
                        marks[side] = (run_app if side == "app" else run_script)(case, case.epochs)
                figures[case.template].marks.append(marks)
                losses = {}
                for side, side_marks in marks.items():
                    losses[side] = [m.loss for m in side_marks]
                    getattr(figures[case.template], side).append(
                        seconds_per_epoch(side_marks, case.epochs, f"{side} {case.name}"))
                if r == 1:
                    check_same_work(case.name, losses)
            print(f"  round {r} of {rounds} done at {time.perf_counter() - t_start:.0f} s, "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return list(figures.values())


def print_epoch_table(figures: list[EpochFigure], epochs: int, rounds: int, baseline: str = "script") -> None:
    """figure | goal | baseline | ratio | verdict, with the app's time, the CPU-time ratio and N beside."""
    print(f"{'figure':<46} | {'goal':<8} | {'baseline (' + baseline + ')':<18} | {'app':<12} | {'ratio':<6} | "
          f"verdict | cpu ratio | epochs")
    for f in figures:
        print(f"{'per-epoch training, ' + f.name:<46} | <= {EPOCH_GOAL:.2f}x | "
              f"{statistics.median(s[0] for s in f.script) * 1000:9.1f} ms/ep | "
              f"{statistics.median(a[0] for a in f.app) * 1000:6.1f} ms/ep | {f.ratio():6.3f} | "
              f"{'PASS' if f.ok else 'MISS':<7} | {f.ratio(1):9.3f} | {f.epochs}", flush=True)
    load = os.getloadavg()
    print(f"  median of {rounds} interleaved rounds after a warm-up, epochs 2..N of each fit (N at least {epochs}, "
          f"and timed epochs of at least {MIN_TIMED_S} s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores")


def bench_epochs(templates: list[str], epochs: int, rounds: int, dump: str | None = None) -> bool:
    """The per-epoch case: time, print the table; True when every template meets the goal.

    ``dump``: also write every epoch's mark (both sides, every round) to this JSON file, for a reviewer."""
    figures = time_epochs(templates, epochs, rounds)
    print_epoch_table(figures, epochs, rounds)
    if dump:
        import json

        rows = {f.name: [{side: [asdict(m) for m in ms] for side, ms in r.items()} for r in f.marks] for f in figures}
        Path(dump).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return all(f.ok for f in figures)


# ----------------------------------------------------------------------- UI responsiveness
def bench_plot(points: int, repeats: int) -> float:
    """Time to push and render three 100k-point curves (setData + paint)."""
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from visualnn.ui.training.plots import MetricPlots

    app = QApplication.instance() or QApplication([])
    plots = MetricPlots(redraw_hz=1)
    plots.resize(1200, 700)
    plots.show()
    xs = np.linspace(0, 100, points)
    plots.series.clear()
    for role in ("batch", "train", "val"):
        plots._ensure("loss", role)
        plots.series[("loss", role)].extend(xs, np.exp(-xs / 30) + np.random.default_rng(1).normal(0, 0.01, points))
    times, cpu = [], []
    for i in range(repeats):
        for role in ("batch", "train", "val"):
            s = plots.series[("loss", role)]
            s.y[: s.n] += 1e-4 * (i + 1)
            plots._dirty.add(("loss", role))
        t, c = time.perf_counter(), time.process_time()
        plots.redraw()
        app.processEvents()  # runs the one scheduled paint of the plot
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    median = statistics.median(times[1:])
    print(f"  plot: CPU time per redraw {statistics.median(cpu[1:]):.1f} ms (wall includes waiting for a CPU; "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    _report(f"plot redraw, 3 curves x {points:,} points (ms)", median, "<= 16", median <= 16, " ms")
    return median


def main() -> int:
    """Run the chosen benchmarks; non-zero when a figure misses its goal."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="plot case: fewer repeats")
    ap.add_argument("--only", choices=("epochs", "plot"))
    ap.add_argument("--templates", nargs="+", choices=list(PAIRS), default=list(PAIRS), metavar="NAME",
                    help="per-epoch case: the templates to time (default: all)")
    ap.add_argument("--epochs", type=int, default=EPOCHS, help=f"per-epoch case: epochs per fit, at least (default {EPOCHS}; more for short epochs)")
    ap.add_argument("--rounds", type=int, default=ROUNDS, help=f"per-epoch case: rounds after the warm-up "
                                                               f"(default {ROUNDS}, at least 5)")
    ap.add_argument("--dump", metavar="FILE", help="per-epoch case: write every epoch's timing to FILE (JSON)")
    args = ap.parse_args()
    q = args.quick
    ok = True
    if args.only in (None, "plot"):
        ok &= bench_plot(100_000, 5 if q else 15) <= 16
    if args.only in (None, "epochs"):
        ok &= bench_epochs(args.templates, max(2, args.epochs), max(5, args.rounds), args.dump)
    sys.stdout.flush()
    os._exit(0 if ok else 1)  # skip interpreter teardown: PySide6/pyqtgraph objects can crash while being collected


if __name__ == "__main__":
    sys.exit(main())
