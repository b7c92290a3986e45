"""Validation of XML answers against the Subsonic response structure (subsonic-response.xsd,
written from the Subsonic 1.16.1 and OpenSubsonic documentation)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import xmlschema

SCHEMA_PATH = Path(__file__).with_name("subsonic-response.xsd")


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMA_PATH)


def validate(content: bytes) -> None:
    """Raises ``xmlschema.XMLSchemaValidationError`` naming the first element out of shape."""
    schema().validate(content.decode("utf-8"))
