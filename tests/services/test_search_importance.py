"""Parameter importance of a study (fANOVA): shares over the searched targets, none below the gates."""

from __future__ import annotations

import logging

import optuna
import pytest

from visualnn.core.search_space import parse_assignment
from visualnn.services.search_importance import param_importance

SPACE = (parse_assignment("dense_1.units=8..64"), parse_assignment("training.batch_size=16,32"))


def _study(trials: int, score: object = None, directions: tuple[str, ...] = ("minimize",)) -> optuna.Study:
    study = optuna.create_study(directions=list(directions), sampler=optuna.samplers.RandomSampler(seed=1))

    def objective(t: optuna.Trial) -> float | tuple[float, float]:
        units = t.suggest_int("dense_1.units", 8, 64)
        batch = t.suggest_categorical("training.batch_size", [16, 32])
        value = 0.5 if score == "same" else units / 64 + (batch == 16) * 0.01
        return (value, float(units)) if len(directions) == 2 else value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=trials)
    return study


def test_shares_sum_to_one_and_name_the_dominant_parameter() -> None:
    shares = param_importance(_study(12), SPACE, seed=42)
    assert set(shares) == {"dense_1.units", "training.batch_size"}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["dense_1.units"] > shares["training.batch_size"]  # units drive the value, batch size barely
    assert param_importance(_study(12), SPACE, seed=42) == shares  # seeded: the same study gives the same shares


def test_two_objectives_rank_by_the_first() -> None:
    shares = param_importance(_study(12, directions=("maximize", "minimize")), SPACE, seed=42)
    assert sum(shares.values()) == pytest.approx(1.0) and shares["dense_1.units"] > 0.5


def test_none_below_four_complete_trials_or_two_parameters() -> None:
    assert param_importance(_study(3), SPACE, seed=42) == {}
    assert param_importance(_study(12), SPACE[:1], seed=42) == {}


def test_equal_scores_give_none_and_say_why_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="visualnn.services.search_importance"):
        assert param_importance(_study(6, score="same"), SPACE, seed=42) == {}
    assert "no parameter importance" in caplog.text and "zero total variance" in caplog.text
