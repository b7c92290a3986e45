"""The OpenAPI document at /api/openapi.json tells the truth about the app's routes."""

from __future__ import annotations

import re

import schemathesis
from starlette.routing import Route
from starlette.testclient import TestClient

from auralis_server.http.openapi import OPENAPI_PATH
from tests.server.conftest import Library

_CONVERTER = re.compile(r"\{(\w+):\w+\}")  # Starlette's {album:path} is OpenAPI's {album}


def _routes(client: TestClient) -> set[tuple[str, str]]:
    """(path, method) of every /api operation the app answers (HEAD goes with GET)."""
    found = set()
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith("/api/"):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((_CONVERTER.sub(r"{\1}", route.path), method.lower()))
    return found


def _documented(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(path, method) for path, item in paths.items() for method in item}


def test_every_api_route_is_documented_and_nothing_else(client: TestClient) -> None:
    response = client.get(OPENAPI_PATH)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert _documented(document) == _routes(client)


def test_every_operation_documents_its_errors_as_error_and_detail(client: TestClient) -> None:
    document = client.get(OPENAPI_PATH).json()
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "detail"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = {int(code) for code in operation["responses"]}
            assert any(code < 400 for code in statuses), (path, method)
            for code in statuses - {s for s in statuses if s < 400}:
                content = operation["responses"][str(code)]["content"]
                assert content["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (path, method, code)


def test_the_document_loads_as_openapi_and_names_each_path_parameter(
    client: TestClient, library: Library
) -> None:
    document = client.get(OPENAPI_PATH).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(_documented(document))
    for operation in operations:
        named = set(re.findall(r"\{(\w+)\}", operation.path))
        assert {p.name for p in operation.path_parameters} == named, operation.path
