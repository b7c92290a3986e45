"""Mastered tracks as plain audio files, and M3U8 lists of them, for players that speak
neither the chunk stream nor Subsonic (mpv, VLC, a browser's <audio>); Subsonic's ``stream``
is answered by these same routes.

``/api/tracks/{id}/audio.wav`` has an exact length and answers byte ranges by rendering only
the chunks under the range, so players seek in it; ``audio.flac`` (and ``.mp3``, ``.opus``)
are encoded from the start (or ``t`` seconds in) as the chunks render. The ``.m3u8`` lists name those files by absolute URL, carrying the
request's preset, intensity and ``?token=`` so a player can fetch each entry as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from auralis_server.audio.source import AudioReadError
from auralis_server.http.errors import BadRequest, NotFound, RangeNotSatisfiable, UnreadableAudio
from auralis_server.http.params import (
    flag_from_query,
    number_from_query,
    plan_from_query,
    playlist_id_from,
    track_id_from,
)
from auralis_server.http.state import state_of
from auralis_server.library import catalog, m3u8, playlists
from auralis_server.library import queries as library
from auralis_server.library.models import Track
from auralis_server.streaming.encoded import (
    ENCODINGS,
    fit_to_length,
    open_encoded,
    open_wav_range,
    start_frame_at,
    wav_bytes,
)
from auralis_server.streaming.frames import FrameSource, in_pieces
from auralis_server.streaming.mastered_pcm import pcm_source

FILE_KINDS = ("wav", "flac")
_BYTE_RANGE = re.compile(r"\A[ \t]*bytes[ \t]*=[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*\Z", re.A)
_PASSED_ON = ("preset", "intensity", "loudness", "token")  # query parameters the listed URLs keep


def _source(request: Request) -> FrameSource:
    state = state_of(request)
    settings = plan_from_query(request.query_params)
    track = library.get_track(track_id_from(request.path_params))
    audio = library.playable_audio(track, state.settings.chunk_seconds)
    return pcm_source(state.cache, state.renderer, audio, settings, state.renders)


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive bytes one ``Range: bytes=`` asks for, clamped to ``size``; None (send it
    all) for no header, another unit, several ranges or bad syntax, as RFC 9110 §14.2 allows.
    A range starting past the end (or an empty suffix) is a 416."""
    match = _BYTE_RANGE.match(header or "")
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first_text, last_text = match.groups()
    if first_text == "":  # the last N bytes; none of them is unsatisfiable
        first = size - min(int(last_text), size) if int(last_text) else size
        last = size - 1
    else:
        first = int(first_text)
        last = int(last_text) if last_text else max(first, size - 1)
        if last < first:
            return None
    if first >= size:
        raise RangeNotSatisfiable(
            f"the file has {size} bytes", headers={"Content-Range": f"bytes */{size}"}
        )
    return first, min(last, size - 1)


MAX_KBPS = 100_000
MAX_START_S = 10**7


async def track_file(request: Request) -> Response:
    """The mastered track as ``audio.{wav,flac,mp3,opus}``; ``t`` starts it that many seconds
    in, ``max_kbps`` caps a lossy bit rate, ``estimate_length=1`` promises a lossy length."""
    kind = str(request.path_params["kind"])
    encoding = ENCODINGS.get(kind)
    if encoding is None:
        raise NotFound(f"track files are audio.{{{','.join(ENCODINGS)}}}, not audio.{kind:.40}")
    start_s = number_from_query(request.query_params, "t", 0.0, 0.0, MAX_START_S)
    source = await run_in_threadpool(_source, request)
    name = f"track{source.audio.track_id}.{kind}"
    seconds = max(source.audio.geometry.duration_seconds - start_s, 0.0)
    headers = {
        "Content-Disposition": f'inline; filename="{name}"',
        "Accept-Ranges": "none",
        "X-Content-Duration": f"{seconds:.3f}",  # what Firefox and some players read
    }
    if kind == "wav":
        return await _wav(request, source, start_frame_at(source, start_s), headers)
    if request.method == "HEAD":
        return Response(headers=headers, media_type=encoding.media_type)
    max_kbps = round(number_from_query(request.query_params, "max_kbps", 0, 0, MAX_KBPS))
    try:
        stream = await open_encoded(source, encoding, start_s=start_s, max_kbps=max_kbps)
    except AudioReadError as exc:
        raise UnreadableAudio(f"track {source.audio.track_id}: {exc}") from None
    body = stream.body
    if stream.estimated_bytes is not None and flag_from_query(
        request.query_params, "estimate_length"
    ):
        body = fit_to_length(body, stream.estimated_bytes)
        headers["Content-Length"] = str(stream.estimated_bytes)
    # In pieces: a slow reader holds one piece in the server, not an encoded chunk.
    return StreamingResponse(in_pieces(body), headers=headers, media_type=encoding.media_type)


async def _wav(
    request: Request, source: FrameSource, start_frame: int, headers: dict[str, str]
) -> Response:
    """The exact-length WAV, or the one byte range asked for (rendering only its chunks)."""
    size = wav_bytes(source, start_frame)
    wanted = byte_range(request.headers.get("range"), size)
    first, last = wanted or (0, size - 1)
    headers = {**headers, "Accept-Ranges": "bytes", "Content-Length": str(last - first + 1)}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    status_code = 206 if wanted is not None else 200
    if request.method == "HEAD":
        return Response(status_code=status_code, headers=headers, media_type="audio/wav")
    try:
        body = await open_wav_range(source, first, last, start_frame)
    except AudioReadError as exc:
        raise UnreadableAudio(f"track {source.audio.track_id}: {exc}") from None
    return StreamingResponse(in_pieces(body), status_code, headers, media_type="audio/wav")


def playlist_text(tracks: list[Track], base_url: str, params: Mapping[str, str]) -> str:
    """Extended M3U of the tracks' mastered files: ``#EXTINF:<s>,<artist> - <title>``, URL."""
    kind = params.get("format") or "wav"
    if kind not in FILE_KINDS:
        raise BadRequest(f"format must be one of {', '.join(FILE_KINDS)}, got {kind!r:.40}")
    plan_from_query(params)  # a bad preset or intensity is the list's 400, not each file's
    kept = {name: params[name] for name in _PASSED_ON if params.get(name)}
    query = "?" + urlencode(kept) if kept else ""
    lines = ["#EXTM3U"]
    for track in tracks:
        seconds = round(track.duration) if track.duration is not None else -1
        title = " ".join((track.title or Path(track.path).stem).split())
        shown = f"{' '.join(track.artist.split())} - {title}" if track.artist else title
        url = f"{base_url}api/tracks/{track.id}/audio.{kind}{query}"
        lines += [f"#EXTINF:{seconds},{shown}", url]
    return "\n".join(lines) + "\n"


def _m3u8_response(request: Request, tracks: list[Track]) -> Response:
    text = playlist_text(tracks, str(request.base_url), request.query_params)
    return Response(text.encode(), media_type=m3u8.MEDIA_TYPE)


def _album_tracks(name: str) -> list[Track]:
    tracks = catalog.album_tracks(name)
    if not tracks:
        raise NotFound(f"no album named {name!r:.80}")
    return tracks


async def album_m3u8(request: Request) -> Response:
    """The album whose ``album`` tag is the path's name (as ``/api/albums`` lists them)."""
    tracks = await run_in_threadpool(_album_tracks, request.path_params["album"])
    return _m3u8_response(request, tracks)


async def playlist_m3u8(request: Request) -> Response:
    playlist_id = playlist_id_from(request.path_params)

    def tracks() -> list[Track]:
        return playlists.playlist_tracks(playlists.get_playlist(playlist_id))

    return _m3u8_response(request, await run_in_threadpool(tracks))


def _search(params: Mapping[str, str]) -> list[Track]:
    """Every track matching ``q`` (all of them without it), page after page."""
    found: list[Track] = []
    query = {"q": params.get("q") or "", "limit": str(library.MAX_PAGE)}
    while True:
        page = library.list_tracks(query)
        found += page.tracks
        if page.next is None:
            return found
        query["after"] = page.next


async def tracks_m3u8(request: Request) -> Response:
    return _m3u8_response(request, await run_in_threadpool(_search, request.query_params))


routes = [
    Route("/api/tracks/{track_id}/audio.{kind}", track_file, methods=["GET", "HEAD"]),
    Route("/api/tracks.m3u8", tracks_m3u8),
    Route("/api/albums/{album:path}.m3u8", album_m3u8),
    Route("/api/playlists/{playlist_id}.m3u8", playlist_m3u8),
]
