"""Engine handlers that look inside a model: ``activations`` (one node's output for one sample) and
``explain`` (Grad-CAM, saliency, permutation importance). TensorFlow stays in the services they call."""

from __future__ import annotations

from typing import Any

from visualnn.core.explain_protocol import ActivationsRequest, ExplainRequest
from visualnn.engine import JobContext, register_handler


def activations(ctx: JobContext) -> dict[str, Any]:
    """A node's output tensor for one sample, with statistics and its Tensor card."""
    req = ActivationsRequest.from_dict(ctx.payload).parsed()
    from visualnn.services.activations import run_activations

    return run_activations(req, ctx.sink)


def explain(ctx: JobContext) -> dict[str, Any]:
    """Grad-CAM, saliency or permutation importance of a trained run."""
    req = ExplainRequest.from_dict(ctx.payload).parsed()
    from visualnn.services.explanations import run_explain

    return run_explain(req, ctx.sink)


register_handler("activations", activations)
register_handler("explain", explain)
