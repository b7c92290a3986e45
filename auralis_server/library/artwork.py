"""Cover art of a track: the picture embedded in the file, else an image beside it
(``folder.jpg``, ``cover.png``, …), resized on request and kept in the cache folder."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from pathlib import Path

import mutagen
from mutagen.flac import Picture

COVER_STEMS = ("cover", "folder", "front", "album")
"""Image names looked for beside the file, best first."""
IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
FRONT_COVER = 3  # the APIC / FLAC picture type of a front cover
MAX_SIZE_PX = 4096


class ArtworkError(Exception):
    """The picture exists but cannot be decoded or resized."""


def _best(pictures: list[Picture]) -> Picture | None:
    return next((p for p in pictures if p.type == FRONT_COVER), pictures[0] if pictures else None)


def embedded_picture(path: Path) -> tuple[bytes, str] | None:
    """The front cover (else the first picture) in the file's tags, with its MIME type."""
    try:
        audio = mutagen.File(str(path))
    except Exception:  # a broken tag block means no picture, not a failure
        return None
    if audio is None:
        return None
    flac_pictures = list(getattr(audio, "pictures", None) or [])
    tags = audio.tags
    if not flac_pictures and tags is not None:
        if hasattr(tags, "getall"):  # ID3 (MP3, WAV, AIFF)
            frames = tags.getall("APIC")
            frame = next(
                (f for f in frames if f.type == FRONT_COVER), frames[0] if frames else None
            )
            if frame is not None:
                return bytes(frame.data), frame.mime or "image/jpeg"
        covers = tags.get("covr") if hasattr(tags, "get") else None  # MP4
        if covers:
            mime = "image/png" if covers[0].imageformat == covers[0].FORMAT_PNG else "image/jpeg"
            return bytes(covers[0]), mime
        for encoded in (tags.get("metadata_block_picture") or []) if hasattr(tags, "get") else []:
            try:
                flac_pictures.append(Picture(base64.b64decode(encoded)))
            except Exception:  # one unreadable block: try the next
                continue
    picture = _best(flac_pictures)
    return (bytes(picture.data), picture.mime or "image/jpeg") if picture else None


def folder_picture(path: Path) -> tuple[bytes, str] | None:
    """``cover.*``, ``folder.*``, ``front.*`` or ``album.*`` in the file's folder."""
    try:
        entries = {entry.name.lower(): entry.name for entry in os.scandir(path.parent)}
    except OSError:
        return None
    for stem in COVER_STEMS:
        for suffix, mime in IMAGE_TYPES.items():
            name = entries.get(stem + suffix)
            if name is not None:
                try:
                    return (path.parent / name).read_bytes(), mime
                except OSError:
                    continue
    return None


def cover_art(path: Path, size_px: int | None, cache_dir: Path) -> tuple[bytes, str] | None:
    """The track's cover, no larger than ``size_px`` on its longer side when given."""
    found = embedded_picture(path) or folder_picture(path)
    if found is None or size_px is None:
        return found
    data, _ = found
    digest = hashlib.sha256(data).hexdigest()[:32]
    cached = cache_dir / f"{digest}-{size_px}.jpg"
    if cached.exists():
        return cached.read_bytes(), "image/jpeg"
    resized = _resized(data, size_px)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(resized)
    os.replace(partial, cached)
    return resized, "image/jpeg"


def _resized(data: bytes, size_px: int) -> bytes:
    from PIL import Image, UnidentifiedImageError  # only cover requests with a size need it

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((min(size_px, MAX_SIZE_PX),) * 2)
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=90)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ArtworkError(f"cannot resize the cover: {exc}") from None
    return out.getvalue()
