"""The 25 dimension names and the algorithm version agree in Python, the proto and Rust.

The Python table in shared/dimensions.py is the reference; the proto's Fingerprint message
and the Rust crate list the same names in the same order (field numbers 10..34 ascending),
and the Rust crate stamps the same ALGORITHM_VERSION the Python reference does.
"""

from __future__ import annotations

import re
from pathlib import Path

from auralis_server.fingerprint.dsp.analysis import ALGORITHM_VERSION
from auralis_server.fingerprint.rust.stubs import fingerprint_pb2
from shared.dimensions import DIMENSION_NAMES

ROOT = Path(__file__).resolve().parents[2]
RUST_FINGERPRINT = ROOT / "rust-dsp" / "src" / "fingerprint.rs"
PROTO = ROOT / "proto" / "fingerprint.proto"
_FIRST_DIMENSION_FIELD = 10


def _rust_const(name: str) -> str:
    match = re.search(rf"pub const {name}\b[^=]*=\s*(.*?);", RUST_FINGERPRINT.read_text(), re.S)
    assert match, f"{name} not found in {RUST_FINGERPRINT}"
    return match.group(1)


def test_rust_lists_the_dimension_names_in_order() -> None:
    assert tuple(re.findall(r'"(\w+)"', _rust_const("DIMENSION_NAMES"))) == DIMENSION_NAMES


def test_proto_fingerprint_fields_are_the_dimensions_in_order() -> None:
    fields = fingerprint_pb2.Fingerprint.DESCRIPTOR.fields
    dimensions = sorted(
        (field for field in fields if field.number >= _FIRST_DIMENSION_FIELD),
        key=lambda field: field.number,
    )
    assert tuple(field.name for field in dimensions) == DIMENSION_NAMES
    numbers = [field.number for field in dimensions]
    assert numbers == list(range(_FIRST_DIMENSION_FIELD, _FIRST_DIMENSION_FIELD + 25))


def test_committed_stubs_match_the_proto_source() -> None:
    declared = re.findall(r"double (\w+) = (\d+);", PROTO.read_text())
    dimensions = [name for name, number in declared if int(number) >= _FIRST_DIMENSION_FIELD]
    assert tuple(dimensions) == DIMENSION_NAMES


def test_rust_and_python_stamp_the_same_algorithm_version() -> None:
    assert int(_rust_const("ALGORITHM_VERSION")) == ALGORITHM_VERSION
