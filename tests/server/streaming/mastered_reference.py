"""What a mastered file must hold, from the server's own chunk files (``/chunks/{i}.wav``:
the renderer's output for each chunk, outside the chunk cache and every encoder)."""

from __future__ import annotations

import io
from collections.abc import Mapping

import httpx
import numpy as np
import numpy.typing as npt
import soundfile

QUIET = 10 ** (-90 / 20)  # -90 dBFS: the tolerance of "the same samples"


def chunk_render(
    base_url: str, track_id: int, params: Mapping[str, str] | None = None
) -> npt.NDArray[np.float32]:
    """The whole mastered track, joined from its chunk files, as (frames, channels)."""
    track = httpx.get(f"{base_url}/api/tracks/{track_id}").json()
    pieces = []
    for index in range(track["geometry"]["chunk_count"]):
        url = f"{base_url}/api/tracks/{track_id}/chunks/{index}.wav"
        response = httpx.get(url, params=params, timeout=60)
        response.raise_for_status()
        samples, _ = soundfile.read(io.BytesIO(response.content), dtype="float32", always_2d=True)
        pieces.append(samples)
    return np.concatenate(pieces)


def decoded(data: bytes) -> tuple[npt.NDArray[np.float32], int]:
    """(samples, rate) of an encoded file."""
    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples, int(rate)
