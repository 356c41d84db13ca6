"""`visualnn train`'s progress on stderr: a bar redrawn in place on a terminal, plain epoch lines in a log."""

from __future__ import annotations

import io

from visualnn.cli.train_verbs import ProgressPrinter


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _feed(printer: ProgressPrinter) -> None:
    printer("status", {"text": "Building the model…"})
    for epoch in (1, 2):
        printer.last = 0.0  # past the redraw interval
        printer("batch", {"epoch": epoch, "epochs": 2, "batch": 1, "batches": 4, "logs": {"loss": 0.5},
                          "samples_per_s": 1200.0})
        printer("epoch", {"epoch": epoch, "epochs": 2, "logs": {"loss": 0.25, "accuracy": 0.75}})


def test_a_log_file_gets_one_clean_line_per_epoch_and_no_carriage_returns() -> None:
    stream = io.StringIO()
    _feed(ProgressPrinter(stream))
    assert stream.getvalue() == ("Building the model…\n"
                                 "Epoch 1/2  loss 0.2500  accuracy 0.7500\n"
                                 "Epoch 2/2  loss 0.2500  accuracy 0.7500\n")


def test_a_terminal_gets_the_bar_then_the_epoch_line_over_it() -> None:
    stream = _Terminal()
    _feed(ProgressPrinter(stream))
    text = stream.getvalue()
    assert "[███████" in text and "1/4 loss 0.5000 · 1,200 samples/s" in text
    shown = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]  # what a terminal leaves on each line
    assert shown[1:3] == ["Epoch 1/2  loss 0.2500  accuracy 0.7500", "Epoch 2/2  loss 0.2500  accuracy 0.7500"]
