"""``auralis fetch``: a mastered track to a WAV or FLAC file, joined exactly as playback joins it."""

from __future__ import annotations

import contextlib
import os
import secrets
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
    loudness: str = "track",
    on_chunk: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the track to ``output`` atomically: a failure leaves no file, partial or not.

    The destination is checked before the server is asked, so a bad path fails at once.
    """
    kind = _FORMATS.get(output.suffix.lower())
    if kind is None:
        raise ClientError(f"cannot write {output.name}: use a .wav or .flac file name")
    temporary: Path | None = None
    try:
        temporary = _create_beside(output)
        track = await client.track(track_id)
        geometry = track.get("geometry")
        if geometry is None:
            raise ClientError(f"track {track_id} is not playable: {track.get('error')}")
        with soundfile.SoundFile(
            temporary,
            "w",
            geometry["sample_rate_hz"],
            track["channels"],
            subtype=kind[1],
            format=kind[0],
        ) as out:
            joiner = ChunkJoiner()
            request = StreamRequest(track_id, preset=preset, intensity=intensity, loudness=loudness)
            async for frame in client.frames(request):
                out.write(joiner.feed(frame))
                if on_chunk is not None:
                    on_chunk(frame.header.chunk_index + 1, frame.header.chunk_count)
        os.replace(temporary, output)
    except BaseException as exc:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        if isinstance(exc, (OSError, soundfile.SoundFileError)):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ClientError(f"cannot write {output}: {reason}") from None
        raise
    return output


def _create_beside(output: Path) -> Path:
    """A new empty file next to ``output``, to be renamed over it when complete.

    Made with ``os.open(…, 0o666)`` so the umask sets its mode as for any file a program
    writes (``mkstemp`` would make every output 0600); exclusive, so no fetch shares it.
    A missing folder is an error: a typo must not create a tree of folders.
    """
    folder = output.parent
    if not folder.is_dir():
        reason = "not a directory" if folder.exists() else "no such directory"
        raise ClientError(f"cannot write {output}: {reason} {folder}")
    temporary = folder / f".{output.name}.{secrets.token_hex(8)}.part"
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return temporary
