"""Fitting the model to the inspected data, as the Data panel offers it (TF-free): what differs, and the commands.

``adapt_graph`` (services) says which edits make the model take the data: the Input's shape, the output's units
and activation, a Flatten where images meet Dense layers, a Rescaling after a regression output whose target is
far from unit scale. Here that becomes the panel's warning text and the undoable commands Apply and "Use suggested
input and output" push.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from visualnn.core.command_base import Command
from visualnn.core.commands import CommandError, SetParam, SetTraining
from visualnn.core.fixes import fix_command
from visualnn.ui.document import ProjectDocument

if TYPE_CHECKING:  # the services load on the first inspection, off the window's start-up (about 25 ms)
    from visualnn.services.datasets.attach import Adaptation


def adaptation_for(document: ProjectDocument, info: Any, suggest: bool) -> Adaptation:
    """The edits that fit the document's model to the data of ``info`` (``suggest``: the output layer too)."""
    from visualnn.services.datasets.attach import adapt_graph
    from visualnn.services.datasets.facts import facts_of

    return adapt_graph(document.graph, info.input_shape, info.suggestion if suggest else None, facts_of(info),
                       document.project.training)


def suggestion_text(document: ProjectDocument, info: Any) -> tuple[str, bool]:
    """What in the model (and its loss) disagrees with the data, and whether "Use suggested input and output"
    has anything to do."""
    from visualnn.services.datasets.attach import training_for

    adaptation = adaptation_for(document, info, suggest=True)
    training = document.project.training
    # Catalog ids on both sides: the suggestion's "mse" is the "mean_squared_error" the project stores.
    suggested = training_for(document.project, info.suggestion).loss if info.suggestion is not None else None
    loss_differs = suggested is not None and training.loss != suggested
    texts = [f"{node_id}.{name} is {document.graph.node(node_id).params.get(name)}; the data needs {value}."
             for node_id, name, value in adaptation.params]
    if loss_differs:
        texts.append(f"The loss is {training.loss}; the data suggests {suggested}.")
    return " ".join(texts + adaptation.notes), bool(adaptation.params or adaptation.inserts or loss_differs)


def adaptation_commands(document: ProjectDocument, adaptation: Adaptation) -> list[Command]:
    """The parameter edits and layer insertions that fit the model to the data, as commands; a layer insertion
    that no longer applies (the graph changed shape under the suggestion) is said and left out."""
    registry = document.registry
    commands: list[Command] = [SetParam(n, k, v, registry) for n, k, v in adaptation.params]
    for fix in adaptation.inserts:
        try:
            commands.append(fix_command(fix, document.project, registry))
        except CommandError as exc:
            document.command_failed.emit(str(exc))
    return commands


def fit_commands(document: ProjectDocument, info: Any) -> tuple[list[Command], Adaptation]:
    """"Use suggested input and output": the adaptation's commands and the suggested loss and metrics."""
    from visualnn.services.datasets.attach import training_for

    adaptation = adaptation_for(document, info, suggest=True)
    commands = adaptation_commands(document, adaptation)
    if info.suggestion is not None:
        commands.append(SetTraining(training_for(document.project, info.suggestion)))
    return commands, adaptation


def inserted_notes(adaptation: Adaptation) -> str:
    """Why layers the person did not place were added ("" when none was)."""
    return " ".join(adaptation.notes) if adaptation.inserts else ""


def suggestion_notes(document: ProjectDocument, info: Any, adaptation: Adaptation) -> str:
    """After "Use suggested input and output": why layers were added, and, on imbalanced classes, why the rare
    class's metrics joined and that balanced class weights exist (what ``visualnn new --data`` says too)."""
    from visualnn.services.datasets.attach import rare_class_notes
    from visualnn.services.datasets.facts import facts_of

    return " ".join(filter(None, [inserted_notes(adaptation),
                                  *rare_class_notes(document.project.training, facts_of(info))]))


__all__ = ["adaptation_commands", "adaptation_for", "fit_commands", "inserted_notes", "suggestion_notes",
           "suggestion_text"]
