"""The export report's recipe for feeding a DataFrame to a model that takes the raw columns (no TensorFlow)."""

from __future__ import annotations

from visualnn.services.preprocessing import FRAME_COLUMNS_SHOWN, _frame_feed


def test_the_recipe_takes_the_feature_columns_and_fills_missing_text() -> None:
    plans = [{"name": "age", "kind": "numeric"}, {"name": "plan", "kind": "categorical"},
             {"name": "partner", "kind": "boolean", "text": True}]
    assert _frame_feed(plans) == "dict(dataframe[['age', 'plan', 'partner']].fillna({'plan': '', 'partner': ''}))"
    assert _frame_feed(plans[:1]) == "dict(dataframe[['age']])"
    many = [{"name": f"f{i}", "kind": "numeric"} for i in range(FRAME_COLUMNS_SHOWN + 1)]
    assert _frame_feed(many) == f"dict(dataframe[columns]), columns being the {len(many)} column names below"
