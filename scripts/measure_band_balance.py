"""Measure the band balance of mastered music, so the EQ's reference can be re-derived.

For every audio file under the folders given (decoded with the server's reader; an excerpt of
``--excerpt-s`` seconds from the middle, or the whole track with 0), the seven fingerprint band
fractions are computed by the fingerprint's own code (``plan_inputs``). It prints each track's
balance in dB relative to the reference ``eq.py`` holds now, then the folder's reference: the
median of the tracks' band levels in dB (robust both to one bass-heavy track and to the few
arrangements that lack a band altogether), normalised to sum 1, next to the published tilt;
and the shape inside the bands (``eq.REFERENCE_THIRD_OCTAVES_DB``): each track's power per
third octave of the fingerprint's mono analysis signal (Welch, 8192-point segments), in dB
under its loudest third octave, and the per-third-octave median.

Usage: python scripts/measure_band_balance.py FOLDER [FOLDER ...] [--excerpt-s 60]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.signal import welch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auralis_server.audio.source import AudioReadError, probe, read_frames  # noqa: E402
from auralis_server.fingerprint.dsp.analysis import (  # noqa: E402
    ANALYSIS_RATE_HZ,
    analysis_signal,
    plan_inputs,
)
from auralis_server.mastering.eq import (  # noqa: E402
    REFERENCE_BANDS,
    REFERENCE_THIRD_OCTAVES_DB,
    THIRD_OCTAVE_CENTRES_HZ,
    tilt_reference_bands,
)

AUDIO_SUFFIXES = {".flac", ".wav", ".ogg", ".mp3", ".opus", ".aiff", ".aif"}
BANDS = tuple(REFERENCE_BANDS)


SEGMENT_FRAMES = 8192


def band_balance(path: Path, excerpt_s: float) -> tuple[dict[str, float], np.ndarray]:
    """The fingerprint's band fractions of ``path`` (a middle excerpt unless ``excerpt_s`` is 0)
    and its third-octave levels (dB under the loudest)."""
    info = probe(path)
    frames = info.total_frames
    length = frames if excerpt_s <= 0 else min(frames, int(excerpt_s * info.sample_rate_hz))
    start = (frames - length) // 2
    audio = read_frames(path, start, start + length)
    values = plan_inputs(audio, info.sample_rate_hz)
    mono = analysis_signal(audio, info.sample_rate_hz).astype(np.float64)
    freqs, power = welch(mono, fs=ANALYSIS_RATE_HZ, nperseg=SEGMENT_FRAMES)
    edge = 2.0 ** (1.0 / 6.0)
    thirds = np.array(
        [power[(freqs >= c / edge) & (freqs < c * edge)].sum() for c in THIRD_OCTAVE_CENTRES_HZ]
    )
    levels = 10.0 * np.log10(np.maximum(thirds, 1e-20))
    return {name: values[name] for name in BANDS}, levels - levels.max()


def reference_from(balances: list[dict[str, float]]) -> dict[str, float]:
    """The per-band median of the tracks' band fractions, normalised to sum 1."""
    median = np.median([[b[name] for name in BANDS] for b in balances], axis=0)
    return dict(zip(BANDS, (median / median.sum()).tolist(), strict=True))


def _db_row(balance: dict[str, float], against: dict[str, float]) -> str:
    return "".join(f"{10 * np.log10(max(balance[n], 1e-9) / against[n]):>+9.1f}" for n in BANDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--excerpt-s", type=float, default=60.0)
    args = parser.parse_args()
    paths = sorted(
        p
        for folder in args.folders
        for p in folder.rglob("*")
        if p.suffix.lower() in AUDIO_SUFFIXES
    )
    header = "".join(f"{name.removesuffix('_pct'):>9}" for name in BANDS)
    print(f"dB against the current reference\n{'track':<28}{header}")
    balances, shapes = [], []
    for path in paths:
        try:
            balance, shape = band_balance(path, args.excerpt_s)
        except AudioReadError as exc:
            print(f"{path.name:<28}skipped: {exc}")
            continue
        balances.append(balance)
        shapes.append(shape)
        print(f"{path.name[:27]:<28}{_db_row(balance, REFERENCE_BANDS)}")
    if not balances:
        raise SystemExit("no audio files found")
    measured = reference_from(balances)
    print(f"\n{len(balances)} tracks; reference = per-band median, normalised\n{'':<28}{header}")
    for label, bands in (("measured", measured), ("published tilt", tilt_reference_bands())):
        print(f"{label:<28}" + "".join(f"{bands[n]:>9.4f}" for n in BANDS))
    print(f"{'current (eq.py)':<28}" + "".join(f"{REFERENCE_BANDS[n]:>9.4f}" for n in BANDS))
    print("\nthird octaves (Hz, dB under the loudest): measured median, then eq.py's")
    print(" ".join(f"{c:.0f}" for c in THIRD_OCTAVE_CENTRES_HZ))
    print(", ".join(f"{v:.1f}" for v in np.median(shapes, axis=0)))
    print(", ".join(f"{v:.1f}" for v in REFERENCE_THIRD_OCTAVES_DB))


if __name__ == "__main__":
    main()
