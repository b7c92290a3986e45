"""One request, then a good one that must travel over the very same kept-alive connection.

A 500 makes Starlette re-raise after answering and uvicorn then drops the connection; a
handler that never answers resets it. Either shows up here as a new client address or an
httpx transport error.
"""

from __future__ import annotations

from typing import Any

import httpx


def local_address(response: httpx.Response) -> tuple[str, int]:
    """The client's end of the connection that carried ``response``."""
    address: tuple[str, int] = response.extensions["network_stream"].get_extra_info("client_addr")
    return address


def send_then_probe(
    http: httpx.Client, probe_url: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    response = http.request(method, url, **kwargs)
    response.read()
    probe = http.get(probe_url)
    assert probe.status_code == 200
    assert local_address(probe) == local_address(response), "the connection was dropped"
    return response
