"""Query parameters shared by several routes, validated into 400s with a clear detail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auralis_server.http.errors import BadRequest, NotFound
from auralis_server.streaming.renderer import RenderSettings
from shared.ranges import HUGE, parse_decimal
from shared.stream_params import parse_format, parse_intensity, parse_preset
from shared.wire import SampleFormat


def track_id_from(path_params: Mapping[str, Any]) -> int:
    """The ``{track_id}`` of the path: ASCII digits of any length, else 404.

    Routes take it as text rather than Starlette's ``:int``, whose ``int()`` raises past
    4300 digits (a 500 that makes uvicorn drop the connection); an id that long is not found.
    """
    raw = str(path_params["track_id"])
    track_id = parse_decimal(raw)
    if track_id is None or track_id >= HUGE:
        raise NotFound(f"no track with id {raw}")
    return track_id


def plan_from_query(params: Mapping[str, str]) -> RenderSettings:
    try:
        return RenderSettings(
            parse_preset(params.get("preset")), parse_intensity(params.get("intensity"))
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
