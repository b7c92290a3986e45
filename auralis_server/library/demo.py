"""A small synthetic library (chords, bass, drums, tagged FLAC) for first runs with no music.

Everything is vectorised numpy: notes and drum hits are rendered as whole arrays and added
at their offsets, so a few minutes of audio take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile
from mutagen.flac import FLAC

SAMPLE_RATE_HZ = 44100
ARTIST = "Auralis Demo Band"
ALBUM = "Synthetic Sessions"
YEAR = "2026"

Signal = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DemoSong:
    title: str
    genre: str
    tempo_bpm: float
    root_midi: int
    progression: tuple[tuple[int, ...], ...]  # chord tones as semitones above the root


SONGS: tuple[DemoSong, ...] = (
    DemoSong("Morning Loop", "Pop", 112.0, 57, ((0, 4, 7), (-3, 0, 4), (5, 9, 12), (7, 11, 14))),
    DemoSong(
        "Night Drive", "Synthwave", 96.0, 50, ((0, 3, 7), (-4, 0, 3), (-2, 2, 5), (-5, -1, 2))
    ),
    DemoSong(
        "Four on the Floor", "House", 124.0, 53, ((0, 3, 7, 10), (5, 8, 12), (3, 7, 10), (-2, 2, 5))
    ),
    DemoSong(
        "Slow Bloom",
        "Ambient Pop",
        78.0,
        55,
        ((0, 4, 7, 11), (5, 9, 12, 16), (2, 5, 9), (7, 11, 14)),
    ),
    DemoSong(
        "Breakneck", "Drum and Bass", 172.0, 52, ((0, 3, 7), (8, 12, 15), (3, 7, 10), (10, 14, 17))
    ),
)


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def _time(seconds: float) -> Signal:
    return np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ


def _add(target: Signal, sound: Signal, at_s: float) -> None:
    start = int(at_s * SAMPLE_RATE_HZ)
    end = min(len(target), start + len(sound))
    if start < end:
        target[start:end] += sound[: end - start]


def _chord(tones_hz: list[float], seconds: float) -> Signal:
    """Soft saw-like pad: five harmonics per tone, slow attack, gentle decay."""
    t = _time(seconds)
    pad = np.zeros_like(t)
    for freq in tones_hz:
        for harmonic in range(1, 6):
            pad += np.sin(2 * np.pi * freq * harmonic * t + harmonic) / harmonic**1.5
    envelope = np.minimum(1.0, t / 0.08) * np.exp(-t / (seconds * 1.5))
    return pad * envelope / len(tones_hz)


def _bass(freq_hz: float, seconds: float) -> Signal:
    t = _time(seconds)
    tone = np.sin(2 * np.pi * freq_hz * t) + 0.3 * np.sin(4 * np.pi * freq_hz * t)
    return tone * np.minimum(1.0, t / 0.005) * np.exp(-t / 0.35)


def _kick() -> Signal:
    t = _time(0.35)
    phase = 2 * np.pi * (45 * t + (110 / 18) * (1 - np.exp(-18 * t)))
    return np.sin(phase) * np.exp(-t / 0.12)


def _noise_hit(rng: np.random.Generator, seconds: float, decay_s: float, brightness: int) -> Signal:
    t = _time(seconds)
    noise = rng.standard_normal(len(t))
    for _ in range(brightness):  # each difference tilts the spectrum up 6 dB/octave
        noise = np.diff(noise, prepend=0.0)
    return noise / (np.max(np.abs(noise)) + 1e-12) * np.exp(-t / decay_s)


def render_song(song: DemoSong, seconds: float, seed: int) -> npt.NDArray[np.float32]:
    """Stereo float32 audio of ``song``: pads left-of-centre, bass centre, hats right."""
    rng = np.random.default_rng(seed)
    frames = int(seconds * SAMPLE_RATE_HZ)
    pads, bass, drums, hats = (np.zeros(frames) for _ in range(4))
    beat_s = 60.0 / song.tempo_bpm
    bar_s = 4 * beat_s
    snare_t = _time(0.25)
    snare = _noise_hit(rng, 0.25, 0.07, 1) + 0.4 * np.sin(2 * np.pi * 190 * snare_t) * np.exp(
        -snare_t / 0.05
    )
    hat = _noise_hit(rng, 0.06, 0.015, 3)
    kick = _kick()
    bar = 0
    while bar * bar_s < seconds:
        chord = song.progression[bar % len(song.progression)]
        start_s = bar * bar_s
        _add(pads, _chord([_hz(song.root_midi + tone) for tone in chord], bar_s), start_s)
        for beat in range(4):
            beat_start = start_s + beat * beat_s
            _add(bass, _bass(_hz(song.root_midi - 12 + chord[0]), beat_s), beat_start)
            if beat in (0, 2):
                _add(drums, kick, beat_start)
            if beat in (1, 3):
                _add(drums, snare, beat_start)
            for eighth in range(2):
                _add(hats, hat * (0.6 + 0.4 * rng.random()), beat_start + eighth * beat_s / 2)
        bar += 1
    left = 0.55 * pads + 0.5 * bass + 0.7 * drums + 0.15 * hats
    right = 0.35 * pads + 0.5 * bass + 0.7 * drums + 0.3 * hats
    stereo = np.stack([left, right], axis=1)
    fade = np.minimum(
        1.0, np.minimum(np.arange(frames), np.arange(frames)[::-1]) / (0.5 * SAMPLE_RATE_HZ)
    )
    stereo *= fade[:, None]
    stereo *= 10 ** (-1.0 / 20) / np.max(np.abs(stereo))  # peak at -1 dBFS
    return stereo.astype(np.float32)


def write_demo_library(directory: Path, *, seconds_per_track: float = 36.0) -> list[Path]:
    """Write the demo album as tagged 16-bit FLAC files into ``directory``; returns the paths."""
    album_dir = directory / ARTIST / ALBUM
    album_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, song in enumerate(SONGS, start=1):
        path = album_dir / f"{number:02d} {song.title}.flac"
        audio = render_song(song, seconds_per_track, seed=number)
        soundfile.write(path, audio, SAMPLE_RATE_HZ, subtype="PCM_16")
        tags = FLAC(path)
        tags.update(
            title=song.title,
            artist=ARTIST,
            albumartist=ARTIST,
            album=ALBUM,
            tracknumber=f"{number}/{len(SONGS)}",
            date=YEAR,
            genre=song.genre,
        )
        tags.save()
        paths.append(path)
    return paths
