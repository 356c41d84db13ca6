"""The distribution description: strategy/precision settings, TF_CONFIG parsing, batch arithmetic (no TensorFlow)."""

from __future__ import annotations

import json

import pytest

from visualnn.core.distribution import (
    DistributionConfig,
    DistributionError,
    batch_summary,
    cluster_key,
    expected_replicas,
    global_batch_size,
    launch_instructions,
    make_tf_config,
    normalize_precision,
    parse_tf_config,
)
from visualnn.core.training_config import TrainingConfig


def _tf_config(cluster: dict[str, object], task: dict[str, object] | None) -> str:
    return json.dumps({"cluster": cluster, **({"task": task} if task is not None else {})})


@pytest.mark.parametrize(("value", "expected"), [
    (None, "none"), (False, "none"), (True, "mixed_float16"), ("mixed_bfloat16", "mixed_bfloat16"),
    ("float16", "mixed_float16"), ("BF16", "mixed_bfloat16"), ("float32", "none"),
])
def test_precision_accepts_old_bools_and_aliases(value: object, expected: str) -> None:
    assert normalize_precision(value) == expected


def test_unknown_precision_names_value_and_choices() -> None:
    with pytest.raises(DistributionError, match=r"Mixed precision must be one of none, mixed_float16, "
                                                r"mixed_bfloat16; received 'int8'\."):
        normalize_precision("int8")


def test_config_reads_training_dict_with_defaults() -> None:
    cfg = DistributionConfig.from_training(TrainingConfig().to_dict())
    assert cfg == DistributionConfig()
    cfg = DistributionConfig.from_training({"strategy": "Mirrored", "gpus": [0, 1], "mixed_precision": True})
    assert (cfg.strategy, cfg.gpus, cfg.mixed_precision, cfg.is_mixed) == ("mirrored", (0, 1), "mixed_float16", True)
    assert cfg.describe() == "mirrored on GPUs 0, 1 · mixed_float16"


@pytest.mark.parametrize(("config", "message"), [
    (DistributionConfig(strategy="tpu"), "Distribution strategy must be one of auto, mirrored, multiworker; "
                                         "received 'tpu'."),
    (DistributionConfig(strategy="auto", gpus=(0,)), "Choosing GPUs ([0]) needs the 'mirrored' strategy"),
    (DistributionConfig(strategy="mirrored", gpus=(1, 1)), "GPU indices must not repeat; received [1, 1]."),
    (DistributionConfig(strategy="mirrored", gpus=(-1,)), "GPU indices must be whole numbers >= 0"),
    (DistributionConfig(peer_timeout_s=0), "start-up timeout must be greater than 0 s; received 0."),
])
def test_config_problems_name_the_value(config: DistributionConfig, message: str) -> None:
    assert any(message in p for p in config.problems())
    with pytest.raises(DistributionError):
        config.check()


def test_training_config_round_trips_distribution_fields_and_reports_their_problems() -> None:
    cfg = TrainingConfig(strategy="mirrored", gpus=(0, 2), mixed_precision="mixed_bfloat16")
    data = json.loads(json.dumps(cfg.to_dict()))
    assert data["gpus"] == [0, 2]
    assert TrainingConfig.from_dict(data) == cfg
    assert TrainingConfig.from_dict({}).strategy == "auto"  # older project files
    assert cfg.with_changes(gpus=[1]).gpus == (1,)
    assert any("received 'cluster'" in p for p in TrainingConfig(strategy="cluster").problems())


def test_global_batch_is_per_replica_times_replicas() -> None:
    assert global_batch_size(32, 4) == 128
    with pytest.raises(DistributionError, match="at least 1; received 0"):
        global_batch_size(32, 0)
    assert batch_summary(32, 2) == "batch 32 per replica × 2 replicas = 64 global"
    assert "global batch 32" in batch_summary(32, 1)


def test_expected_replicas_per_strategy() -> None:
    assert expected_replicas(DistributionConfig(), n_gpus=4) == 1
    assert expected_replicas(DistributionConfig("mirrored"), n_gpus=4) == 4
    assert expected_replicas(DistributionConfig("mirrored", gpus=(0, 1)), n_gpus=4) == 2
    assert expected_replicas(DistributionConfig("mirrored"), n_gpus=0) == 1
    assert expected_replicas(DistributionConfig("multiworker"), n_gpus=0, n_workers=3) == 3
    assert expected_replicas(DistributionConfig("multiworker"), n_gpus=2, n_workers=3) == 6


def test_parse_chiefless_cluster() -> None:
    text = _tf_config({"worker": ["10.0.0.1:2222", "10.0.0.2:2222", "10.0.0.3:2222"]}, {"type": "worker", "index": 2})
    task = parse_tf_config(text)
    assert task is not None
    assert (task.num_workers, task.rank, task.is_chief, task.address) == (3, 2, False, "10.0.0.3:2222")
    assert task.peers == ("10.0.0.1:2222", "10.0.0.2:2222")
    assert task.describe() == "worker 2 of 3 (10.0.0.3:2222); chief: 10.0.0.1:2222"
    first = parse_tf_config(make_tf_config(["a:1", "b:2"], 0))
    assert first is not None and first.is_chief and first.rank == 0


def test_parse_cluster_with_a_chief() -> None:
    cluster = {"chief": ["c:1"], "worker": ["w:1", "w:2"]}
    chief = parse_tf_config(_tf_config(cluster, {"type": "chief", "index": 0}))
    worker = parse_tf_config(_tf_config(cluster, {"type": "worker", "index": 0}))
    assert chief is not None and worker is not None
    assert chief.is_chief and chief.rank == 0 and chief.num_workers == 3
    assert not worker.is_chief and worker.rank == 1 and worker.addresses == ("c:1", "w:1", "w:2")


@pytest.mark.parametrize("text", [None, "", "   "])
def test_unset_tf_config_means_no_cluster(text: str | None) -> None:
    assert parse_tf_config(text) is None


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "TF_CONFIG is not valid JSON"),
    ("[]", 'TF_CONFIG must be a JSON object with a "cluster" object'),
    (_tf_config({"worker": ["a:1"], "ps": ["b:1"]}, {"type": "worker", "index": 0}), "task types ['ps']"),
    (_tf_config({"worker": []}, {"type": "worker", "index": 0}), "cluster lists no workers"),
    (_tf_config({"worker": ["a:1", "a:1"]}, {"type": "worker", "index": 0}), "same address more than once: a:1"),
    (_tf_config({"worker": ["a"]}, {"type": "worker", "index": 0}), "cluster.worker[0] must be 'host:port'; "
                                                                     "received 'a'"),
    (_tf_config({"worker": ["a:99999"]}, {"type": "worker", "index": 0}), "port in 1-65535; received 'a:99999'"),
    (_tf_config({"worker": ["a:1"]}, None), 'TF_CONFIG lacks "task"'),
    (_tf_config({"worker": ["a:1"]}, {"type": "chief", "index": 0}), "task.type must name a task type of the "
                                                                      "cluster (worker); received 'chief'"),
    (_tf_config({"worker": ["a:1", "b:1"]}, {"type": "worker", "index": 2}), "task.index must be in 0..1 for "
                                                                              "the 2 worker address(es); received 2"),
    (_tf_config({"chief": ["a:1", "b:1"], "worker": ["c:1"]}, {"type": "worker", "index": 0}), "cluster.chief must "
                                                                                                 "be a list with one"),
])
def test_bad_tf_config_is_explained(text: str, message: str) -> None:
    with pytest.raises(DistributionError) as info:
        parse_tf_config(text)
    assert message in str(info.value)


def test_cluster_key_is_stable_and_sensitive() -> None:
    assert cluster_key({"a": 1, "b": [1, 2]}, 2) == cluster_key({"b": [1, 2], "a": 1}, 2)
    assert cluster_key({"a": 1}, 2) != cluster_key({"a": 1}, 3)
    assert len(cluster_key("x")) == 10


def test_launch_instructions_show_one_tf_config_per_machine() -> None:
    lines = launch_instructions("visualnn train p.vnn --strategy multiworker", n_workers=3, port=2222)
    text = "\n".join(lines)
    assert text.count("visualnn train p.vnn --strategy multiworker") == 3
    for i in range(3):
        assert f'\\"index\\": {i}' in text
    assert "host3:2222" in text and "worker 0 is the chief" in text


def test_batch_note_for_the_training_panel() -> None:
    from visualnn.core.distribution import batch_note

    assert batch_note("auto", 32, n_gpus=4) == "batch 32 (one replica: global batch 32)"
    assert batch_note("mirrored", 32, n_gpus=4) == "batch 32 per replica × 4 replicas = 128 global"
    assert batch_note("mirrored", 32, gpus=[0, 1], n_gpus=4) == "batch 32 per replica × 2 replicas = 64 global"
    assert "× the cluster's replicas (workers × GPUs each)" in batch_note("multiworker", 16)
    assert batch_note("warp-drive", 16) == ""
