"""Parameter importance of a study: Optuna's fANOVA (seeded), the share of the first objective's variance each
searched parameter explains. No Qt.

It needs a few complete trials to mean anything: below :data:`MIN_COMPLETE` complete trials, or with fewer than
two searched parameters, there is none. A search computes it once, when it ends (0.1-0.2 s with 4 trials and
0.8 s with 50 on the CI machine, too much to repeat after every trial of a few seconds).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import optuna
from optuna.importance import FanovaImportanceEvaluator, get_param_importances

from visualnn.core.search_space import SearchParam

log = logging.getLogger(__name__)

MIN_COMPLETE = 4
"""Complete trials a study needs before its parameter importance is computed."""
MIN_PARAMS = 2
"""Searched parameters a study needs (with one, its share is 1 and says nothing)."""


def param_importance(study: optuna.Study, space: Sequence[SearchParam], seed: int) -> dict[str, float]:
    """``{target: share}`` (shares summing to 1) over the searched parameters, or ``{}`` when the study has too
    few complete trials or parameters, or when Optuna cannot tell them apart (every complete trial scored the
    same; logged)."""
    if len(space) < MIN_PARAMS:
        return {}
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < MIN_COMPLETE:
        return {}
    targets = {p.target for p in space}
    try:
        shares = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed),
                                       target=lambda t: t.values[0])
    except (ValueError, RuntimeError) as exc:  # no usable trials, or zero variance (every trial scored the same)
        log.warning("no parameter importance for study %r (%d complete trials): %s", study.study_name,
                    len(complete), exc)
        return {}
    return {name: float(share) for name, share in shares.items() if name in targets and math.isfinite(share)}


__all__ = ["MIN_COMPLETE", "MIN_PARAMS", "param_importance"]
