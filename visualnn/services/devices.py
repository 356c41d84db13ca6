"""CPU/GPU discovery and set-up for the engine: names, memory, memory growth, mixed precision.

Everything works without a GPU: the list then holds the CPU only.
"""

from __future__ import annotations

import os
from typing import Any

from visualnn.services.training_common import TrainingError


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "CPU"


def _total_memory_mb() -> int | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
        return int(pages * size / 2**20)
    except (ValueError, OSError, AttributeError):
        return None


def enable_memory_growth() -> list[str]:
    """Ask TensorFlow to grow GPU memory as needed (must run before a GPU is first used)."""
    import tensorflow as tf

    done = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
            done.append(gpu.name)
        except RuntimeError:  # already initialised: growth can no longer change, which is harmless
            pass
    return done


def supports_mixed_precision(compute_capability: tuple[int, int] | None) -> bool:
    """float16 mixed precision pays off on GPUs with compute capability >= 7.0 (tensor cores)."""
    return compute_capability is not None and compute_capability >= (7, 0)


def list_devices() -> list[dict[str, Any]]:
    """Devices training can use: ``{"id", "kind", "name", "memory_mb", "mixed_precision"}`` (CPU first)."""
    import tensorflow as tf

    devices: list[dict[str, Any]] = [{
        "id": "cpu", "kind": "CPU", "name": f"{_cpu_name()} ({os.cpu_count() or 1} cores)",
        "memory_mb": _total_memory_mb(), "mixed_precision": False,
    }]
    limits = _gpu_memory_limits_mb() if tf.config.list_physical_devices("GPU") else {}
    for i, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except Exception:  # details are optional: an odd driver must not hide the GPU
            details = {}
        cc = details.get("compute_capability")
        memory = limits.get(f"GPU:{i}")
        devices.append({
            "id": f"gpu:{i}", "kind": "GPU", "name": details.get("device_name", gpu.name),
            "memory_mb": memory, "mixed_precision": supports_mixed_precision(tuple(cc) if cc else None),
        })
    return devices


def _gpu_memory_limits_mb() -> dict[str, int]:
    """Usable memory per GPU (``"GPU:0" -> MiB``) as TensorFlow sees it; empty when it cannot tell."""
    try:
        from tensorflow.python.client import device_lib

        return {d.name.split("device:")[-1]: int(d.memory_limit / 2**20)
                for d in device_lib.list_local_devices() if d.device_type == "GPU"}
    except Exception:  # an internal API: if it moves, memory is shown as unknown, nothing else changes
        return {}


def describe(devices: list[dict[str, Any]]) -> str:
    """One status-bar line: ``CPU · GPU 0: NVIDIA H100 (80 GB)``."""
    parts = []
    for d in devices:
        if d["kind"] == "CPU":
            parts.append("CPU")
        else:
            mem = f" ({d['memory_mb'] / 1024:.0f} GB)" if d.get("memory_mb") else ""
            parts.append(f"GPU {d['id'].split(':')[1]}: {d['name']}{mem}")
    return " · ".join(parts)


def resolve_device(device: str | None) -> str:
    """``auto``/``cpu``/``gpu:N`` -> a TensorFlow device name that exists here."""
    import tensorflow as tf

    want = (device or "auto").lower()
    gpus = tf.config.list_logical_devices("GPU")
    if want == "cpu" or (want == "auto" and not gpus):
        return "/CPU:0"
    if want == "auto":
        return str(gpus[0].name)
    if want.startswith("gpu"):
        index = int(want.split(":")[1]) if ":" in want else 0
        if index >= len(gpus):
            raise TrainingError(f"There is no GPU {index} on this machine ({len(gpus)} found). Choose the CPU.")
        return str(gpus[index].name)
    raise TrainingError(f"Unknown device {device!r}; use auto, cpu or gpu:N.")
