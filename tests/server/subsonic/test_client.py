"""A real Subsonic client library (py-sonic) driving a real server: browsing, search, lists,
media, playlists, the play queue, plays, stars and similar songs."""

from __future__ import annotations

import datetime as dt
import io
import urllib.request
from typing import Any

import httpx
import libsonic
import pytest
from PIL import Image

from auralis_server.library.models import Fingerprint, Track
from tests.server.subsonic.conftest import FILES, LUFS, POSITIONS, Served, cover_png


def _titles(songs: list[dict[str, Any]]) -> list[str]:
    return [song["title"] for song in songs]


def _by_id(served: Served) -> dict[str, str]:
    return {served.song_id(name): name for name in FILES}


def test_ping_and_the_extensions(served: Served) -> None:
    client = served.client()
    assert client.ping() is True
    response = client._doInfoReq(client._getRequest("getOpenSubsonicExtensions.view"))
    names = {ext["name"] for ext in response["openSubsonicExtensions"]}
    assert {"formPost", "apiKeyAuthentication", "sonicSimilarity"} <= names


def test_browse_artists_then_an_album_then_its_songs(served: Served) -> None:
    client = served.client()
    indexed = client.getArtists()["artists"]["index"]
    artists = {a["name"]: a for entry in indexed for a in entry["artist"]}
    assert set(artists) == {tags["artist"] for tags in FILES.values()}
    assert artists["Ärtist A"]["albumCount"] == 1
    artist = client.getArtist(artists["Ärtist A"]["id"])["artist"]
    (album,) = artist["album"]
    assert (album["name"], album["songCount"], album["year"]) == ("Xylo", 3, 2001)
    songs = client.getAlbum(album["id"])["album"]["song"]
    expected = [tags for tags in FILES.values() if tags["album"] == "Xylo"]
    assert _titles(songs) == [tags["title"] for tags in expected]  # in track order
    first = songs[0]
    path = served.music / "A/X/1.flac"
    assert first["size"] == path.stat().st_size and first["suffix"] == "flac"
    assert (first["samplingRate"], first["channelCount"], first["bitDepth"]) == (8000, 1, 16)
    assert first["contentType"] == "audio/flac" and first["duration"] == 1
    assert first["path"] == "A/X/1.flac"
    assert client.getSong(first["id"])["song"] == first


def test_replay_gain_is_our_loudness_against_minus_18(served: Served) -> None:
    client = served.client()
    for name, lufs in LUFS.items():
        song = client.getSong(served.song_id(name))["song"]
        assert song["replayGain"]["trackGain"] == pytest.approx(-18.0 - lufs, abs=0.05)
        assert "trackPeak" not in song["replayGain"]  # no true peak is stored yet


def test_search3_finds_words_and_an_empty_query_pages_through_everything(served: Served) -> None:
    client = served.client()
    found = client.search3("gamma")["searchResult3"]
    assert _titles(found["song"]) == ["Gamma"] and found.get("album", []) == []
    assert [a["name"] for a in client.search3("artist")["searchResult3"]["artist"]] == [
        "Ärtist A"
    ]  # accents folded
    everything = client.search3("", songCount=100)["searchResult3"]
    assert len(everything["song"]) == len(FILES)
    assert {a["name"] for a in everything["album"]} == {"Xylo", "Yodel"}
    page = client.search3("", songCount=2, songOffset=2)["searchResult3"]["song"]
    assert page == everything["song"][2:4]


def test_album_lists_random_and_newest(served: Served) -> None:
    client = served.client()
    random_names = [a["name"] for a in client.getAlbumList2("random")["albumList2"]["album"]]
    assert sorted(random_names) == ["Xylo", "Yodel"]
    for name, day in (("Xylo", 1), ("Yodel", 2)):  # Yodel added last
        Track.update(added_at=dt.datetime(2025, 1, day)).where(Track.album == name).execute()
    newest = [a["name"] for a in client.getAlbumList2("newest")["albumList2"]["album"]]
    assert newest == ["Yodel", "Xylo"]
    by_genre = client.getAlbumList2("byGenre", genre="Jazz")["albumList2"]["album"]
    assert [a["name"] for a in by_genre] == ["Yodel"]
    by_year = client.getAlbumList2("byYear", fromYear=2005, toYear=1990)["albumList2"]["album"]
    assert [a["name"] for a in by_year] == ["Xylo", "Yodel"]  # from > to: newest first


def test_cover_art_embedded_resized_and_by_album(served: Served) -> None:
    client = served.client()
    first = served.song_id("A/X/1.flac")
    assert client.getCoverArt(first).read() == cover_png()
    small = client.getCoverArt(first, size=16).read()
    with Image.open(io.BytesIO(small)) as image:
        assert max(image.size) == 16 and image.size[0] > image.size[1]
    assert client.getCoverArt(first, size=16).read() == small  # cached, same bytes
    album_id = client.getSong(first)["song"]["albumId"]
    assert client.getCoverArt(album_id).read() == cover_png()
    with pytest.raises(libsonic.errors.DataNotFoundError):
        client.getCoverArt(served.song_id("B/Y/1.flac"))


def test_cover_art_from_a_folder_image(served: Served) -> None:
    (served.music / "B" / "Y" / "Folder.JPG").write_bytes(b"\xff\xd8 not decoded")
    client = served.client()
    assert client.getCoverArt(served.song_id("B/Y/2.flac")).read() == b"\xff\xd8 not decoded"


def test_download_and_raw_stream_are_the_file_with_byte_ranges(served: Served) -> None:
    client = served.client()
    name = "A/X/2.flac"
    original = (served.music / name).read_bytes()
    assert client.download(served.song_id(name)).read() == original
    assert client.stream(served.song_id(name), tformat="raw").read() == original
    request = client._getRequest("stream.view", {"id": served.song_id(name), "format": "raw"})
    request.add_header("Range", "bytes=100-299")
    with urllib.request.urlopen(request) as response:
        assert response.status == 206
        assert response.read() == original[100:300]
        assert response.headers["Content-Range"] == f"bytes 100-299/{len(original)}"
    query = {"u": "auralis", "p": client._rawPass, "id": served.song_id(name)}
    plain_get = httpx.get(
        f"{served.url}/rest/download", params=query, headers={"Range": "bytes=7-"}
    )
    assert (plain_get.status_code, plain_get.content) == (206, original[7:])


def test_playlists_crud_on_the_tui_storage(served: Served) -> None:
    client = served.client()
    order = [served.song_id(name) for name in ("B/Y/2.flac", "A/X/1.flac", "A/X/3.flac")]
    created = client.createPlaylist(name="Road trip", songIds=order)["playlist"]
    assert [song["id"] for song in created["entry"]] == order
    (listed,) = client.getPlaylists()["playlists"]["playlist"]
    assert (listed["id"], listed["name"], listed["songCount"]) == (created["id"], "Road trip", 3)
    client.updatePlaylist(
        created["id"],
        name="Long road",
        songIdsToAdd=[served.song_id("B/Y/1.flac")],
        songIndexesToRemove=[1],
    )
    updated = client.getPlaylist(created["id"])["playlist"]
    expected = [order[0], order[2], served.song_id("B/Y/1.flac")]
    assert (updated["name"], [song["id"] for song in updated["entry"]]) == (
        "Long road",
        expected,
    )
    api = httpx.get(f"{served.url}/api/playlists/{created['id'].removeprefix('pl-')}").json()
    assert [f"tr-{i}" for i in api["track_ids"]] == expected  # the same playlist
    client.deletePlaylist(created["id"])
    assert client.getPlaylists()["playlists"].get("playlist", []) == []
    with pytest.raises(libsonic.errors.DataNotFoundError):
        client.getPlaylist(created["id"])


def test_play_queue_round_trips_through_the_saved_play_state(served: Served) -> None:
    client = served.client()
    queue = [served.song_id(name) for name in ("A/X/3.flac", "B/Y/1.flac")]
    client.savePlayQueue(queue, current=queue[1], position=41_500)
    saved = client.getPlayQueue()["playQueue"]
    assert [song["id"] for song in saved["entry"]] == queue
    assert (saved["current"], saved["position"]) == (queue[1], 41_500)
    state = httpx.get(f"{served.url}/api/playstate").json()  # what the TUI resumes from
    assert (state["index"], state["position_s"]) == (1, 41.5)
    assert [f"tr-{i}" for i in state["queue"]] == queue


def test_scrobble_counts_a_play(served: Served) -> None:
    client = served.client()
    song_id = served.song_id("B/Y/2.flac")
    before = client.getSong(song_id)["song"]["playCount"]
    client.scrobble(song_id, submission=False)  # "now playing" counts nothing
    client.scrobble(song_id)
    song = client.getSong(song_id)["song"]
    assert song["playCount"] == before + 1 and "played" in song
    api = httpx.get(f"{served.url}/api/tracks/{song_id.removeprefix('tr-')}").json()
    assert api["play_count"] == before + 1


def test_star_unstar_and_rate(served: Served) -> None:
    client = served.client()
    song_id = served.song_id("A/X/2.flac")
    album_id = client.getSong(song_id)["song"]["albumId"]
    client.star(sids=[song_id], albumIds=[album_id])
    starred = client.getStarred2()["starred2"]
    assert [s["id"] for s in starred["song"]] == [song_id]
    assert [a["id"] for a in starred["album"]] == [album_id]
    assert "starred" in client.getSong(song_id)["song"]
    client.unstar(sids=[song_id], albumIds=[album_id])
    assert client.getStarred2()["starred2"].get("song", []) == []
    assert "starred" not in client.getSong(song_id)["song"]
    client.setRating(song_id, 4)
    assert client.getSong(song_id)["song"]["userRating"] == 4
    client.setRating(song_id, 0)
    assert "userRating" not in client.getSong(song_id)["song"]


def _nearest(seed: str, count: int) -> list[str]:
    """The model: on the line, the nearest tracks are those of the smallest |Δposition|."""
    others = [name for name in POSITIONS if name != seed]
    return sorted(others, key=lambda name: abs(POSITIONS[name] - POSITIONS[seed]))[:count]


@pytest.mark.parametrize("seed", list(POSITIONS))
def test_sonic_similar_tracks_are_the_nearest_by_construction(served: Served, seed: str) -> None:
    client = served.client()
    names = _by_id(served)
    request = client._getRequest(
        "getSonicSimilarTracks.view", {"id": served.song_id(seed), "count": 3}
    )
    matches = client._doInfoReq(request)["sonicMatch"]
    assert [names[m["entry"]["id"]] for m in matches] == _nearest(seed, 3)
    similarities = [m["similarity"] for m in matches]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in similarities)
    similar = client.getSimilarSongs2(served.song_id(seed), count=2)["similarSongs2"]["song"]
    assert [names[song["id"]] for song in similar] == _nearest(seed, 2)


def test_similar_songs_of_an_artist_leave_its_own_out(served: Served) -> None:
    client = served.client()
    artist_id = client.getSong(served.song_id("B/Y/1.flac"))["song"]["artistId"]
    similar = client.getSimilarSongs2(artist_id, count=10)["similarSongs2"]["song"]
    names = _by_id(served)
    # Bee's tracks sit at 9 and 16 (centre 12.5); the rest by distance from it
    assert [names[song["id"]] for song in similar] == ["A/X/3.flac", "A/X/2.flac", "A/X/1.flac"]


def test_find_sonic_path_walks_the_line(served: Served) -> None:
    client = served.client()
    names = _by_id(served)
    start, end = "A/X/1.flac", "B/Y/2.flac"
    request = client._getRequest(
        "findSonicPath.view",
        {"startSongId": served.song_id(start), "endSongId": served.song_id(end), "count": 4},
    )
    path = [names[m["entry"]["id"]] for m in client._doInfoReq(request)["sonicMatch"]]
    # the model: points at 1/3 and 2/3 of the way, each taking the nearest unused track
    expected, used = [start], {start, end}
    for fraction in (1 / 3, 2 / 3):
        point = POSITIONS[start] + (POSITIONS[end] - POSITIONS[start]) * fraction
        choice = min(
            (n for n in POSITIONS if n not in used), key=lambda n: abs(POSITIONS[n] - point)
        )
        expected.append(choice)
        used.add(choice)
    assert path == [*expected, end]


def _names(albums: dict[str, Any]) -> list[str]:
    return [album["name"] for album in albums["albumList2"].get("album", [])]


def test_album_lists_that_follow_plays_stars_ratings_and_names(served: Served) -> None:
    client = served.client()
    assert _names(client.getAlbumList2("frequent")) == []  # nothing played yet
    for name in ("B/Y/1.flac", "B/Y/2.flac", "A/X/1.flac"):
        client.scrobble(served.song_id(name))
    assert _names(client.getAlbumList2("frequent")) == ["Yodel", "Xylo"]  # 2 plays, then 1
    assert _names(client.getAlbumList2("recent")) == ["Xylo", "Yodel"]  # the latest play first
    yodel = client.getSong(served.song_id("B/Y/1.flac"))["song"]["albumId"]
    client.star(albumIds=[yodel])
    assert _names(client.getAlbumList2("starred")) == ["Yodel"]
    client.setRating(yodel, 5)
    assert _names(client.getAlbumList2("highest")) == ["Yodel"]
    albums = {tags["album"]: tags["artist"] for tags in FILES.values()}
    assert _names(client.getAlbumList2("alphabeticalByName")) == sorted(albums)
    by_artist = sorted(albums, key=lambda album: albums[album].lower())
    assert _names(client.getAlbumList2("alphabeticalByArtist")) == by_artist
    assert (
        _names(client.getAlbumList2("alphabeticalByName", size=1, offset=1)) == sorted(albums)[1:]
    )


def test_songs_by_genre_top_songs_genres_and_random_songs(served: Served) -> None:
    client = served.client()
    jazz = [tags["title"] for tags in FILES.values() if tags["genre"] == "Jazz"]
    assert _titles(client.getSongsByGenre("Jazz")["songsByGenre"]["song"]) == jazz
    genres = {g["value"]: g["songCount"] for g in client.getGenres()["genres"]["genre"]}
    assert genres == {"Rock": 3, "Jazz": 2}
    for _ in range(2):
        client.scrobble(served.song_id("A/X/3.flac"))
    client.scrobble(served.song_id("A/X/1.flac"))
    top = client.getTopSongs("Ärtist A")["topSongs"]["song"]
    assert _titles(top) == ["Gamma", "Alpha"]  # by play count; unplayed tracks left out
    randoms = client.getRandomSongs(size=10)["randomSongs"]["song"]
    assert sorted(_titles(randoms)) == sorted(tags["title"] for tags in FILES.values())
    rock = client.getRandomSongs(size=10, genre="Rock")["randomSongs"]["song"]
    assert {song["genre"] for song in rock} == {"Rock"} and len(rock) == 3


def test_folder_browsing_reaches_the_same_songs(served: Served) -> None:
    client = served.client()
    (folder,) = client.getMusicFolders()["musicFolders"]["musicFolder"]
    indexes = client.getIndexes()["indexes"]["index"]
    assert [entry["name"] for entry in indexes] == ["A", "B"]  # Ärtist files under A
    root = client.getMusicDirectory(folder["id"])["directory"]["child"]
    bee = next(child for child in root if child["title"] == "Bee")
    (album,) = client.getMusicDirectory(bee["id"])["directory"]["child"]
    songs = client.getMusicDirectory(album["id"])["directory"]["child"]
    assert _titles(songs) == ["Delta", "Epsilon"]


def test_a_track_without_a_fingerprint_has_no_neighbours_yet(served: Served) -> None:
    Fingerprint.delete().where(Fingerprint.track == served.ids["A/X/2.flac"]).execute()
    client = served.client()
    request = client._getRequest("getSonicSimilarTracks.view", {"id": served.song_id("A/X/2.flac")})
    assert client._doInfoReq(request).get("sonicMatch", []) == []
    names = _by_id(served)  # and the others no longer meet it
    request = client._getRequest("getSonicSimilarTracks.view", {"id": served.song_id("A/X/1.flac")})
    assert "A/X/2.flac" not in [
        names[m["entry"]["id"]] for m in client._doInfoReq(request)["sonicMatch"]
    ]
    with pytest.raises(libsonic.errors.DataNotFoundError):
        client.getSimilarSongs2("tr-424242")
