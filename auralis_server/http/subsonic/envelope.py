"""The ``subsonic-response`` envelope in JSON or XML, both from one tree of dicts and lists.

A tree maps names to scalars (XML attributes), dicts (child elements), lists (repeated child
elements) and ``value`` (an element's text). ``None`` is left out of both forms.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from starlette.responses import Response

from auralis_server import __version__

API_VERSION = "1.16.1"
SERVER_TYPE = "auralis"
XML_NAMESPACE = "http://subsonic.org/restapi"

GENERIC = 0
MISSING_PARAMETER = 10
WRONG_CREDENTIALS = 40
TOKEN_AUTH_UNSUPPORTED = 41
AUTH_MECHANISM_UNSUPPORTED = 42
CONFLICTING_AUTH = 43
INVALID_API_KEY = 44
NOT_FOUND = 70


class SubsonicError(Exception):
    """A failed call: the code the spec assigns and one line for the user."""

    def __init__(self, code: int, message: str, http_status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def wants_json(fmt: str | None) -> bool:
    """``f=json`` (and ``jsonp``, answered as plain JSON); XML otherwise, the default."""
    return (fmt or "xml").lower() in ("json", "jsonp")


def envelope(payload: dict[str, Any], status: str = "ok") -> dict[str, Any]:
    return {
        "status": status,
        "version": API_VERSION,
        "type": SERVER_TYPE,
        "serverVersion": __version__,
        "openSubsonic": True,
        **payload,
    }


def respond(payload: dict[str, Any], fmt: str | None, http_status: int = 200) -> Response:
    return _render(envelope(payload), fmt, http_status)


def failure(error: SubsonicError, fmt: str | None) -> Response:
    body = envelope({"error": {"code": error.code, "message": error.message}}, "failed")
    return _render(body, fmt, error.http_status)


def _render(tree: dict[str, Any], fmt: str | None, http_status: int) -> Response:
    if wants_json(fmt):
        text = json.dumps({"subsonic-response": _without_none(tree)}, ensure_ascii=False)
        return Response(text.encode(), http_status, media_type="application/json")
    return Response(to_xml(tree), http_status, media_type="text/xml; charset=utf-8")


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def to_xml(tree: dict[str, Any]) -> bytes:
    root = ElementTree.Element("subsonic-response", xmlns=XML_NAMESPACE)
    _fill(root, tree)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _fill(element: ElementTree.Element, tree: dict[str, Any]) -> None:
    for name, value in tree.items():
        if value is None:
            continue
        if name == "value":
            element.text = _text(value)
        elif isinstance(value, dict):
            _fill(ElementTree.SubElement(element, name), value)
        elif isinstance(value, list):
            for item in value:
                child = ElementTree.SubElement(element, name)
                if isinstance(item, dict):
                    _fill(child, item)
                else:
                    child.text = _text(item)
        else:
            element.set(name, _text(value))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
