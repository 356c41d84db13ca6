"""Which node an image folder and its per-image table feed, for models with several Inputs or outputs (pure Python).

An image folder (one sub-folder per class) plus a CSV of per-image columns keyed by file name feeds a
model with several Inputs and/or outputs: the images feed one Input of rank 3 (height, width, channels),
the folder class is compared with one output, and the table's columns follow their column options as a
CSV's do (:mod:`visualnn.core.column_groups`): feature columns feed the other Inputs, target columns the
other outputs. The data service (training) and validation (``visualnn check``, the window) both resolve
the roles here, so they refuse the same things with the same words; every message names the node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from visualnn.core.column_groups import GroupProblem
from visualnn.core.dataset import ColumnOptions, ImageOptions

# Stable codes (the Problems list and tests key on them).
IMAGE_INPUT_MISSING = "image-input-missing"
IMAGE_INPUT_SHAPE = "image-input-shape"
IMAGE_CLASS_OUTPUT = "image-class-output"
IMAGE_TABLE_MISSING = "image-table-missing"

CLASS_OUTPUT_NAME = "class"
"""The output that predicts the class folder when ``ImageOptions.class_output`` names none."""

_WHERE = "in the Data panel (Images tab)"


@dataclass(frozen=True)
class ImageRoles:
    """The image Input, the class output (None: none) and the nodes the table feeds, in model order."""

    image_input: str | None
    class_output: str | None
    table_inputs: list[str] = field(default_factory=list)
    table_outputs: list[str] = field(default_factory=list)
    problems: list[GroupProblem] = field(default_factory=list)


def image_roles(inputs: list[tuple[str, tuple[int | None, ...] | None]], outputs: list[str], opts: ImageOptions,
                source: str = "the image folder") -> ImageRoles:
    """Resolve the roles of ``inputs`` (name, declared sample shape) and ``outputs`` for an image folder + table.

    The images feed ``opts.input`` (else the only Input of rank 3), and its shape must be
    ``image_size`` x channels; the class folders feed ``opts.class_output`` (else the output named
    ``class``; with one output and no table, that output). Every other node needs the table.
    """
    problems: list[GroupProblem] = []
    names = [n for n, _ in inputs]
    shapes = dict(inputs)
    h, w = int(opts.image_size[0]), int(opts.image_size[1])
    want = (h, w, opts.channels)
    image: str | None = None
    if opts.input is not None:
        if opts.input not in shapes:
            problems.append(GroupProblem(
                IMAGE_INPUT_MISSING,
                f"The images of {source} feed Input {opts.input!r}, but the model has no Input of that name (its "
                f"Inputs: {', '.join(names) or 'none'}). Choose the Input of the images again {_WHERE}.", None))
        else:
            image = opts.input
    else:
        rank3 = [n for n, s in inputs if s is not None and len(s) == 3]
        if len(rank3) == 1:
            image = rank3[0]
        else:
            why = "none has" if not rank3 else f"{len(rank3)} have ({', '.join(rank3)})"
            problems.append(GroupProblem(
                IMAGE_INPUT_MISSING,
                f"The images of {source} need an Input of shape [height, width, channels] = {list(want)}; of the "
                f"model's Inputs ({', '.join(names) or 'none'}) {why} rank 3. "
                + ("Add an Input of that shape for the images." if not rank3 else
                   f"Choose the Input of the images {_WHERE}."), None))
    if image is not None:
        declared = shapes[image]
        fits = declared is None or len(declared) == 3 and all(
            d in (None, 0) or d == v for d, v in zip(declared, want, strict=True))
        if not fits:
            problems.append(GroupProblem(
                IMAGE_INPUT_SHAPE,
                f"Input {image} declares shape {list(declared or ())}, but the images of "
                f"{source} are resized to {h}x{w} with {opts.channels} channel(s) ({opts.color_mode}): samples of "
                f"{list(want)}. Set {image}'s shape to {list(want)}, or change the image size or colour mode "
                f"{_WHERE}.", image))
    klass: str | None = None
    if opts.class_output is not None:
        if opts.class_output not in outputs:
            problems.append(GroupProblem(
                IMAGE_CLASS_OUTPUT,
                f"The class folders of {source} are compared with output {opts.class_output!r}, but the model has no "
                f"output of that name (its outputs: {', '.join(outputs) or 'none'}). Choose the class output again "
                f"{_WHERE}.", None))
        else:
            klass = opts.class_output
    elif CLASS_OUTPUT_NAME in outputs:
        klass = CLASS_OUTPUT_NAME
    elif len(outputs) == 1 and opts.table is None:
        klass = outputs[0]
    table_inputs = [n for n in names if n != image]
    table_outputs = [n for n in outputs if n != klass]
    if opts.table is None and (table_inputs or table_outputs):
        nodes = [f"Input {n}" for n in table_inputs] + [f"output {n}" for n in table_outputs]
        problems.append(GroupProblem(
            IMAGE_TABLE_MISSING,
            f"{', '.join(nodes)} of the model take(s) per-image values, but {source} has no table: choose a CSV "
            f"with one row per image (a column of file names, one column per value) {_WHERE}"
            + ("" if klass is not None or not table_outputs else
               f", or name the output that predicts the class folder {CLASS_OUTPUT_NAME!r}") + ".",
            (table_inputs + table_outputs)[0]))
    return ImageRoles(image, klass, table_inputs, table_outputs, problems)


def table_roles(columns: dict[str, ColumnOptions], names: list[str], roles: ImageRoles,
                source: str) -> tuple[list[str], list[str], list[GroupProblem]]:
    """(feature columns, target columns, problems) of the per-image table ``names`` (the key left out).

    Unlisted columns are features; with no table Input, only columns that name an Input are (the rest
    describe the images and are not used). A column feeding the images' Input is refused.
    """
    problems: list[GroupProblem] = []
    targets = [n for n in names if columns.get(n, ColumnOptions()).role == "target"]
    features = [n for n in names if columns.get(n, ColumnOptions()).role == "feature"]
    if not roles.table_inputs:
        features = [n for n in features if columns.get(n, ColumnOptions()).input is not None]
    for n in features:
        if roles.image_input is not None and columns.get(n, ColumnOptions()).input == roles.image_input:
            problems.append(GroupProblem(
                "group-image-input",
                f"Feature column {n!r} of {source} feeds Input {roles.image_input!r}, which takes the images. "
                f"Choose another Input for column {n!r}, or set its role to ignore.", roles.image_input))
    if roles.class_output is not None:
        for n in targets:
            if columns.get(n, ColumnOptions()).output == roles.class_output:
                problems.append(GroupProblem(
                    "target-class-output",
                    f"Target column {n!r} of {source} is compared with output {roles.class_output!r}, which predicts "
                    f"the class folders. Choose another output for column {n!r}, or set its role to ignore.",
                    roles.class_output))
    return features, targets, problems



__all__ = ["CLASS_OUTPUT_NAME", "IMAGE_CLASS_OUTPUT", "IMAGE_INPUT_MISSING", "IMAGE_INPUT_SHAPE",
           "IMAGE_TABLE_MISSING", "ImageRoles", "image_roles", "table_roles"]
