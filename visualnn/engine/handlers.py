"""Built-in engine handlers: ping, devices, train, evaluate, predict.

The engine's boundary: a job's ``project`` is parsed here, once, by the project loader
(``Request.from_dict(payload).parsed()``), before any service is imported; the services take the
resulting ``Project``. A malformed project fails the job there, with the loader's message naming the
JSON path, and the server sends that message as the job's ``error``.
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.core.protocol import EvaluateRequest, PredictRequest, TrainRequest
from visualnn.engine import JobContext, register_handler


def ping(ctx: JobContext) -> dict[str, Any]:
    """Echo the payload (liveness checks and tests)."""
    return {"pong": True, "echo": ctx.payload, "pid": os.getpid()}


def devices(ctx: JobContext) -> dict[str, Any]:
    """List CPUs/GPUs with names and memory."""
    from visualnn.services.devices import describe, list_devices

    found = list_devices()
    return {"devices": found, "summary": describe(found)}


def train(ctx: JobContext) -> dict[str, Any]:
    """Run a training job; the result carries the RunRecord as a dict."""
    req = TrainRequest.from_dict(ctx.payload).parsed()
    from visualnn.services.training import run_training

    result = run_training(req, ctx.sink, ctx.stop, ctx.pause)
    return {"run": result.run.to_dict()}


def evaluate(ctx: JobContext) -> dict[str, Any]:
    """Evaluate a run on a split."""
    req = EvaluateRequest.from_dict(ctx.payload).parsed()
    from visualnn.services.evaluation import run_evaluation

    return run_evaluation(req, ctx.sink)


def predict(ctx: JobContext) -> dict[str, Any]:
    """Predict new samples with a run."""
    req = PredictRequest.from_dict(ctx.payload).parsed()
    from visualnn.services.predict import run_prediction

    return run_prediction(req, ctx.sink)


def crash(ctx: JobContext) -> dict[str, Any]:
    """Kill the engine abruptly (tests of the client's dead-engine handling)."""
    os._exit(int(ctx.payload.get("code", 3)))


register_handler("ping", ping)
register_handler("devices", devices)
register_handler("train", train)
register_handler("evaluate", evaluate)
register_handler("predict", predict)
register_handler("crash", crash)
