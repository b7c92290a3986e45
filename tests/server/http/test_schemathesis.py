"""A bounded schemathesis run over every documented /api operation of a live server.

Each operation gets `MAX_EXAMPLES` generated requests (valid and invalid), and each answer
must be no 5xx, an error as ``{error, detail}`` JSON, a documented status and media type,
and (except the streamed audio and lists, whose bodies are not JSON) a body matching the
operation's schema. ``/api/events`` never ends, so it is left out here; its 200 and media
type are checked in ``test_events_are_an_event_stream``.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import JsonSchemaError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from auralis_server.http.openapi import build_document
from tests.server.conftest import ServedLibrary

MAX_EXAMPLES = 100
"""Per operation: the issue's floor; the whole file stays within its CI budget (see report)."""
REQUEST_TIMEOUT_S = 60


def errors_are_error_and_detail(
    ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every 4xx and 5xx is JSON holding exactly a string ``error`` and ``detail``."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and isinstance(body["detail"], str), body
    return True


# Loaded from the module's document rather than fetched: schemathesis's lazy fixture loader
# does not run under pytest 9. The document served is this one (test_openapi checks it).
schema = schemathesis.openapi.from_dict(build_document()).exclude(path="/api/events")

_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    errors_are_error_and_detail,
]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, served_library: ServedLibrary
) -> None:
    streaming = case.operation.definition.raw.get("x-auralis-streaming", False)
    checks = _CHECKS if streaming else [*_CHECKS, response_schema_conformance]
    case.call_and_validate(served_library.url, checks=checks, timeout=REQUEST_TIMEOUT_S)


def test_events_are_an_event_stream(served_library: ServedLibrary) -> None:
    with httpx.Client(base_url=served_library.url, timeout=10) as client:
        with client.stream("GET", "/api/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert next(response.iter_lines()).startswith("retry:")


def test_the_checks_catch_a_document_that_lies(served_library: ServedLibrary) -> None:
    """The run above proves something only if a wrong schema fails it: here a track's id
    documented as a string."""
    document = build_document()
    document["components"]["schemas"]["Track"]["properties"]["id"] = {"type": "string"}
    lying = schemathesis.openapi.from_dict(document)
    operation = lying["/api/tracks/{track_id}"]["GET"]
    case = operation.Case(path_parameters={"track_id": str(served_library.track_id)})
    with pytest.raises(FailureGroup) as raised:
        case.call_and_validate(served_library.url, checks=[response_schema_conformance])
    assert raised.group_contains(JsonSchemaError)
