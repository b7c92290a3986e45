"""Audio out: the chunk stream (frames of shared/WIRE.md) and standalone chunk files."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator

import soundfile
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from auralis_server.audio.source import AudioReadError
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint.dsp.analysis import (
    ALGORITHM_VERSION as FINGERPRINT_ALGORITHM_VERSION,
)
from auralis_server.fingerprint.scheduler import HIGH
from auralis_server.http.errors import NotFound, RangeNotSatisfiable, UnreadableAudio
from auralis_server.http.params import flag_from_query, format_from_query, plan_from_query
from auralis_server.http.state import AppState, state_of
from auralis_server.library import queries as library
from auralis_server.streaming.chunk_cache import cache_key
from auralis_server.streaming.renderer import ChunkRenderer, RenderSettings
from shared import ranges
from shared.wire import SampleFormat, encode_flac, encode_frame

log = logging.getLogger("auralis.stream")

STREAM_MEDIA_TYPE = "application/vnd.auralis.chunks"
_CHUNK_FILE = re.compile(r"^(\d+)\.(wav|flac)$")


def _lookup(request: Request) -> TrackAudio:
    """The track's audio; a track about to play whose fingerprint is missing jumps the queue."""
    state = state_of(request)
    track = library.get_track(request.path_params["track_id"])
    audio = library.playable_audio(track, state.settings.chunk_seconds)
    if track.fingerprint_status == "pending" and state.fingerprints.workers > 0:
        state.fingerprints.enqueue(track.id, HIGH)
    return audio


def _requested_range(request: Request, count: int) -> ranges.ChunkRange | None:
    spec = request.query_params.get("chunks")
    if spec is not None:
        spec = spec if spec.startswith(ranges.UNIT) else f"{ranges.UNIT}={spec}"
    else:
        spec = request.headers.get("range")
    if spec is None:
        return None
    try:
        return ranges.parse_chunk_range(spec, count)
    except ranges.RangeNotSatisfiable as exc:
        raise RangeNotSatisfiable(
            str(exc), headers={"Content-Range": ranges.unsatisfied_content_range(count)}
        ) from None


def _render_frame(
    renderer: ChunkRenderer, audio: TrackAudio, index: int, plan: RenderSettings, fmt: SampleFormat
) -> bytes:
    samples = renderer.render(audio, index, plan)
    return encode_frame(
        samples,
        chunk_index=index,
        chunk_count=audio.geometry.chunk_count,
        sample_rate_hz=audio.geometry.sample_rate_hz,
        core_frames=audio.geometry.core_frames(index),
        sample_format=fmt,
    )


async def _frame(
    state: AppState,
    audio: TrackAudio,
    index: int,
    settings: RenderSettings,
    fmt: SampleFormat,
    identity: str,
) -> bytes:
    """One encoded frame, from the chunk cache or rendered once for everyone asking."""
    geometry = audio.geometry
    key = cache_key(
        audio.path,
        *audio.signature,
        FINGERPRINT_ALGORITHM_VERSION,
        identity,
        geometry.chunk_frames,
        geometry.overlap_frames,
        index,
        fmt.name,
    )
    return await state.cache.get_or_render(
        key, lambda: _render_frame(state.renderer, audio, index, settings, fmt)
    )


async def stream_track(request: Request) -> Response:
    state = state_of(request)
    plan = plan_from_query(request.query_params)
    fmt = format_from_query(request.query_params)
    audio = await run_in_threadpool(_lookup, request)
    count = audio.geometry.chunk_count
    chunk_range = _requested_range(request, count)
    indices = range(chunk_range.first, chunk_range.last + 1) if chunk_range else range(count)
    renderer = state.renderer
    try:  # the plan and first frame before the headers, so an unreadable file is still a 422
        identity = await run_in_threadpool(renderer.describe, audio, plan)
        first = await _frame(state, audio, indices[0], plan, fmt, identity)
    except AudioReadError as exc:
        raise UnreadableAudio(f"track {audio.track_id}: {exc}") from None

    async def frames() -> AsyncIterator[bytes]:
        yield first
        for index in indices[1:]:
            try:
                frame = await _frame(state, audio, index, plan, fmt, identity)
            except AudioReadError as exc:
                # Headers are gone; ending early makes the frame count fall short of
                # Content-Range, which is how clients see the failure.
                log.error("track %d chunk %d: %s; stream ended early", audio.track_id, index, exc)
                return
            yield frame

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
        response = Response(
            status_code=206 if chunk_range is not None else 200,
            headers=headers,
            media_type=STREAM_MEDIA_TYPE,
        )
        del response.headers["content-length"]  # the GET's length is not known: it is chunked
        return response
    return StreamingResponse(
        frames(),
        status_code=206 if chunk_range is not None else 200,
        headers=headers,
        media_type=STREAM_MEDIA_TYPE,
    )


def chunk_file(request: Request) -> Response:
    state = state_of(request)
    match = _CHUNK_FILE.match(request.path_params["name"])
    if match is None:
        raise NotFound("chunk files are named {index}.wav or {index}.flac")
    index, kind = int(match.group(1)), match.group(2)
    plan = plan_from_query(request.query_params)
    with_tail = flag_from_query(request.query_params, "tail")
    audio = _lookup(request)
    geometry = audio.geometry
    if index >= geometry.chunk_count:
        raise NotFound(f"track {audio.track_id} has chunks 0..{geometry.chunk_count - 1}")
    try:
        samples = state.renderer.render(audio, index, plan)
    except AudioReadError as exc:
        raise UnreadableAudio(f"track {audio.track_id} chunk {index}: {exc}") from None
    if not with_tail:
        samples = samples[: geometry.core_frames(index)]
    if kind == "flac":
        body, media_type = encode_flac(samples, geometry.sample_rate_hz), "audio/flac"
    else:
        buffer = io.BytesIO()
        soundfile.write(buffer, samples, geometry.sample_rate_hz, format="WAV", subtype="FLOAT")
        body, media_type = buffer.getvalue(), "audio/wav"
    filename = f"track{audio.track_id}-chunk{index}.{kind}"
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Auralis-Chunk-Index": str(index),
            "X-Auralis-Chunk-Count": str(geometry.chunk_count),
        },
    )


routes = [
    Route("/api/tracks/{track_id:int}/stream", stream_track),
    Route("/api/tracks/{track_id:int}/chunks/{name}", chunk_file),
]
