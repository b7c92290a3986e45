"""Query parameters shared by several routes, validated into 400s with a clear detail."""

from __future__ import annotations

from collections.abc import Mapping

from auralis_server.http.errors import BadRequest
from auralis_server.streaming.renderer import RenderSettings
from shared.stream_params import parse_format, parse_intensity, parse_preset
from shared.wire import SampleFormat


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
