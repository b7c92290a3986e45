"""Framing and the Hann power spectrogram every spectral dimension starts from."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import get_window

from auralis_server.audio.arrays import Array, Array32

ANALYSIS_RATE_HZ = 22050
N_FFT = 2048
HOP = 512
_BLOCK_FRAMES = 2048  # frames transformed per rfft call, to bound memory on long tracks


def frames_of(signal: npt.ArrayLike, frame_length: int, hop: int) -> npt.NDArray[np.floating]:
    """(frames, frame_length) read-only view; a signal shorter than one frame is zero-padded."""
    mono = np.asarray(signal)
    if len(mono) < frame_length:
        mono = np.pad(mono, (0, frame_length - len(mono)))
    return sliding_window_view(mono, frame_length)[::hop]


def power_spectrogram(signal: npt.ArrayLike, n_fft: int = N_FFT, hop: int = HOP) -> Array32:
    """(bins, frames) |STFT|² with a periodic Hann window, float32."""
    frames = frames_of(np.asarray(signal, dtype=np.float32), n_fft, hop)
    window = get_window("hann", n_fft).astype(np.float32)
    power = np.empty((n_fft // 2 + 1, len(frames)), dtype=np.float32)
    for start in range(0, len(frames), _BLOCK_FRAMES):
        block = np.fft.rfft(frames[start : start + _BLOCK_FRAMES] * window, axis=1)
        power[:, start : start + len(block)] = (block.real**2 + block.imag**2).T
    return power


def bin_frequencies_hz(n_fft: int = N_FFT, rate_hz: int = ANALYSIS_RATE_HZ) -> Array:
    return np.fft.rfftfreq(n_fft, 1.0 / rate_hz)
