"""The exit-code contract (``visualnn/cli/exit_codes.py``) for every verb of the CLI, and never a traceback.

0 ok, 1 the model or its data has errors, 2 unreadable input or bad usage, 70 an unexpected internal
error (one line naming the log file that holds the traceback). The verbs are read from the argparse
parser itself: a new verb without a row in ``CASES`` fails ``test_every_verb_has_a_row``.

A cell is the command line (``{good}``, ``{bad}``, ``{broken}``, ``{missing}``, ``{csv}``, ``{tmp}`` are
filled in per test), ``None`` when the outcome cannot happen for that verb (``templates`` reads no
file), or a ``Covered`` pointer to the test that runs it where running it here would train a model.
Most rows run in-process through ``visualnn.cli.main``; ``test_subprocess_*`` check the real process.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tiny_data import digits_pngs
from visualnn import logs
from visualnn.cli import build_parser, main
from visualnn.cli.exit_codes import ExitCode
from visualnn.core.project.io import save_project
from visualnn.core.templates import template

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Covered:
    """This cell runs in another test (it trains or needs a trained run): ``path::name`` under tests/."""

    test: str

    def exists(self) -> bool:
        """Whether the named test function is still there (a pointer that rots fails the suite)."""
        path, name = self.test.split("::")
        tree = ast.parse((ROOT / "tests" / path).read_text(encoding="utf-8"))
        return any(isinstance(node, ast.FunctionDef) and node.name == name for node in tree.body)


Cell = str | Covered | None
TF = "tf:"  # a cell starting with this imports TensorFlow (marked tf)

OK, ERRORS, BAD_INPUT, USAGE = "ok", "errors", "bad_input", "usage"
EXPECTED = {OK: ExitCode.OK, ERRORS: ExitCode.ERRORS, BAD_INPUT: ExitCode.BAD_INPUT, USAGE: ExitCode.BAD_INPUT}

CASES: dict[str, dict[str, Cell]] = {
    "new": {
        OK: "new -t mlp_classifier -o {tmp}/made.vnn",
        ERRORS: "new -t lstm_classifier --data {images} -o {tmp}/lstm.vnn",  # the template cannot fit the data
        BAD_INPUT: "new -t mlp_classifier --data {missing} -o {tmp}/made.vnn",
        USAGE: "new -t mlp_classifier",  # no -o
    },
    "templates": {OK: "templates --json", ERRORS: None, BAD_INPUT: None, USAGE: "templates extra"},
    "layers": {OK: "layers --category core", ERRORS: None, BAD_INPUT: "layers --category nope", USAGE: "layers x"},
    "check": {OK: "check {good}", ERRORS: "check {bad}", BAD_INPUT: "check {broken}", USAGE: "check"},
    "summary": {OK: "summary {good}", ERRORS: "summary {bad}", BAD_INPUT: "summary {missing}",
                USAGE: "summary --template nope"},
    "train": {
        OK: Covered("cli/test_train_verbs.py::test_train_evaluate_predict_on_a_csv_project"),
        ERRORS: TF + "train {good} --epochs 1",  # the project has no data
        BAD_INPUT: "train {broken}",
        USAGE: "train {good} --epochs many",
    },
    "evaluate": {
        OK: Covered("cli/test_train_verbs.py::test_train_evaluate_predict_on_a_csv_project"),
        ERRORS: TF + "evaluate {good}",  # no trained run
        BAD_INPUT: "evaluate {missing}",
        USAGE: "evaluate {good} --split nope",
    },
    "predict": {
        OK: Covered("cli/test_train_verbs.py::test_train_evaluate_predict_on_a_csv_project"),
        ERRORS: TF + "predict {good} {csv}",  # no trained run
        BAD_INPUT: "predict {good} {missing}",
        USAGE: "predict {good}",  # no input
    },
    "data inspect": {OK: "data inspect {csv}", ERRORS: None, BAD_INPUT: "data inspect {missing}",
                     USAGE: "data inspect"},
    "export-code": {
        OK: "export-code {good} -o {tmp}/train.py",
        ERRORS: "export-code {bad} -o {tmp}/train.py",  # a layer name TensorFlow refuses
        BAD_INPUT: "export-code {broken} -o {tmp}/train.py",
        USAGE: "export-code {good}",  # no -o
    },
    "export-model": {
        OK: TF + "export-model {good} -o {tmp}/model.keras --samples 8",  # the untrained model, with its parity check
        ERRORS: TF + "export-model {bad} -o {tmp}/model.keras",
        BAD_INPUT: "export-model {broken} -o {tmp}/model.keras",
        USAGE: "export-model {good} --quantize nope -o {tmp}/m.tflite",
    },
    "import-model": {
        OK: Covered("cli/test_export_verbs.py::test_import_model_with_weights_then_export_the_run"),
        ERRORS: None,  # every way an import fails is an unreadable or refused input file: exit 2
        BAD_INPUT: "import-model {broken} -o {tmp}/imported.vnn",
        USAGE: "import-model {broken}",  # no -o
    },
    "analyze": {OK: "analyze {good} --json",
                ERRORS: Covered("cli/test_analyze_verbs.py::test_shape_errors_exit_1_and_name_the_layer"),
                BAD_INPUT: "analyze {broken}", USAGE: "analyze {good} --batch-size many"},
    "explain": {
        OK: Covered("cli/test_explain_verbs.py::test_gradcam_and_saliency_of_an_image_file"),
        ERRORS: TF + "explain {good} -o {tmp}/why.png",  # no trained run to explain
        BAD_INPUT: "explain {broken} -o {tmp}/why.png",
        USAGE: "explain {good}",  # no -o
    },
    "search": {
        OK: Covered("cli/test_search_cli.py::test_search_records_trials_resumes_and_applies_the_best"),
        ERRORS: TF + "search {good} --space dense_1.units=8,16 --trials 2",  # no data: every trial fails
        BAD_INPUT: "search {good} --space dense_1.units=0..8",  # a range the parameter does not allow
        USAGE: "search {good} --trials many",
    },
    "local-cluster": {
        OK: "local-cluster --workers 1 --logs {tmp}/logs --timeout 120 -- check {good}",
        ERRORS: "local-cluster --workers 1 --logs {tmp}/logs --timeout 120 -- check {bad}",  # the worker exits 1
        BAD_INPUT: None,  # it reads no file of its own; a worker's unreadable file is a failed worker (exit 1)
        USAGE: "local-cluster --workers 0 -- check {good}",
    },
}

CLASS_NAME_PREFIX = re.compile(r"(?<![\w.])[A-Z]\w*(Error|Exception): ")
"""A message that starts its reason with an exception class ("DataError: ..."): the contract shows the message only."""


def leaves(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every leaf verb of ``parser`` ("check", "data inspect") and its sub-parser, read from the parser itself."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                inner = leaves(sub, f"{prefix}{name} ")
                found |= inner or {f"{prefix}{name}": sub}
    return found


def test_every_verb_has_a_row() -> None:
    assert set(leaves(build_parser())) == set(CASES), "give each new verb a row in CASES (and its exit codes)"


def test_every_pointer_names_a_test_that_exists() -> None:
    for verb, row in CASES.items():
        for case, cell in row.items():
            assert not isinstance(cell, Covered) or cell.exists(), f"{verb} {case}: {cell.test} is gone"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """The inputs the cells name, written in ``tmp_path``."""
    good = template("mlp_classifier").build()
    bad = template("mlp_classifier").build()
    bad.graph.rename(next(n.id for n in bad.graph if n.type == "Dense"), "hidden layer")
    save_project(good, str(tmp_path / "good.vnn"))
    save_project(bad, str(tmp_path / "bad.vnn"))
    (tmp_path / "broken.vnn").write_text("{not json", encoding="utf-8")
    rows = "\n".join(f"{i % 7}.5,{i % 3}.0,{i % 2}" for i in range(30))
    (tmp_path / "data.csv").write_text(f"a,b,label\n{rows}\n", encoding="utf-8")
    return {"good": str(tmp_path / "good.vnn"), "bad": str(tmp_path / "bad.vnn"),
            "broken": str(tmp_path / "broken.vnn"), "missing": str(tmp_path / "missing.vnn"),
            "csv": str(tmp_path / "data.csv"), "images": str(digits_pngs(tmp_path)), "tmp": str(tmp_path)}


def _params() -> list[object]:
    out: list[object] = []
    for verb, row in CASES.items():
        for case, cell in row.items():
            if isinstance(cell, str):
                marks = [pytest.mark.tf] if cell.startswith(TF) else []
                out.append(pytest.param(verb, case, cell.removeprefix(TF), marks=marks, id=f"{verb}-{case}"))
    return out


@pytest.mark.parametrize(("verb", "case", "cell"), _params())
def test_exit_code(verb: str, case: str, cell: str, files: dict[str, str],
                   capsys: pytest.CaptureFixture[str]) -> None:
    argv = [part.format(**files) for part in cell.split()]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == EXPECTED[case], f"visualnn {' '.join(argv)} -> {code}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}"
    assert "Traceback" not in err + out
    if case in (BAD_INPUT, USAGE):
        assert err.strip(), "a failure says why on stderr"
    if case != OK:  # check and summary report a model's errors on stdout, a cluster its worker's output
        assert (out + err).strip() and not CLASS_NAME_PREFIX.search(out + err), out + err


@pytest.fixture
def cli_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The CLI's log file in ``tmp_path``; the handler an internal error attaches is removed afterwards."""
    logs.teardown_logging()
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(tmp_path / "logs"))
    yield tmp_path / "logs" / "cli.log"
    logs.teardown_logging()


def test_an_unexpected_error_in_any_verb_is_70_with_the_traceback_in_the_log(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cli_log: Path) -> None:
    """Each verb's handler is swapped for one that fails like a bug would; the contract still holds."""
    for name, sub in leaves(build_parser()).items():
        func = sub.get_default("func")

        def boom(_args: argparse.Namespace, _name: str = name) -> int:
            raise KeyError(f"{_name} went wrong")

        monkeypatch.setattr(sys.modules[func.__module__], func.__name__, boom)
    for verb in sorted(CASES):
        argv = _minimal_argv(verb)
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == ExitCode.INTERNAL == 70, (verb, code, err)
        assert "Traceback" not in err + out
        [line] = err.strip().splitlines()
        assert f"`visualnn {verb}` stopped on an unexpected internal error" in line and "This is a bug" in line
        assert f"the traceback is in {cli_log};" in line
        text = cli_log.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in text and f"{verb} went wrong" in text


def _minimal_argv(verb: str) -> list[str]:
    """Arguments that parse for ``verb`` (what they name is never read: the handler fails first)."""
    return {
        "new": ["new", "-t", "mlp_classifier", "-o", "x.vnn"], "templates": ["templates"], "layers": ["layers"],
        "check": ["check", "x.vnn"], "summary": ["summary", "x.vnn"], "train": ["train", "x.vnn"],
        "evaluate": ["evaluate", "x.vnn"], "predict": ["predict", "x.vnn", "x.csv"],
        "data inspect": ["data", "inspect", "x.csv"], "export-code": ["export-code", "x.vnn", "-o", "x.py"],
        "export-model": ["export-model", "x.vnn", "-o", "x.keras"],
        "import-model": ["import-model", "x.keras", "-o", "x.vnn"], "local-cluster": ["local-cluster", "--", "templates"],
        "search": ["search", "x.vnn"], "analyze": ["analyze", "x.vnn"], "explain": ["explain", "x.vnn", "-o", "x.png"],
    }[verb]


def test_help_lists_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for code in ExitCode:
        assert re.search(rf"^  {int(code)}\s+\S", out, re.MULTILINE), out


def _visualnn(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "visualnn", *args], capture_output=True, text=True, timeout=120,
                          env=environment, cwd=str(ROOT))


def test_subprocess_unreadable_project_and_bad_usage_exit_2_without_a_traceback(files: dict[str, str]) -> None:
    script = os.path.join(files["tmp"], "t.py")
    for args in (["train", files["broken"]], ["export-code", files["broken"], "-o", script], ["no-such-verb"]):
        done = _visualnn(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.strip(), (args, done.stderr)
        if args[0] == "export-code":
            assert done.stderr.count("broken.vnn") == 1, done.stderr  # the file is named once, not twice


RUNNER = """
import sys
from visualnn.cli import project_verbs, main

def check_with_data(project):
    raise RecursionError("maximum recursion depth exceeded")

project_verbs.check_with_data = check_with_data
raise SystemExit(main(sys.argv[1:]))
"""


def test_subprocess_internal_error_is_one_line_and_a_log_file(files: dict[str, str], tmp_path: Path) -> None:
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    logs = tmp_path / "cli-logs"
    done = subprocess.run([sys.executable, str(runner), "check", files["good"]], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT), VISUALNN_LOG_DIR=str(logs)))
    assert done.returncode == 70, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "visualnn: `visualnn check` stopped on an unexpected internal error (maximum recursion depth exceeded). "
        f"This is a bug in VisualNN: the traceback is in {logs / 'cli.log'}; please attach that file to a bug report.")
    text = (logs / "cli.log").read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "RecursionError: maximum recursion depth exceeded" in text
