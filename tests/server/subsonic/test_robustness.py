"""Whatever a client sends, /rest/ answers with an envelope (or media), never a 500; in XML,
one of the structure of subsonic-response.xsd."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auralis_server.http.subsonic.dispatch import ENDPOINTS
from tests.server.subsonic.conftest import PASSWORD, USER, Served
from tests.server.subsonic.xml_schema import validate

NAMES = sorted(ENDPOINTS)
PARAMS = ["id", "type", "size", "offset", "count", "query", "songId", "playlistId", "name",
          "current", "position", "rating", "genre", "fromYear", "toYear", "albumId",
          "artistId", "startSongId", "endSongId", "songIndexToRemove", "songIdToAdd",
          "submission", "format"]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(["tr-1", "tr-0", "al-~", "ar-~", "pl-1", "1", "-1", "", "true", "random",
                     "9" * 30, "al-QmVl", "ar-\u00e9", "tr-", "\x00", "newest", "byYear"]),
    st.text(max_size=12),
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(NAMES),
    params=st.lists(st.tuples(st.sampled_from(PARAMS), VALUES), max_size=5),
    fmt=st.sampled_from(["json", "xml"]),
)
def test_no_call_is_a_server_error(
    served: Served, name: str, params: list[tuple[str, str]], fmt: str
) -> None:
    response = httpx.post(
        f"{served.url}/rest/{name}",
        params={"u": USER, "p": PASSWORD, "f": fmt},
        content=urlencode(params).encode(),  # the parameters as a form body (formPost)
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (200, 206), (name, params, response.text[:300])
    kind = response.headers["content-type"]
    if kind.startswith(("application/json", "text/xml")):
        assert b"subsonic-response" in response.content
    if kind.startswith("text/xml"):
        validate(response.content)
