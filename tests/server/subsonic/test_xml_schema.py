"""Every ``/rest/`` answer in XML has the structure of the Subsonic responses
(subsonic-response.xsd): each endpoint with data behind it (stars, a rating, plays, a
playlist, a play queue), and errors."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import xmlschema

from auralis_server.http.subsonic import ids
from auralis_server.http.subsonic.dispatch import ENDPOINTS
from tests.server.subsonic.conftest import PASSWORD, USER, Served
from tests.server.subsonic.xml_schema import validate

NS = "{http://subsonic.org/restapi}"
MEDIA = {"stream", "download", "getCoverArt"}  # answer with audio or images, not XML
XYLO, BEE = ids.album_id("Xylo"), ids.artist_id("Bee")


def _get(served: Served, endpoint: str, params: list[tuple[str, str]]) -> bytes:
    query = [("u", USER), ("p", PASSWORD), *params]
    response = httpx.get(f"{served.url}/rest/{endpoint}", params=query)
    assert response.headers["content-type"].startswith("text/xml"), endpoint
    return response.content


def _calls(served: Served) -> dict[str, list[tuple[str, str]]]:
    """One call of each XML endpoint, with parameters that find something."""
    song, other = served.song_id("A/X/1.flac"), served.song_id("B/Y/2.flac")
    return {
        "ping": [],
        "getLicense": [],
        "getOpenSubsonicExtensions": [],
        "getMusicFolders": [],
        "getIndexes": [],
        "getMusicDirectory": [("id", XYLO)],
        "getArtists": [],
        "getArtist": [("id", BEE)],
        "getAlbum": [("id", XYLO)],
        "getSong": [("id", song)],
        "getGenres": [],
        "getSongsByGenre": [("genre", "Rock")],
        "getAlbumList": [("type", "starred")],
        "getAlbumList2": [("type", "newest")],
        "getRandomSongs": [("size", "3")],
        "getStarred": [],
        "getStarred2": [],
        "getTopSongs": [("artist", "Bee")],
        "search2": [("query", "")],
        "search3": [("query", "")],
        "getSimilarSongs": [("id", song)],
        "getSimilarSongs2": [("id", song), ("count", "2")],
        "getSonicSimilarTracks": [("id", song), ("count", "2")],
        "findSonicPath": [("startSongId", song), ("endSongId", other)],
        "getPlaylists": [],
        "getPlaylist": [("id", "pl-1")],
        "createPlaylist": [("name", "Another"), ("songId", other)],
        "updatePlaylist": [("playlistId", "pl-1"), ("songIdToAdd", other)],
        "deletePlaylist": [("id", "pl-2")],
        "getPlayQueue": [],
        "savePlayQueue": [("id", song), ("id", other), ("current", other)],
        "scrobble": [("id", other)],
        "star": [("id", other)],
        "unstar": [("id", other)],
        "setRating": [("id", other), ("rating", "2")],
    }


def _with_data(served: Served) -> None:
    """Stars, ratings and plays on every kind, a playlist (pl-1) and a saved play queue."""
    song = served.song_id("A/X/1.flac")
    steps: list[tuple[str, list[tuple[str, str]]]] = [
        ("star", [("id", song), ("albumId", XYLO), ("artistId", BEE)]),
        ("setRating", [("id", song), ("rating", "4")]),
        ("setRating", [("id", XYLO), ("rating", "5")]),
        ("setRating", [("id", BEE), ("rating", "3")]),
        ("scrobble", [("id", song)]),
        ("createPlaylist", [("name", "Road trip"), ("songId", song)]),
        ("savePlayQueue", [("id", song), ("current", song), ("position", "1500")]),
    ]
    for endpoint, params in steps:
        assert b'status="ok"' in _get(served, endpoint, params), endpoint


def test_every_xml_endpoint_answers_in_the_subsonic_structure(served: Served) -> None:
    _with_data(served)
    calls = _calls(served)
    assert set(calls) == set(ENDPOINTS) - MEDIA  # a new endpoint needs a call here
    for endpoint, params in calls.items():
        content = _get(served, endpoint, params)
        root = ElementTree.fromstring(content)
        assert root.attrib["status"] == "ok", (endpoint, content[:300])
        validate(content)
        if endpoint not in ("ping", "getLicense", "getOpenSubsonicExtensions", "scrobble"):
            assert len(root) > 0 or endpoint in _EMPTY_ANSWERS, endpoint


_EMPTY_ANSWERS = {"updatePlaylist", "deletePlaylist", "savePlayQueue", "star", "unstar",
                  "setRating"}  # fmt: skip


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        ("getNothing", []),  # 0, unknown
        ("getSong", []),  # 10, missing parameter
        ("getSong", [("id", "tr-999999")]),  # 70, not found
    ],
)
def test_errors_answer_in_the_subsonic_structure(
    served: Served, endpoint: str, params: list[tuple[str, str]]
) -> None:
    content = _get(served, endpoint, params)
    assert ElementTree.fromstring(content).attrib["status"] == "failed"
    validate(content)
    refused = httpx.get(f"{served.url}/rest/ping", params={"u": USER, "p": "wrong"})
    validate(refused.content)


def _song_xml(served: Served) -> ElementTree.Element:
    return ElementTree.fromstring(_get(served, "getSong", [("id", served.song_id("A/X/1.flac"))]))


def _edited(root: ElementTree.Element, change: Any) -> bytes:
    change(root.find(f"{NS}song"))
    ElementTree.register_namespace("", NS.strip("{}"))
    return ElementTree.tostring(root, encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        lambda song: song.attrib.pop("title"),  # a required attribute
        lambda song: song.set("duration", "long"),  # an int
        lambda song: song.set("userRating", "9"),  # 1–5
        lambda song: song.set("albumCount", "1"),  # no such attribute of a song
        lambda song: song.find(f"{NS}replayGain").set("trackPeak", "-0.5"),  # peaks ≥ 0
        lambda song: ElementTree.SubElement(song, f"{NS}lyrics"),  # no such element
    ],
    ids=["no title", "text duration", "rating 9", "album count", "negative peak", "lyrics"],
)
def test_the_schema_refuses_a_song_out_of_shape(served: Served, change: Any) -> None:
    """The validation above can fail: one change to a valid answer and it does."""
    valid = _song_xml(served)
    validate(ElementTree.tostring(valid, encoding="utf-8"))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate(_edited(_song_xml(served), change))
