r"""Names: Keras's snake_case rule, and the characters TensorFlow accepts in a layer name.

Node ids (``conv2d_1``), the layer paths of a ``.keras`` weights file and config values given as a
class (``{"class_name": "GlorotUniform"}`` -> ``glorot_uniform``) must match what Keras itself
writes, so there is one helper and it repeats ``keras.src.utils.naming.to_snake_case`` exactly.

A layer's name becomes a TensorFlow name scope when the model runs. TensorFlow checks scope names
against ``_VALID_SCOPE_NAME_REGEX`` = ``^[A-Za-z0-9_.\\/>-]*$`` (``tensorflow/python/framework/ops.py``);
Keras 3 builds a layer with any name, so "hidden layer", "couche_é" or "x(1)" only fail once training
calls the model ("... is not a valid scope name"). :data:`LAYER_NAME` is that rule without ``/``
(Keras refuses it in a layer name) and without ``\`` (TensorFlow then refuses the variable names
made from the layer's name), and non-empty. Every place a name is typed or loaded checks it with
:func:`layer_name_problem`; :func:`safe_layer_name` is the fix offered.
"""

from __future__ import annotations

import re
import unicodedata

LAYER_NAME = re.compile(r"[A-Za-z0-9_.>-]+")
"""The characters a layer name may use (TensorFlow's scope-name rule less ``/`` and ``\\``; see above)."""

LAYER_NAME_CHARS = "letters A-Z and a-z, digits and _ . - >"
""":data:`LAYER_NAME` in words, for messages."""

RAW_MODEL_NAME = "with_preprocessing"
"""The name of an exported model that takes raw inputs: the trained model behind the data's preprocessing layers
(``services.preprocessing``; the exported scripts' ``with_preprocessing()`` uses it too). Import recognises it."""


def snake_case(name: str) -> str:
    """``Conv2D`` -> ``conv2d``, ``SimpleRNN`` -> ``simple_rnn``, ``GlorotUniform`` -> ``glorot_uniform`` (Keras's rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def layer_name_problem(name: str, taken: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Why TensorFlow would refuse ``name`` as a layer name, with a fixed name (unique within ``taken``); None when fine."""
    reason = layer_name_reason(name)
    return None if reason is None else f"{reason} Use {safe_layer_name(name, taken)!r} instead."


def layer_name_reason(name: str) -> str | None:
    """Which characters of ``name`` TensorFlow refuses in a layer name (None when it accepts them all)."""
    if LAYER_NAME.fullmatch(name):
        return None
    bad = sorted({c for c in name if not LAYER_NAME.fullmatch(c)})
    shown = ", ".join("a space" if c == " " else repr(c) for c in bad) or "no character"
    return (f"The layer name {name!r} contains {shown}: layer names may use only {LAYER_NAME_CHARS} "
            "(TensorFlow refuses any other character when it trains the model).")


def safe_layer_name(name: str, taken: set[str] | frozenset[str] = frozenset(), fallback: str = "layer") -> str:
    """``name`` made valid: accents dropped (é -> e), every run of other characters -> ``_``; unique within ``taken``.

    ``"hidden layer"`` -> ``"hidden_layer"``, ``"couche_é"`` -> ``"couche_e"``, ``"x(1)"`` -> ``"x_1"``.
    """
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9_.>-]+", "_", plain).strip("_") or fallback
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}_{n}"
        n += 1
    return candidate


def input_key(name: str, taken: set[str]) -> str:
    """A Keras/TFLite-safe ``Input`` name for a table column (letters, digits, ``_ . -``, a letter first), unique
    among ``taken`` (added to it): the app's exported model and the exported script name each raw column so."""
    key = re.sub(r"[^A-Za-z0-9_.\-]", "_", name).strip("_.-") or "column"
    if not key[0].isalpha():
        key = "c_" + key
    base, i = key, 2
    while key in taken:
        key, i = f"{base}_{i}", i + 1
    taken.add(key)
    return key


__all__ = ["LAYER_NAME", "LAYER_NAME_CHARS", "RAW_MODEL_NAME", "input_key", "layer_name_problem", "layer_name_reason", "safe_layer_name", "snake_case"]
