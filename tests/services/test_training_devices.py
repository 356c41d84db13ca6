"""Device discovery works without a GPU and describes what it finds."""

from __future__ import annotations

import pytest

from visualnn.services.devices import describe, supports_mixed_precision


def test_describe_and_mixed_precision_rule() -> None:
    devices = [{"id": "cpu", "kind": "CPU", "name": "x", "memory_mb": 1000, "mixed_precision": False},
               {"id": "gpu:0", "kind": "GPU", "name": "NVIDIA H100", "memory_mb": 81920, "mixed_precision": True}]
    assert describe(devices) == "CPU · GPU 0: NVIDIA H100 (80 GB)"
    assert supports_mixed_precision((8, 0)) and not supports_mixed_precision((6, 1))
    assert not supports_mixed_precision(None)


@pytest.mark.tf
def test_list_devices_has_the_cpu_first() -> None:
    from visualnn.services.devices import list_devices
    from visualnn.services.training import TrainingError, resolve_device

    devices = list_devices()
    assert devices[0]["id"] == "cpu" and devices[0]["kind"] == "CPU" and "cores" in devices[0]["name"]
    assert resolve_device("cpu") == "/CPU:0"
    n_gpus = sum(d["kind"] == "GPU" for d in devices)
    if n_gpus == 0:
        assert resolve_device("auto") == "/CPU:0"
        with pytest.raises(TrainingError, match="no GPU 0"):
            resolve_device("gpu:0")
    with pytest.raises(TrainingError, match="Unknown device 'tpu'"):
        resolve_device("tpu")
