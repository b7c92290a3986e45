"""``auralis fetch``: a mastered track to a WAV or FLAC file, joined exactly as playback joins it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import soundfile

from auralis_tui.api import AuralisClient, ClientError, StreamRequest
from auralis_tui.engine.joiner import ChunkJoiner

_FORMATS = {".wav": ("WAV", "FLOAT"), ".flac": ("FLAC", "PCM_24")}


async def fetch_track(
    client: AuralisClient,
    track_id: int,
    output: Path,
    *,
    preset: str = "adaptive",
    intensity: float = 1.0,
    on_chunk: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the track to ``output`` (atomically: a failure leaves no partial file)."""
    kind = _FORMATS.get(output.suffix.lower())
    if kind is None:
        raise ClientError(f"cannot write {output.name}: use a .wav or .flac file name")
    track = await client.track(track_id)
    geometry = track.get("geometry")
    if geometry is None:
        raise ClientError(f"track {track_id} is not playable: {track.get('error')}")
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(handle)
    try:
        with soundfile.SoundFile(
            temporary,
            "w",
            geometry["sample_rate_hz"],
            track["channels"],
            subtype=kind[1],
            format=kind[0],
        ) as out:
            joiner = ChunkJoiner()
            request = StreamRequest(track_id, preset=preset, intensity=intensity)
            async for frame in client.frames(request):
                out.write(joiner.feed(frame))
                if on_chunk is not None:
                    on_chunk(frame.header.chunk_index + 1, frame.header.chunk_count)
        os.replace(temporary, output)
    except BaseException:
        os.unlink(temporary)
        raise
    return output
