"""ITU-R BS.1770-4 loudness: K-weighting, gated integrated loudness, short-term loudness.

The K-weighting biquads are designed for the signal's own rate from the analogue
parameters (shelf 1681.97 Hz / +4 dB, high-pass 38.14 Hz), as in Brecht De Man's
derivation used by libebur128 and pyloudnorm's "DeMan" filter: at 48 kHz they reproduce the
BS.1770 table, and at 44.1 or 96 kHz they are the same analogue filter, not the 48 kHz
coefficients applied at the wrong rate. Blocks are 400 ms with a 100 ms hop; the gates are
−70 LUFS absolute and −10 LU relative (EBU Tech 3341/3342 test signals in the tests).

A track's blocks are also kept as a histogram of block loudness (libebur128's histogram
mode): counts in 0.1 LU bins from −70 to +10 LUFS (above the +6.3 LUFS a full-scale stereo
square at high frequency reads), so the gated loudness of several tracks together — an
album — is the loudness of their summed histograms, without reading the audio again.
Quantising a block to its bin's centre moves a result by well under 0.05 LU.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import numpy.typing as npt
from scipy.signal import sosfilt

from auralis_server.audio.arrays import Array

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
SILENCE_LUFS = -70.0  # what an all-gated (silent) signal reads; documented in docs/fingerprint.md
BLOCK_S, BLOCK_HOP_S = 0.4, 0.1
SHORT_TERM_S, SHORT_TERM_HOP_S = 3.0, 1.0
_OFFSET_DB = -0.691
_SURROUND_GAIN = 1.41  # BS.1770 weight of Ls and Rs
HISTOGRAM_LOW_LUFS, HISTOGRAM_STEP_LU, HISTOGRAM_BINS = -70.0, 0.1, 800  # −70 … +10 LUFS
_HISTOGRAM_CENTRES_LUFS = HISTOGRAM_LOW_LUFS + (np.arange(HISTOGRAM_BINS) + 0.5) * HISTOGRAM_STEP_LU
_HISTOGRAM_ENERGIES = 10.0 ** ((_HISTOGRAM_CENTRES_LUFS - _OFFSET_DB) / 10.0)


def k_weighting_sos(rate_hz: int) -> Array:
    """Second-order sections of the K-weighting filter for ``rate_hz`` (De Man's design)."""
    shelf_hz, shelf_gain_db, shelf_q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * shelf_hz / rate_hz)
    vh = 10.0 ** (shelf_gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / shelf_q + k * k
    shelf = [
        (vh + vb * k / shelf_q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / shelf_q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / shelf_q + k * k) / a0,
    ]
    highpass_hz, highpass_q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * highpass_hz / rate_hz)
    a0 = 1.0 + k / highpass_q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / highpass_q + k * k) / a0]
    return np.array([shelf, highpass])


def channel_weights(channels: int) -> Array:
    """BS.1770 channel gains: 1 for L, R, C; 0 for LFE and 1.41 for Ls, Rs in 5.1 order."""
    if channels == 6:
        return np.array([1.0, 1.0, 1.0, 0.0, _SURROUND_GAIN, _SURROUND_GAIN])
    if channels == 5:
        return np.array([1.0, 1.0, 1.0, _SURROUND_GAIN, _SURROUND_GAIN])
    return np.ones(channels)


def k_weighted_squares(samples: npt.ArrayLike, rate_hz: int) -> Array:
    """(frames, channels) squared K-weighted signal, the input of every loudness measure."""
    audio = np.asarray(samples, dtype=np.float64)
    if audio.ndim == 1:
        audio = audio[:, None]
    filtered = sosfilt(k_weighting_sos(rate_hz), audio, axis=0)
    return filtered * filtered


def window_powers(squares: Array, rate_hz: int, window_s: float, hop_s: float) -> Array:
    """(windows, channels) mean square per window of ``window_s`` every ``hop_s``.

    When the window is a whole number of hops (400 ms / 100 ms, 3 s / 1 s at every common
    rate) the windows are sums of per-hop sums; otherwise a cumulative sum does it.
    """
    window = round(window_s * rate_hz)
    hop = round(hop_s * rate_hz)
    frames, channels = squares.shape
    if frames < window:
        return np.zeros((0, channels))
    count = (frames - window) // hop + 1
    if window % hop == 0:
        per_hop = window // hop
        used = squares[: (count - 1 + per_hop) * hop].reshape(-1, hop, channels)
        segments = np.einsum("ijk->ik", used)  # several times faster than .sum(axis=1) here
        sums = sum(segments[offset : offset + count] for offset in range(per_hop))
        return np.asarray(sums) / window
    starts = np.arange(count) * hop
    cumulative = np.concatenate([np.zeros((1, channels)), np.cumsum(squares, axis=0)])
    return (cumulative[starts + window] - cumulative[starts]) / window


def _loudness(powers: Array, weights: Array) -> Array:
    weighted = powers @ weights
    with np.errstate(divide="ignore"):
        return _OFFSET_DB + 10.0 * np.log10(weighted)


def gated_loudness(block_powers: Array, weights: Array) -> float:
    """Integrated loudness from 400 ms block powers, both gates applied (BS.1770-4 eq. 2–7)."""
    if len(block_powers) == 0:
        return SILENCE_LUFS
    block_lufs = _loudness(block_powers, weights)
    above_absolute = block_lufs > ABSOLUTE_GATE_LUFS
    if not above_absolute.any():
        return SILENCE_LUFS
    relative_gate = (
        float(_loudness(block_powers[above_absolute].mean(axis=0), weights)) + RELATIVE_GATE_LU
    )
    gated = above_absolute & (block_lufs > relative_gate)
    return float(_loudness(block_powers[gated].mean(axis=0), weights))


def block_powers(samples: npt.ArrayLike, rate_hz: int) -> Array:
    """(blocks, channels) mean-square K-weighted power of 400 ms blocks every 100 ms."""
    return window_powers(k_weighted_squares(samples, rate_hz), rate_hz, BLOCK_S, BLOCK_HOP_S)


def integrated_loudness(samples: npt.ArrayLike, rate_hz: int) -> float:
    """Integrated loudness in LUFS; ``SILENCE_LUFS`` when every block is under the gate."""
    audio = np.asarray(samples)
    channels = 1 if audio.ndim == 1 else audio.shape[1]
    return gated_loudness(block_powers(audio, rate_hz), channel_weights(channels))


def short_term_loudness(squares: Array, rate_hz: int) -> Array:
    """LUFS of 3 s windows every 1 s (EBU Tech 3341 short-term), ungated."""
    powers = window_powers(squares, rate_hz, SHORT_TERM_S, SHORT_TERM_HOP_S)
    return _loudness(powers, channel_weights(squares.shape[1]))


class _WindowSums:
    """Per-channel sums of squares over windows of several (``window``, ``hop``) layouts, fed
    in pieces: the running cumulative sum is recorded where each window starts and ends, so a
    window may span any number of pieces and memory stays one row per window.
    """

    def __init__(self, layouts: tuple[tuple[int, int], ...], channels: int) -> None:
        self.layouts = layouts
        self._frames = 0
        self._total = np.zeros(channels)
        # per layout: cumulative sums at j·hop, and at j·hop + window
        self._starts: list[list[Array]] = [[self._total[None, :]] for _ in layouts]
        self._ends: list[list[Array]] = [[] for _ in layouts]

    def _marks(self, first: int, hop: int, cumulative: Array) -> Array:
        """Rows of ``cumulative`` (row k: the sum up to frame pos + k + 1) at the frames
        ``first`` + j·hop in (pos, pos + n]."""
        pos, stop = self._frames, self._frames + len(cumulative)
        lowest = max(0, (pos - first) // hop + 1)
        highest = (stop - first) // hop
        return cumulative[first + hop * np.arange(lowest, highest + 1) - pos - 1]

    def add(self, squares: Array) -> None:
        """Feed the next squares; ``squares`` is overwritten (it becomes the running sum)."""
        if len(squares) == 0:
            return
        cumulative = np.cumsum(squares, axis=0, out=squares)
        cumulative += self._total
        for (window, hop), starts, ends in zip(self.layouts, self._starts, self._ends, strict=True):
            starts.append(self._marks(0, hop, cumulative))
            ends.append(self._marks(window, hop, cumulative))
        self._frames += len(cumulative)
        self._total = cumulative[-1].copy()

    def powers(self, layout: int) -> Array:
        """(windows, channels) mean square of every window of ``layouts[layout]`` that ended
        inside what was fed."""
        ends = np.concatenate([np.zeros((0, len(self._total))), *self._ends[layout]])
        starts = np.concatenate(self._starts[layout])[: len(ends)]
        return (ends - starts) / self.layouts[layout][0]


class LoudnessMeter:
    """BS.1770 meter fed a track piece by piece, in order (e.g. chunk by chunk as it renders).

    The K-weighting state carries across pieces, so the readings equal those of the whole
    signal at once: short-term loudness (``SHORT_TERM_S`` windows every ``SHORT_TERM_HOP_S``,
    EBU Tech 3341) and gated integrated loudness. Memory is a few rows per second of audio.
    """

    def __init__(self, rate_hz: int, channels: int) -> None:
        self.rate_hz = rate_hz
        self._sos = k_weighting_sos(rate_hz)
        self._state = np.zeros((len(self._sos), 2, channels))
        self._weights = channel_weights(channels)
        blocks = (round(BLOCK_S * rate_hz), round(BLOCK_HOP_S * rate_hz))
        short_term = (round(SHORT_TERM_S * rate_hz), round(SHORT_TERM_HOP_S * rate_hz))
        self._sums = _WindowSums((blocks, short_term), channels)

    def add(self, samples: npt.ArrayLike) -> None:
        """Feed the next (frames, channels) samples."""
        audio = np.asarray(samples, dtype=np.float64)
        if audio.ndim == 1:
            audio = audio[:, None]
        if len(audio) == 0:
            return
        filtered, self._state = sosfilt(self._sos, audio, axis=0, zi=self._state)
        filtered *= filtered
        self._sums.add(filtered)

    def short_term_lufs(self) -> Array:
        """Short-term loudness of every complete window so far, ungated (−inf for silence)."""
        return _loudness(self._sums.powers(1), self._weights)

    def integrated_lufs(self) -> float:
        """Gated integrated loudness so far; ``SILENCE_LUFS`` when every block is gated."""
        return gated_loudness(self._sums.powers(0), self._weights)


def loudness_histogram(samples: npt.ArrayLike, rate_hz: int) -> Array:
    """Counts (``HISTOGRAM_BINS``, int64) of the 400 ms blocks by loudness; blocks at or under
    the absolute gate are left out, blocks above the top bin go into it."""
    audio = np.asarray(samples)
    channels = 1 if audio.ndim == 1 else audio.shape[1]
    block_lufs = _loudness(block_powers(audio, rate_hz), channel_weights(channels))
    counted = block_lufs[block_lufs > ABSOLUTE_GATE_LUFS]
    bins = np.floor((counted - HISTOGRAM_LOW_LUFS) / HISTOGRAM_STEP_LU).astype(np.int64)
    return np.bincount(np.clip(bins, 0, HISTOGRAM_BINS - 1), minlength=HISTOGRAM_BINS)


def histogram_loudness(counts: npt.ArrayLike) -> float:
    """Gated integrated loudness (BS.1770-4) of the blocks a histogram counts; several tracks'
    histograms summed give their loudness together. ``SILENCE_LUFS`` when it counts none."""
    counted = np.asarray(counts, dtype=np.float64)
    if counted.sum() <= 0:
        return SILENCE_LUFS
    mean_energy = float(counted @ _HISTOGRAM_ENERGIES) / float(counted.sum())
    relative_gate = _OFFSET_DB + 10.0 * math.log10(mean_energy) + RELATIVE_GATE_LU
    above = np.where(_HISTOGRAM_CENTRES_LUFS > relative_gate, counted, 0.0)
    return _OFFSET_DB + 10.0 * math.log10(float(above @ _HISTOGRAM_ENERGIES) / float(above.sum()))


def histogram_energy(counts: npt.ArrayLike) -> float:
    """The summed block energy a histogram counts: how much a track weighs in an album."""
    return float(np.asarray(counts, dtype=np.float64) @ _HISTOGRAM_ENERGIES)


def pack_histogram(counts: npt.ArrayLike) -> bytes:
    """The stored form: little-endian uint32 counts, zlib-compressed (mostly empty bins)."""
    return zlib.compress(np.asarray(counts, dtype="<u4").tobytes())


def unpack_histogram(data: bytes | None) -> Array | None:
    """Counts from ``pack_histogram``; None for anything else (then it is measured again)."""
    if not data:
        return None
    try:
        raw = zlib.decompress(data)
    except zlib.error:
        return None
    if len(raw) != HISTOGRAM_BINS * 4:
        return None
    return np.frombuffer(raw, dtype="<u4").astype(np.int64)
