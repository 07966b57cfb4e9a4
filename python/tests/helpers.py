"""Helpers shared by the srekit Python tests: where the repository's shared test vectors live, and
value normalising so Python results compare with the JSON vectors ("+Inf"/"-Inf"/"NaN" strings)."""

import json
import math
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"


def load_vectors(relative):
    """The JSON file under tests/vectors, or a skip naming it when this checkout lacks it."""
    path = VECTORS / relative
    if not path.exists():
        pytest.skip("shared vector file %s not in this checkout" % relative)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def json_float(value):
    """A float as the vectors write it: non-finite values as the strings +Inf, -Inf, NaN."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
    return value
