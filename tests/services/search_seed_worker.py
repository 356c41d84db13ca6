"""One search process of tests/services/test_search_seeding.py, without TensorFlow: it opens the shared study with
the search's own sampler (as :func:`visualnn.services.search.run_search` does), waits at a start line until every
worker has opened it (so all of them see a fresh study), then asks and tells ``trials`` trials.

Run: ``python -m tests.services.search_seed_worker URL STUDY SAMPLER SEED TRIALS READY_FILE GO_FILE``
"""

from __future__ import annotations

import os
import sys
import time

from visualnn.core.search_settings import SearchConfig
from visualnn.core.search_space import parse_assignment
from visualnn.services.search_study import make_pruner, make_sampler, open_storage, open_study, suggest

SPACE = tuple(parse_assignment(s) for s in ("dense_1.units=8,16,32,64", "dropout_1.rate=0.0..0.5",
                                            "training.learning_rate=0.0001..0.1:log"))


def main(argv: list[str]) -> int:
    url, name, sampler, seed, trials, ready, go = argv
    cfg = SearchConfig(space=SPACE, sampler=sampler, seed=int(seed), pruner="none", metric="val_accuracy",
                       trials=100)
    study = open_study(open_storage(url), name, cfg, SPACE, make_sampler(cfg, SPACE, cfg.seed), make_pruner(cfg, 1))
    with open(ready, "w", encoding="utf-8") as fh:
        fh.write(str(os.getpid()))
    deadline = time.monotonic() + 120
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.01)
    for _ in range(int(trials)):
        trial = study.ask()
        values = {p.target: suggest(trial, p) for p in SPACE}
        study.tell(trial, float(values["dropout_1.rate"]))  # any figure: the samplers read it
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
