"""Child process of test_peak_memory: one training step of a template's model on CPU, measured.

Usage: ``python -m tests.services.peak_probe TEMPLATE BATCH`` prints one JSON object:

* ``persistent_bytes``: what TensorFlow holds between steps, from TensorFlow's own variables: the model's weights
  and the optimizer's variables (slots, iteration counters), ``sum(v.numpy().nbytes)``.
* ``step_bytes``: what one training step adds at its peak: ``VmHWM`` after the step minus ``VmRSS`` before it,
  with the high-water mark reset just before the step (``/proc/self/clear_refs``, Linux). The step has run once
  before (tracing, optimizer build), so the measured step allocates only tensors. glibc is told to serve every
  block over 64 KiB with ``mmap`` and to return it on free (``MALLOC_MMAP_THRESHOLD_``, set by the parent),
  so freed tensors leave the resident set as they would leave a GPU's allocator. TensorFlow's oneDNN build
  (on by default where the CPU has AVX-512) allocates large tensors from its own pool and never returns them, so
  the step would reuse what the first steps left resident and show a few MB: the parent turns oneDNN off
  (``TF_ENABLE_ONEDNN_OPTS=0``), and ``returns_memory`` says whether a freed 64 MB tensor left the resident set.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def main(name: str, batch: int) -> dict[str, object]:
    """Measure one step of template ``name`` at ``batch`` samples."""
    import numpy as np
    import tensorflow as tf

    from tests.template_helpers import offline_template
    from visualnn.services.keras_builder import build_model
    from visualnn.services.training_common import compile_model

    tf.config.threading.set_inter_op_parallelism_threads(1)  # one op at a time: the peak of a sequential walk
    project = offline_template(name)  # backbones with random weights: the same layers, nothing to download
    model = build_model(project.graph)
    compile_model(model, project.training)
    rng = np.random.default_rng(0)
    xs = [rng.random((batch, *t.shape[1:]), dtype=np.float32) for t in model.inputs]
    losses = {o.name: o.loss for o in project.training.outputs} if project.training.outputs else {}
    ys = []
    names = list(getattr(model, "output_names", None) or [""] * len(model.outputs))
    for t, out_name in zip(model.outputs, names, strict=True):
        loss = losses.get(out_name, project.training.loss)
        if "sparse" in loss:
            ys.append(np.zeros((batch,), dtype=np.int32))
        else:
            ys.append(np.zeros((batch, *t.shape[1:]), dtype=np.float32))
    x = xs if len(xs) > 1 else xs[0]
    y = ys if len(ys) > 1 else ys[0]
    model.train_on_batch(x, y)  # trace, build the optimizer's slots
    model.train_on_batch(x, y)
    persistent = sum(int(v.numpy().nbytes) for v in [*model.weights, *model.optimizer.variables])
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")  # reset VmHWM to the current resident set
    before = _status("VmRSS")
    model.train_on_batch(x, y)
    peak = _status("VmHWM")
    held = _status("VmRSS")
    block = tf.ones((16 * 2**20,), dtype=tf.float32)  # 64 MB
    del block
    returns = _status("VmRSS") < held + 8 * 2**20
    return {"persistent_bytes": persistent, "step_bytes": peak - before, "batch": batch, "returns_memory": returns}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
