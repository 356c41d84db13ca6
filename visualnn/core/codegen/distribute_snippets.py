"""The distribution part of the exported training script: strategies, mixed precision, multi-worker loop.

``script.py`` writes the data, model and compile steps; this module writes what depends on the
strategy (``auto`` | ``mirrored`` | ``multiworker``) and the mixed-precision policy, with the same
choices as ``visualnn.services.distribute`` so the script trains like the app:

* ``auto`` / none: plain ``model.fit`` (TensorFlow uses GPU 0 when there is one);
* ``mirrored``: build/compile in ``MirroredStrategy().scope()``; the batch per replica is scaled by
  the replica count for the global batch;
* ``multiworker``: TensorFlow's custom training loop (``strategy.run`` / ``strategy.reduce``) under
  ``MultiWorkerMirroredStrategy``, because ``model.fit`` fails there with 2 workers in Keras 3.15.1
  (keras-team/keras#20585); per-worker checkpoints so a restarted cluster resumes; only the chief
  saves the model. A comment block shows how to launch it on N machines with TF_CONFIG.
"""

from __future__ import annotations

from collections.abc import Callable

from visualnn.core.distribution import launch_instructions, normalize_precision
from visualnn.core.training_config import TrainingConfig

EXPORT_STRATEGIES = (None, "auto", "mirrored", "multiworker")


def launch_comment(strategy: str | None, n_workers: int = 2) -> list[str]:
    """Comment lines above ``main()`` saying how to run the script with ``strategy``."""
    if strategy == "multiworker":
        body = launch_instructions("python this_script.py --epochs 10 --batch-size 32", n_workers)
        return ["# How to run it on several machines (MultiWorkerMirroredStrategy):", "#",
                *[f"#   {line}".rstrip() for line in body],
                "#", "# Each worker keeps a checkpoint per epoch in backup/worker-<index>; if a worker fails, start",
                "# all of them again with the same command and training resumes from the last common epoch.", ""]
    if strategy == "mirrored":
        return ["# One machine, several GPUs: MirroredStrategy keeps one model copy per GPU (all GPUs by default;",
                "# limit them with CUDA_VISIBLE_DEVICES=0,1). --batch-size is per GPU; the global batch is that",
                "# times the number of GPUs.", ""]
    return []


def precision_lines(cfg: TrainingConfig, indent: int = 4) -> list[str]:
    """Set the mixed-precision policy (nothing for float32)."""
    policy = normalize_precision(cfg.mixed_precision)
    if policy == "none":
        return []
    pad = " " * indent
    return [f"{pad}# Mixed precision: compute in {policy.split('_')[1]}, keep variables and outputs in float32.",
            f'{pad}keras.mixed_precision.set_global_policy("{policy}")']


def float32_output_lines(cfg: TrainingConfig, indent: int) -> list[str]:
    """Keep the output layers in float32 under a mixed policy (stable softmax and loss)."""
    if normalize_precision(cfg.mixed_precision) == "none":
        return []
    pad = " " * indent
    return [f"{pad}for tensor in model.outputs:  # output layers stay float32 for a stable softmax/loss",
            f'{pad}    tensor._keras_history.operation.dtype_policy = "float32"']


def with_distribution(lines: list[str], cfg: TrainingConfig, strategy: str | None) -> list[str]:
    """Add mixed precision (and the mirrored comment) to the single-process ``main()`` lines."""
    out: list[str] = [*launch_comment(strategy)]
    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped == "model = build_model()":
            out += precision_lines(cfg, indent)
            out.append(line)
            out += float32_output_lines(cfg, indent)
            continue
        if strategy == "mirrored" and stripped.startswith("train_ds = make_dataset("):
            out.append(f"{' ' * indent}global_batch = args.batch_size * strategy.num_replicas_in_sync")
            out.append(line.replace("args.batch_size", "global_batch"))
            continue
        if strategy == "mirrored" and stripped.startswith(("val_ds = make_dataset(", "test_ds = make_dataset(")):
            out.append(line.replace("args.batch_size", "global_batch"))
            continue
        out.append(line)
    if strategy == "mirrored":  # the strategy must exist before the datasets use its replica count
        out = _strategy_first(out)
    return out


def _strategy_first(lines: list[str]) -> list[str]:
    create = next((i for i, line in enumerate(lines) if "tf.distribute.MirroredStrategy()" in line), None)
    data = next((i for i, line in enumerate(lines) if line.strip().startswith("(x_train, y_train)")), None)
    if create is None or data is None or create < data:
        return lines
    moved = lines.pop(create)
    lines.insert(data, moved)
    return lines


def distributed_main_lines(cfg: TrainingConfig, strategy: str | None,
                           single_process: Callable[[TrainingConfig, str | None], list[str]],
                           raw_inputs: bool = False) -> list[str]:
    """``main()`` for ``strategy``: the multi-worker loop, or ``single_process``'s lines with precision added.

    ``raw_inputs``: the script defines ``with_preprocessing(model)`` and the chief saves that model.
    """
    if strategy == "multiworker":
        return [*launch_comment(strategy), *_multiworker_main(cfg, raw_inputs)]
    base = single_process(cfg, "mirrored" if strategy == "mirrored" else None)
    return with_distribution(base, cfg, strategy)


def save_lines(raw_inputs: bool, indent: int) -> list[str]:
    """Save the trained model; with ``raw_inputs`` behind the script's ``with_preprocessing(model)``."""
    lines = ["model.save(args.output)", 'print("Saved the trained model to", args.output)']
    if raw_inputs:
        lines = ["# Save it behind the preprocessing layers (as VisualNN exports it): it takes raw inputs.",
                 "with_preprocessing(model).save(args.output)",
                 'print("Saved the trained model, taking raw inputs, to", args.output)']
    return [" " * indent + line for line in lines]


def _multiworker_main(cfg: TrainingConfig, raw_inputs: bool) -> list[str]:
    build = ["        model = build_model()", *float32_output_lines(cfg, 8), "        compile_model(model)"]
    head = MULTIWORKER_MAIN_HEAD.strip("\n").splitlines()
    tail = MULTIWORKER_MAIN_TAIL.strip("\n").splitlines()
    at = tail.index("    if is_chief:") + 1
    tail[at:at] = save_lines(raw_inputs, 8)
    return [*head, *precision_lines(cfg, 4), "    with strategy.scope():", *build, *tail]


MULTIWORKER_MAIN_HEAD = '''
def main(argv=None):
    """Train as one worker of the TF_CONFIG cluster with a custom loop (strategy.run / strategy.reduce)."""
    parser = argparse.ArgumentParser(description="Train the exported model on a cluster of workers.")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="batch per replica")
    parser.add_argument("--output", default="model.keras", help="trained model file (written by the chief)")
    parser.add_argument("--backup-dir", default="backup", help="per-worker checkpoints for resuming")
    args = parser.parse_args(argv)
    import hashlib  # to print a digest of the final weights: equal on every worker
    import shutil

    # MultiWorkerMirroredStrategy must be created before any other TensorFlow work in the process.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    resolver = strategy.cluster_resolver
    cluster = resolver.cluster_spec().as_dict() if resolver.cluster_spec() else {}
    task_type, task_id = resolver.task_type or "worker", resolver.task_id or 0
    is_chief = task_type == "chief" or (task_id == 0 and "chief" not in cluster)
    keras.utils.set_random_seed(SEED)  # the same weights and the same shuffles on every worker
    global_batch = args.batch_size * strategy.num_replicas_in_sync

    # Step 1: the data. Every worker reads it all and keeps its share (auto-shard by element); even
    # batches so that every worker runs the same number of steps.
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train_ds = make_dataset(x_train, y_train, global_batch, training=True)
    train_ds = train_ds.rebatch(global_batch, drop_remainder=True).with_options(options)
    # With Repeat, train_ds never ends: one epoch is one pass of even batches.
    if PIPELINE["repeat"]:
        steps = len(y_train) // global_batch
    else:
        steps = int(train_ds.reduce(0, lambda count, _: count + 1))
    dist_ds = strategy.experimental_distribute_dataset(train_ds)
    val_ds = make_dataset(x_val, y_val, global_batch, training=False) if len(y_val) else None

    # Step 2 and 3: define the network and compile it, inside the strategy's scope.
'''

MULTIWORKER_MAIN_TAIL = '''
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.get(model.loss)

    def replica_step(batch):
        x, y = batch
        with tf.GradientTape() as tape:
            predictions = model(x, training=True)
            per_sample = loss_fn(y, predictions)
            loss = tf.nn.compute_average_loss(per_sample, global_batch_size=global_batch)
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return tf.stack([tf.reduce_sum(tf.cast(per_sample, tf.float32)), tf.cast(tf.shape(per_sample)[0], tf.float32)])

    @tf.function
    def train_step(iterator):
        per_replica = strategy.run(replica_step, args=(next(iterator),))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    @tf.function
    def local_losses(x, y):  # no collectives: every worker holds the same weights
        per_sample = tf.cast(loss_fn(y, model(x, training=False)), tf.float32)
        return tf.reduce_sum(per_sample), tf.cast(tf.shape(per_sample)[0], tf.float32)

    def mean_loss(dataset):
        total = np.zeros(2)
        for x, y in dataset:
            total += np.array([float(v) for v in local_losses(x, y)])
        return total[0] / max(total[1], 1)

    @tf.function
    def newest_common_epoch(value):
        per_replica = strategy.run(lambda: tf.reshape(value, [1]))
        return tf.reduce_min(strategy.gather(per_replica, axis=0))

    # Each worker checkpoints into its own folder; restart resumes from the newest epoch all have.
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
    backup = os.path.join(args.backup_dir, f"worker-{task_id if task_type == 'worker' else 'chief'}")
    manager = tf.train.CheckpointManager(checkpoint, backup, max_to_keep=2)
    saved = [int(path.rsplit("-", 1)[1]) for path in manager.checkpoints]
    start = int(newest_common_epoch(tf.constant(max(saved, default=0), tf.int64)))
    if start in saved:
        checkpoint.restore(os.path.join(backup, f"ckpt-{start}")).expect_partial()
        print(f"Resuming after epoch {start}.")

    # Step 4: fit (train) the model, all workers in lockstep.
    for epoch in range(start, args.epochs):
        iterator = iter(dist_ds)
        total = np.zeros(2)
        for _ in range(steps):
            total += train_step(iterator).numpy()
        line = f"Epoch {epoch + 1}/{args.epochs}  loss {total[0] / max(total[1], 1):.4f}"
        if val_ds is not None:
            line += f"  val_loss {mean_loss(val_ds):.4f}"
        print(line, flush=True)
        manager.save(checkpoint_number=epoch + 1)

    # Step 5 and 6: evaluate and save (the chief writes the model; every worker has the same weights).
    if is_chief and len(y_test):
        test_ds = make_dataset(x_test, y_test, global_batch, training=False)
        print(f"Evaluation on the test split: loss {mean_loss(test_ds):.4f}")
    elif is_chief and val_ds is not None:
        print(f"Evaluation on the validation split (this project has no test split): loss {mean_loss(val_ds):.4f}")
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(w).tobytes() for w in model.get_weights()))
    print(f"Worker {task_type} {task_id}: weights sha256 {digest.hexdigest()}")
    if is_chief:
    shutil.rmtree(backup, ignore_errors=True)  # finished: a new run starts from scratch
    if not os.path.exists(args.backup_dir) or not os.listdir(args.backup_dir):
        shutil.rmtree(args.backup_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
'''
