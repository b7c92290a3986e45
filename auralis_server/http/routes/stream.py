"""Audio out: the chunk stream (frames of shared/WIRE.md) and standalone chunk files.

Each handler parses its request, asks ``streaming.frames`` for the bytes and wraps them in
a response; the encoding itself lives there.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from auralis_server.audio.source import AudioReadError
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint.scheduler import HIGH
from auralis_server.http.errors import NotFound, Overloaded, RangeNotSatisfiable, UnreadableAudio
from auralis_server.http.params import (
    flag_from_query,
    format_from_query,
    plan_from_query,
    track_id_from,
)
from auralis_server.http.state import state_of
from auralis_server.library import queries as library
from auralis_server.streaming.frames import CHUNK_FILE_TYPES, FrameSource, chunk_file
from shared import ranges

STREAM_MEDIA_TYPE = "application/vnd.auralis.chunks"
# ASCII digits only and nothing after the extension: re's \d takes "٠" and its $ matches
# before a trailing newline, which served /chunks/٠.wav and /chunks/0.wav%0A as chunk 0.
_CHUNK_FILE = re.compile(r"\A([0-9]+)\.(wav|flac)\Z")


def _lookup(request: Request) -> TrackAudio:
    """The track's audio; a track about to play whose fingerprint is missing jumps the queue."""
    state = state_of(request)
    track = library.get_track(track_id_from(request.path_params))
    audio = library.playable_audio(track, state.settings.chunk_seconds)
    if track.fingerprint_status == "pending" and state.fingerprints.workers > 0:
        state.fingerprints.enqueue(track.id, HIGH)
    return audio


def _requested_range(request: Request, count: int) -> ranges.ChunkRange | None:
    """The chunks asked for, by ``?chunks=`` (which wins) or a ``Range`` header.

    A Range header in any other unit is ignored and the whole stream sent (RFC 9110 §14.2:
    an origin server MUST ignore a range unit it does not understand). That includes
    ``bytes``: this resource is a sequence of frames rendered on the fly, whose byte length
    is not known in advance, so it offers only ``Accept-Ranges: chunks``. A malformed or
    unsatisfiable ``chunks`` range is a 416.
    """
    spec = request.query_params.get("chunks")
    if spec is not None:
        spec = spec if ranges.is_chunk_range(spec) else f"{ranges.UNIT}={spec}"
    else:
        spec = request.headers.get("range")
        if spec is None or not ranges.is_chunk_range(spec):
            return None
    try:
        return ranges.parse_chunk_range(spec, count)
    except ranges.RangeNotSatisfiable as exc:
        raise RangeNotSatisfiable(
            str(exc), headers={"Content-Range": ranges.unsatisfied_content_range(count)}
        ) from None


def _is_read_ahead(request: Request) -> bool:
    """A request for audio nobody waits for yet: a HEAD (have the first chunk ready), or one
    marked background by RFC 9218's ``Priority`` header (urgency 4 to 7; the default is 3)."""
    if request.method == "HEAD":
        return True
    urgency = re.search(
        r"(?:^|,)\s*u\s*=\s*([0-7])\s*(?:,|;|$)", request.headers.get("priority", "")
    )
    return urgency is not None and int(urgency.group(1)) >= 4


async def stream_track(request: Request) -> Response:
    state = state_of(request)
    plan = plan_from_query(request.query_params)
    fmt = format_from_query(request.query_params)
    read_ahead = _is_read_ahead(request)
    if read_ahead and state.renders.behind():
        # Renders somebody needs by now are waiting: read-ahead would only delay them.
        raise Overloaded(
            "the server is behind on renders listeners need now; ask again later",
            headers={"Retry-After": str(state.renders.retry_after_s())},
        )
    audio = await run_in_threadpool(_lookup, request)
    count = audio.geometry.chunk_count
    chunk_range = _requested_range(request, count)
    indices = range(chunk_range.first, chunk_range.last + 1) if chunk_range else range(count)
    source = FrameSource(
        state.cache, state.renderer, audio, plan, fmt, state.renders, read_ahead=read_ahead
    )
    try:  # the plan and first frame before the headers, so an unreadable file is still a 422
        pieces = await source.open_pieces(indices)
    except AudioReadError as exc:
        raise UnreadableAudio(f"track {audio.track_id}: {exc}") from None

    status_code = 206 if chunk_range is not None else 200
    headers = {
        "Accept-Ranges": ranges.UNIT,
        "Cache-Control": "no-store",
        "X-Auralis-Chunk-Count": str(count),
        "X-Auralis-Sample-Rate": str(audio.geometry.sample_rate_hz),
        "X-Auralis-Channels": str(audio.channels),
    }
    if chunk_range is not None:
        headers["Content-Range"] = chunk_range.content_range()
    if request.method == "HEAD":
        # The first frame is rendered (and cached) all the same: a client that expects to
        # play a track soon sends HEAD to have its first chunk ready when it asks.
        response = Response(status_code=status_code, headers=headers, media_type=STREAM_MEDIA_TYPE)
        del response.headers["content-length"]  # the GET's length is not known: it is chunked
        return response
    return StreamingResponse(  # in pieces: a slow reader holds one piece in the server
        pieces, status_code=status_code, headers=headers, media_type=STREAM_MEDIA_TYPE
    )


def get_chunk_file(request: Request) -> Response:
    state = state_of(request)
    match = _CHUNK_FILE.match(request.path_params["name"])
    if match is None:
        raise NotFound("chunk files are named {index}.wav or {index}.flac")
    index, kind = ranges.parse_decimal(match.group(1)), match.group(2)
    assert index is not None  # the pattern matched ASCII digits
    plan = plan_from_query(request.query_params)
    with_tail = flag_from_query(request.query_params, "tail")
    audio = _lookup(request)
    geometry = audio.geometry
    if index >= geometry.chunk_count:
        raise NotFound(f"track {audio.track_id} has chunks 0..{geometry.chunk_count - 1}")
    try:
        body = chunk_file(state.renderer, audio, index, plan, kind=kind, with_tail=with_tail)
    except AudioReadError as exc:
        raise UnreadableAudio(f"track {audio.track_id} chunk {index}: {exc}") from None
    filename = f"track{audio.track_id}-chunk{index}.{kind}"
    return Response(
        body,
        media_type=CHUNK_FILE_TYPES[kind],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Auralis-Chunk-Index": str(index),
            "X-Auralis-Chunk-Count": str(geometry.chunk_count),
        },
    )


routes = [
    Route("/api/tracks/{track_id}/stream", stream_track),
    Route("/api/tracks/{track_id}/chunks/{name}", get_chunk_file),
]
