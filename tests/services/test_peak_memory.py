"""The training-peak estimate of core.costs against TensorFlow's own measurement of one training step on CPU,
for every bundled template: within 25 %.

What is measured (tests/services/peak_probe.py, one fresh process per template): the persistent part is
TensorFlow's own variables (weights and optimizer slots, ``nbytes``); the step part is the rise of the resident
set (``VmHWM`` reset just before the step, minus ``VmRSS``) during one ``train_on_batch`` after a first one has
traced the step. glibc is told to map every block over 64 KiB on its own and unmap it on free, so the resident
set follows live tensors. ``tracemalloc`` is not used: it sees Python's allocations only, never TensorFlow's
tensor buffers. The batch makes the estimated activations about 96 MB, so that allocator and interpreter noise
(a few MB) stays small beside them. On a GPU, ``tf.config.experimental.get_memory_info`` would be the measure;
this test runs where CI runs, on CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.template_helpers import offline_template
from visualnn.core.costs import analyze_costs
from visualnn.core.templates import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 0.25
TARGET_BYTES = 96 * 2**20


def _batch(name: str) -> int:
    project = offline_template(name)
    one = analyze_costs(project.graph, project.training, batch_size=1)
    return max(2, min(400_000, TARGET_BYTES // max(one.kept_activation_bytes, 1)))


def _measure(name: str, batch: int) -> dict[str, int]:
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0", CUDA_VISIBLE_DEVICES="",
               TF_ENABLE_ONEDNN_OPTS="0",  # oneDNN's pool keeps freed tensors resident (see peak_probe)
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-m", "tests.services.peak_probe", name, str(batch)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=400)
    assert out.returncode == 0, out.stderr[-2000:]
    data: dict[str, int] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc/self/clear_refs")
@pytest.mark.parametrize("name", list(TEMPLATES))
def test_training_peak_estimate_is_within_25_percent_of_tensorflow(name: str) -> None:
    batch = _batch(name)
    project = offline_template(name)
    estimate = analyze_costs(project.graph, project.training, batch_size=batch)
    measured = _measure(name, batch)
    assert measured["returns_memory"], "TensorFlow's allocator kept a freed 64 MB tensor resident: VmHWM cannot " \
        "measure the step here (see tests/services/peak_probe.py)"
    total = measured["persistent_bytes"] + measured["step_bytes"]
    error = estimate.training_peak_bytes / total - 1
    assert abs(error) <= TOLERANCE, (
        f"{name} at batch {batch}: estimate {estimate.training_peak_bytes / 2**20:.1f} MB, TensorFlow "
        f"{total / 2**20:.1f} MB (variables {measured['persistent_bytes'] / 2**20:.1f} MB + step "
        f"{measured['step_bytes'] / 2**20:.1f} MB): {error:+.0%}")
