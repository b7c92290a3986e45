"""download, stream and getCoverArt.

``download`` and ``stream?format=raw`` answer with the original file and HTTP byte ranges
(seeking, an exact ``Content-Length``). Any other ``stream`` is the mastered track — the play
state's preset and intensity, else the server's defaults — encoded as it renders, by the
``/api`` route for mastered files (docs/subsonic.md).
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from urllib.parse import urlencode

from starlette.responses import FileResponse, Response
from starlette.types import Message, Receive, Scope, Send

from auralis_server.http.subsonic import ids
from auralis_server.http.subsonic.dispatch import Call, endpoint
from auralis_server.http.subsonic.envelope import GENERIC, NOT_FOUND, SubsonicError, failure
from auralis_server.library import artwork, catalog, media_facts, playstate, queries

log = logging.getLogger("auralis.subsonic")

MAX_COVER_PX = 2048
DEFAULT_FORMAT = "flac"  # lossless and about half a WAV's size: the natural mastered default
LOW_RATE_FORMAT = "mp3"  # what an absent format means when maxBitRate asks for less
MAX_KBPS = 100_000
MAX_OFFSET_S = 10**7
FORMATS = ("flac", "wav", "mp3", "opus")  # /api/tracks/{id}/audio.{format}


class _FileWithRanges(FileResponse):
    """A file answering ``Range`` for a form POST too (``formPost``), not only for GET."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") == "POST":
            scope = {**scope, "method": "GET"}
        await super().__call__(scope, receive, send)


def _original(call: Call) -> Response:
    track = queries.get_track(ids.number_of(call.params.required("id"), "track"))
    if not os.path.isfile(track.path):
        raise SubsonicError(NOT_FOUND, f"the file of track {track.id} is gone: {track.path}")
    return _FileWithRanges(
        track.path,
        media_type=media_facts.content_type(track.path),
        filename=os.path.basename(track.path),
        content_disposition_type="inline",
    )


@endpoint("download")
def download(call: Call) -> Response:
    return _original(call)


@endpoint("stream")
def stream(call: Call) -> Response:
    """``format=raw``: the file. Otherwise the mastered track in ``format`` (flac, wav, mp3,
    opus; absent or unknown: flac, or mp3 when ``maxBitRate`` is set), from ``timeOffset`` s,
    answered by ``/api/tracks/{id}/audio.{format}`` (`_Forward`)."""
    requested = (call.params.get("format") or "").lower()
    if requested == "raw":
        return _original(call)
    max_kbps = call.params.integer("maxBitRate", 0, 0, MAX_KBPS)
    kind = requested if requested in FORMATS else LOW_RATE_FORMAT if max_kbps else DEFAULT_FORMAT
    start_s = _seconds(call.params.get("timeOffset"))
    track = queries.get_track(ids.number_of(call.params.required("id"), "track"))
    queries.playable_audio(track, call.settings.chunk_seconds)  # a gone file: error 70 here
    saved = playstate.read_state()
    query = {"t": repr(start_s), "max_kbps": str(max_kbps)}
    query.update({name: str(saved[name]) for name in ("preset", "intensity") if saved[name]})
    if call.params.flag("estimateContentLength", False):
        query["estimate_length"] = "1"
    return _Forward(f"/api/tracks/{track.id}/audio.{kind}", query, call.params.get("f"))


def _seconds(raw: str | None) -> float:
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_OFFSET_S:  # NaN fails too
        raise SubsonicError(GENERIC, f"timeOffset must be seconds ≥ 0, got {raw!r:.40}")
    return value


class _Forward(Response):
    """Answers with the app's own route for ``path`` (run inside the app's router, past the
    ``/api`` token check: the call is authenticated already). The mastered files are built in
    one place, and this package stays clear of the streaming layer. An error that route
    raises before its response starts (an unreadable file) becomes a Subsonic error."""

    def __init__(self, path: str, query: dict[str, str], fmt: str | None) -> None:
        super().__init__()
        self.path, self.query, self.fmt = path, query, fmt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("root_path", "") + self.path
        inner = {
            **scope,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode(self.query).encode(),
        }
        inner.pop("starlette.exception_handlers", None)  # its errors come back here
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await scope["app"].router(inner, receive, watched)
        except Exception as exc:
            if started:
                raise
            log.warning("stream %s: %s", self.path, exc)
            detail = getattr(exc, "detail", None) or str(exc)
            await failure(SubsonicError(GENERIC, str(detail)), self.fmt)(scope, receive, send)


def _cover_track(raw: str) -> int:
    kind = ids.kind_of(raw)
    if kind in ("album", "artist"):
        found = sorted(catalog.group_track_ids(kind, ids.name_of(raw, kind)))
        if not found:
            raise SubsonicError(NOT_FOUND, f"no {kind} with id {raw:.60}")
        return found[0]
    return ids.number_of(raw, "track")


@endpoint("getCoverArt")
def get_cover_art(call: Call) -> Response:
    """The cover of a song (``tr-``), an album (``al-``: its first track's) or an artist."""
    track = queries.get_track(_cover_track(call.params.required("id")))
    size = call.params.integer("size", 0, 0, MAX_COVER_PX) or None
    cache_dir = call.settings.cache_dir / "covers"
    found = artwork.cover_art(Path(track.path), size, cache_dir)
    if found is None:
        raise SubsonicError(NOT_FOUND, f"track {track.id} has no cover art")
    data, mime = found
    return Response(data, media_type=mime, headers={"Cache-Control": "max-age=86400"})
