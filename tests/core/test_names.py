"""Keras's snake_case rule, written once in core.names (node ids, weight paths, class-valued configs)."""

from __future__ import annotations

import pytest

from visualnn.core.graph import Graph
from visualnn.core.names import input_key, snake_case

# What keras.src.utils.naming.to_snake_case returns (Keras 3); tests/services checks the live function.
KERAS = {
    "Dense": "dense",
    "Conv2D": "conv2d",
    "Conv2DTranspose": "conv2d_transpose",
    "SimpleRNN": "simple_rnn",
    "GlobalAveragePooling2D": "global_average_pooling2d",
    "LSTM": "lstm",
    "ConvLSTM2D": "conv_lstm2d",
    "MultiHeadAttention": "multi_head_attention",
    "GlorotUniform": "glorot_uniform",
    "HeNormal": "he_normal",
    "L1L2": "l1l2",
    "PReLU": "p_re_lu",
    "Model-1": "model1",
}


@pytest.mark.parametrize("name", list(KERAS))
def test_snake_case_repeats_keras(name: str) -> None:
    assert snake_case(name) == KERAS[name]


def test_node_ids_use_the_same_rule() -> None:
    graph = Graph()
    assert [graph.new_id(t) for t in ("Conv2D", "SimpleRNN", "L1L2")] == ["conv2d_1", "simple_rnn_1", "l1l2_1"]


def test_input_key_makes_keras_safe_unique_input_names_for_columns() -> None:
    taken: set[str] = set()
    keys = [input_key(n, taken) for n in ("age", "sugar (g/l)", "1st visit", "", "sugar__g_l", "city/town")]
    assert keys == ["age", "sugar__g_l", "c_1st_visit", "column", "sugar__g_l_2", "city_town"]
    assert taken == set(keys)
