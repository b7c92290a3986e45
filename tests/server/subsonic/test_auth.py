"""Who may call /rest/: token + salt, plain and ``enc:`` passwords, API keys, each refused
with the spec's code when wrong; nothing until a credential is configured; the bearer token
of /api does not stand in the way."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from auralis_server.http.app import create_app
from tests.conftest import LiveServer
from tests.server.subsonic.conftest import API_KEY, PASSWORD, USER, Served


def _call(url: str, endpoint: str = "ping", **params: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/rest/{endpoint}", params={"f": "json", **params})
    body: dict[str, Any] = response.json()["subsonic-response"]
    return body


def _code(body: dict[str, Any]) -> int | None:
    return body["error"]["code"] if body["status"] == "failed" else None


def _token(password: str, salt: str) -> str:
    return hashlib.md5((password + salt).encode()).hexdigest()


ACCEPTED: dict[str, dict[str, str]] = {
    "token and salt": {"u": USER, "t": _token(PASSWORD, "c19b2d"), "s": "c19b2d"},
    "plain password": {"u": USER, "p": PASSWORD},
    "enc: password": {"u": USER, "p": "enc:" + PASSWORD.encode().hex()},
    "enc: in upper-case hex": {"u": USER, "p": "enc:" + PASSWORD.encode().hex().upper()},
    "API key": {"apiKey": API_KEY},
}
REFUSED: dict[str, tuple[dict[str, str], int]] = {
    "wrong token": ({"u": USER, "t": _token("nope", "c19b2d"), "s": "c19b2d"}, 40),
    "wrong salt": ({"u": USER, "t": _token(PASSWORD, "c19b2d"), "s": "other"}, 40),
    "wrong password": ({"u": USER, "p": PASSWORD + "!"}, 40),
    "wrong enc: password": ({"u": USER, "p": "enc:" + b"nope".hex()}, 40),
    "enc: that is not hex": ({"u": USER, "p": "enc:zz"}, 40),
    "wrong user": ({"u": "someone", "p": PASSWORD}, 40),
    "no user": ({"p": PASSWORD}, 10),
    "token without salt": ({"u": USER, "t": _token(PASSWORD, "x")}, 10),
    "no password": ({"u": USER}, 10),
    "password and token": ({"u": USER, "p": PASSWORD, "t": "ab", "s": "cd"}, 43),
    "API key and user": ({"apiKey": API_KEY, "u": USER}, 43),
    "wrong API key": ({"apiKey": API_KEY + "x"}, 44),
}


@pytest.mark.parametrize("credentials", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_right_credentials_are_accepted(served: Served, credentials: dict[str, str]) -> None:
    assert _call(served.url, **credentials)["status"] == "ok"


@pytest.mark.parametrize(("credentials", "code"), REFUSED.values(), ids=REFUSED.keys())
def test_wrong_credentials_get_the_spec_code(
    served: Served, credentials: dict[str, str], code: int
) -> None:
    assert _code(_call(served.url, **credentials)) == code
    assert _code(_call(served.url, "getArtists", **credentials)) == code  # no data either


def test_extensions_need_no_credential_but_everything_else_does(served: Served) -> None:
    assert _call(served.url, "getOpenSubsonicExtensions")["status"] == "ok"
    assert _code(_call(served.url, "getLicense")) == 10


@pytest.fixture
def server_with(served: Served, live_server: Callable[..., LiveServer]) -> Callable[..., str]:
    def start(**changes: object) -> str:
        return live_server(create_app(replace(served.settings, **changes))).url  # type: ignore[arg-type]

    return start


def test_nothing_is_accepted_until_a_credential_is_configured(
    server_with: Callable[..., str],
) -> None:
    url = server_with(subsonic_password=None, subsonic_api_keys=())
    assert _code(_call(url, **ACCEPTED["plain password"])) == 40
    assert _code(_call(url, **ACCEPTED["API key"])) == 44
    assert _call(url, "getOpenSubsonicExtensions")["status"] == "ok"  # on loopback


def test_a_server_with_only_api_keys_refuses_passwords_as_unsupported(
    server_with: Callable[..., str],
) -> None:
    url = server_with(subsonic_password=None)
    assert _code(_call(url, **ACCEPTED["plain password"])) == 42
    assert _call(url, **ACCEPTED["API key"])["status"] == "ok"


def test_the_api_bearer_token_does_not_block_rest(server_with: Callable[..., str]) -> None:
    url = server_with(token="api-secret")
    assert httpx.get(f"{url}/api/tracks").status_code == 401
    assert _call(url, **ACCEPTED["plain password"])["status"] == "ok"


def test_off_loopback_without_a_credential_rest_is_refused(served: Served) -> None:
    """TestClient's peer is "testclient", not a loopback address."""
    bare = replace(served.settings, subsonic_password=None, subsonic_api_keys=())
    with TestClient(create_app(bare)) as client:
        body = client.get("/rest/getOpenSubsonicExtensions", params={"f": "json"}).json()
        assert body["subsonic-response"]["error"]["code"] == 40
    with TestClient(create_app(served.settings)) as client:
        body = client.get("/rest/getOpenSubsonicExtensions", params={"f": "json"}).json()
        assert body["subsonic-response"]["status"] == "ok"
