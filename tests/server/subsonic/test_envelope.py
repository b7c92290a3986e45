"""The envelope: JSON with ``f=json``, XML (the subsonic namespace, the structure of
subsonic-response.xsd) otherwise, both with the OpenSubsonic fields; GET and form POST alike;
``.view`` names; unknown endpoints."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from auralis_server import __version__
from auralis_server.http.subsonic.envelope import to_xml
from tests.server.subsonic.conftest import FILES, PASSWORD, USER, Served
from tests.server.subsonic.xml_schema import validate

NS = "{http://subsonic.org/restapi}"
AUTH = {"u": USER, "p": PASSWORD}
OPEN_SUBSONIC = {
    "version": "1.16.1",
    "type": "auralis",
    "serverVersion": __version__,
    "openSubsonic": True,
}


def _json(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()["subsonic-response"]
    return body


def _xml(response: httpx.Response) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml")
    validate(response.content)
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{NS}subsonic-response"
    return root


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", ["ping", "ping.view"])
def test_json_and_xml_carry_the_open_subsonic_fields(
    served: Served, method: str, name: str
) -> None:
    url = f"{served.url}/rest/{name}"

    def call(**extra: str) -> httpx.Response:
        params = {**AUTH, **extra}
        if method == "GET":
            return httpx.get(url, params=params)
        return httpx.post(url, data=params)  # the formPost extension

    assert _json(call(f="json")) == {"status": "ok", **OPEN_SUBSONIC}
    root = _xml(call())
    expected = {k: str(v).lower() if isinstance(v, bool) else v for k, v in OPEN_SUBSONIC.items()}
    assert root.attrib == {"status": "ok", **expected}


def test_an_unknown_endpoint_is_error_0_and_404_in_both_forms(served: Served) -> None:
    for fmt in ("json", "xml"):
        response = httpx.get(f"{served.url}/rest/getNothing.view", params={**AUTH, "f": fmt})
        assert response.status_code == 404
        if fmt == "json":
            body = _json(response)
            assert (body["status"], body["error"]["code"]) == ("failed", 0)
        else:
            root = _xml(response)
            assert root.attrib["status"] == "failed"
            assert root.find(f"{NS}error").attrib["code"] == "0"  # type: ignore[union-attr]
    assert httpx.get(f"{served.url}/rest/a/b/c", params=AUTH).status_code == 404


def test_xml_and_json_hold_the_same_album_tree(served: Served) -> None:
    """One tree, two forms: XML children for objects and lists, attributes for scalars."""
    artists = _json(httpx.get(f"{served.url}/rest/getArtists", params={**AUTH, "f": "json"}))
    artist_id = next(
        a["id"] for entry in artists["artists"]["index"] for a in entry["artist"]
        if a["name"] == "Bee"
    )  # fmt: skip
    artist = _json(
        httpx.get(f"{served.url}/rest/getArtist", params={**AUTH, "f": "json", "id": artist_id})
    )
    (album,) = artist["artist"]["album"]
    params = {**AUTH, "id": album["id"]}
    as_json = _json(httpx.get(f"{served.url}/rest/getAlbum", params={**params, "f": "json"}))
    root = _xml(httpx.get(f"{served.url}/rest/getAlbum", params=params))
    (album_element,) = root.findall(f"{NS}album")
    songs = album_element.findall(f"{NS}song")
    assert [s.attrib["title"] for s in songs] == [s["title"] for s in as_json["album"]["song"]]
    assert len(songs) == sum(tags["album"] == "Yodel" for tags in FILES.values())
    for element, song in zip(songs, as_json["album"]["song"], strict=True):
        (gain,) = element.findall(f"{NS}replayGain")
        assert float(gain.attrib["trackGain"]) == song["replayGain"]["trackGain"]
        plain = {k: v for k, v in song.items() if not isinstance(v, dict)}
        assert element.attrib == {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in plain.items()
        }


def test_xml_renders_values_and_lists_of_scalars() -> None:
    tree = {"status": "ok", "genres": {"genre": [{"value": "Rock & Roll", "songCount": 2}]},
            "ext": {"versions": [1, 2]}, "gone": None}  # fmt: skip
    root = ElementTree.fromstring(to_xml(tree))
    (genre,) = root.iter(f"{NS}genre")
    assert (genre.text, genre.attrib) == ("Rock & Roll", {"songCount": "2"})
    assert [v.text for v in root.iter(f"{NS}versions")] == ["1", "2"]
    assert root.find(f"{NS}gone") is None and "gone" not in root.attrib


def test_bad_parameters_are_errors_not_crashes(served: Served) -> None:
    url = f"{served.url}/rest"
    cases = {
        "getAlbum": ({"id": "al-!!!"}, 70),
        "getSong": ({"id": "tr-999999999999999999999999"}, 70),
        "getSong.view": ({"id": "pl-1"}, 70),
        "getAlbumList2": ({"type": "sideways"}, 0),
        "getAlbumList2.view": ({"type": "byYear"}, 0),
        "getRandomSongs": ({"size": "many"}, 0),
        "getPlaylist": ({}, 10),
        "savePlayQueue": ({"id": "tr-1", "current": "tr-2"}, 0),
        "updatePlaylist": ({"playlistId": "pl-77"}, 70),
        "setRating": ({"id": "tr-1", "rating": "9"}, 0),
    }
    for endpoint, (params, code) in cases.items():
        response = httpx.get(f"{url}/{endpoint}", params={**AUTH, "f": "json", **params})
        assert response.status_code == 200, endpoint
        assert _json(response)["error"]["code"] == code, endpoint
