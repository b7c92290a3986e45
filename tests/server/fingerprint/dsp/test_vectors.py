"""The shared test vectors (shared/test_vectors/vectors.json) against the Python implementation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auralis_server.fingerprint.dsp.analysis import compute_fingerprint
from shared.dimensions import DIMENSION_NAMES
from shared.test_vectors import generate
from shared.test_vectors.signals import synthesize

VECTORS = json.loads(generate.VECTORS_PATH.read_text())["vectors"]


def test_vectors_json_is_what_the_generator_writes() -> None:
    assert json.loads(generate.VECTORS_PATH.read_text()) == json.loads(
        json.dumps(generate.document())
    )


def check(values: dict[str, float], expect: dict[str, dict[str, float]]) -> list[str]:
    failures = []
    for name, rule in expect.items():
        assert name in DIMENSION_NAMES, name
        got = values[name]
        if "value" in rule and abs(got - rule["value"]) > rule["tolerance"]:
            failures.append(f"{name}={got:.5f}, want {rule['value']:.5f}±{rule['tolerance']}")
        if "min" in rule and got < rule["min"]:
            failures.append(f"{name}={got:.5f}, want ≥ {rule['min']}")
        if "max" in rule and got > rule["max"]:
            failures.append(f"{name}={got:.5f}, want ≤ {rule['max']}")
    return failures


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    signal = vector["signal"]
    values = compute_fingerprint(synthesize(signal), signal["rate_hz"])
    assert check(values, vector["expect"]) == []
