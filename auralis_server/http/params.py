"""Query parameters shared by several routes, validated into 400s with a clear detail."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from typing import Any

from starlette.requests import Request

from auralis_server.http.errors import BadRequest, NotFound
from auralis_server.streaming.renderer import RenderSettings
from shared.ranges import HUGE, parse_decimal
from shared.stream_params import (
    parse_format,
    parse_intensity,
    parse_loudness,
    parse_preset,
    served_loudness,
)
from shared.wire import SampleFormat


def track_id_from(path_params: Mapping[str, Any]) -> int:
    """The ``{track_id}`` of the path: ASCII digits of any length, else 404.

    Routes take it as text rather than Starlette's ``:int``, whose ``int()`` raises past
    4300 digits (a 500 that makes uvicorn drop the connection); an id that long is not found.
    """
    return _id_from(path_params, "track_id", "track")


def playlist_id_from(path_params: Mapping[str, Any]) -> int:
    """The ``{playlist_id}`` of the path, read as `track_id_from` reads a track's."""
    return _id_from(path_params, "playlist_id", "playlist")


def _id_from(path_params: Mapping[str, Any], key: str, what: str) -> int:
    raw = str(path_params[key])
    found = parse_decimal(raw)
    if found is None or found >= HUGE:
        raise NotFound(f"no {what} with id {raw}")
    return found


async def json_object(
    request: Request, required: Collection[str], optional: Collection[str] = ()
) -> dict[str, Any]:
    """The body as a JSON object holding every ``required`` key and no key outside
    ``required`` and ``optional``; anything else is a 400 naming what is wrong."""
    try:
        body = json.loads(await request.body(), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadRequest(f"the body must be JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest(f"the body must be a JSON object, got {type(body).__name__}")
    missing = [key for key in required if key not in body]
    if missing:
        raise BadRequest(f"the body lacks {', '.join(missing)}")
    unknown = [key for key in body if key not in required and key not in optional]
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r:.40} in the body")
    return body


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def plan_from_query(params: Mapping[str, str]) -> RenderSettings:
    try:
        return RenderSettings(
            parse_preset(params.get("preset")),
            parse_intensity(params.get("intensity")),
            served_loudness(parse_loudness(params.get("loudness"))),
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def format_from_query(params: Mapping[str, str]) -> SampleFormat:
    try:
        return parse_format(params.get("format"))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def flag_from_query(params: Mapping[str, str], name: str) -> bool:
    raw = (params.get(name) or "0").lower()
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    raise BadRequest(f"{name} must be 0 or 1, got {raw!r}")


def number_from_query(
    params: Mapping[str, str], name: str, default: float, low: float, high: float
) -> float:
    """A finite number in ``low..high`` (``default`` when absent), else a 400 naming it."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # NaN fails too
        raise BadRequest(f"{name} must be a number from {low:g} to {high:g}, got {raw!r:.40}")
    return value
