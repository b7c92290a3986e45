"""The mastering chain: EQ → dynamics → static gain → true-peak limiter.

Built for chunk transparency (SPEC §5). Dynamics run at a control rate of one value per
``BLOCK_FRAMES`` frames on a grid anchored at the track's first frame, and every control
stage has finite memory: level detectors are centred moving averages of block power, gain
smoothing is a sliding minimum then a moving average, the look-ahead limiter a sliding
minimum then a moving average of the required gain, and block gains reach samples by linear
interpolation between block centres. Only the EQ is recursive, and its state decays below
−100 dB within ``eq_settle_frames``. So a span rendered from a grid-aligned buffer with
``context_frames`` of real audio each side equals that span of a whole-track render.
Windows reaching past the track's edges see silence (levels) or the edge value (gains),
the same in both renders.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy.ndimage import minimum_filter1d
from scipy.signal import butter, sosfilt

from auralis_server.audio.arrays import Array
from auralis_server.audio.parallel import per_channel
from auralis_server.mastering.blocks import (
    BLOCK_FRAMES,
    block_power,
    moving_mean,
    power_db,
    window_blocks,
)
from auralis_server.mastering.eq import biquad_sos
from auralis_server.mastering.level import soft_knee_reduction_db
from auralis_server.mastering.plan import Compressor, Expander, Limiter, Plan
from auralis_server.mastering.true_peak import true_peak_envelope

BAND_LIMIT_FRACTION = 0.88
BAND_LIMIT_ORDER = 2
# The limiter aims this far under the plan's ceiling so that a true-peak meter with another
# interpolation filter than ours (and the gain's own modulation) still reads under it.
LIMITER_MARGIN_DB = 0.5
_SETTLE_LEVEL = 1e-5  # −100 dB
_MAX_SETTLE_S = 2.0
_DB_TO_NEPER = math.log(10.0) / 20.0  # 10 ** (dB / 20) == exp(dB · this), and exp is faster


def eq_sections(plan: Plan, rate_hz: int) -> Array | None:
    """The EQ biquads, then (when a limiter follows) the band limit that keeps its meter honest."""
    active = [
        biquad_sos(b.kind, b.freq_hz, b.gain_db, b.q, rate_hz) for b in plan.eq if b.gain_db != 0.0
    ]
    if plan.limiter is not None:
        active.extend(band_limit_sos(rate_hz))
    return np.array(active) if active else None


def band_limit_sos(rate_hz: int) -> Array:
    """Low-pass at 0.88 × Nyquist (19.4 kHz at 44.1 kHz).

    Energy in the last few kHz below Nyquist makes intersample peaks that a short
    interpolation filter under-reads and an ideal (band-limited) reconstruction does not;
    with it gone, the limiter's 4× meter agrees with an ideal one to within its margin.
    """
    return butter(BAND_LIMIT_ORDER, BAND_LIMIT_FRACTION * rate_hz / 2, fs=rate_hz, output="sos")


def eq_settle_frames(sections: Array | None, rate_hz: int) -> int:
    """Frames after which a wrong initial EQ state has decayed under −100 dB."""
    if sections is None:
        return 0
    radius = max(float(np.abs(np.roots([1.0, s[4], s[5]])).max()) for s in sections)
    if radius <= 0.0:
        return 1
    frames = (
        math.ceil(math.log(_SETTLE_LEVEL) / math.log(radius)) * 2
    )  # ×2: a double pole decays slower
    return min(frames, int(_MAX_SETTLE_S * rate_hz))


def _limiter_windows(settings: Limiter, rate_hz: int) -> tuple[int, int]:
    """(sliding-minimum, moving-mean) widths in blocks; the minimum reaches one block further."""
    mean = window_blocks(settings.lookahead_ms, rate_hz)
    return mean + 2, mean


def _reach_blocks(plan: Plan, rate_hz: int) -> int:
    """How many blocks either side any output sample's gain depends on."""
    reach = 1  # linear interpolation between block centres
    if plan.compressor is not None:
        c = plan.compressor
        reach += sum(
            window_blocks(ms, rate_hz) // 2 for ms in (c.window_ms, c.hold_ms, c.smoothing_ms)
        )
    if plan.expander is not None:
        e = plan.expander
        reach += (
            window_blocks(e.slow_ms, rate_hz) // 2 + window_blocks(e.smoothing_ms, rate_hz) // 2
        )
    if plan.limiter is not None:
        minimum, mean = _limiter_windows(plan.limiter, rate_hz)
        reach += minimum // 2 + mean // 2 + 2  # + the interpolator's reach, in blocks
    return reach


def context_frames(plan: Plan, rate_hz: int) -> tuple[int, int]:
    """(before, after) frames of real audio a span needs; ``before`` is a whole number of blocks."""
    if plan.bypass:
        return 0, 0
    reach = (_reach_blocks(plan, rate_hz) + 2) * BLOCK_FRAMES
    before = reach + eq_settle_frames(eq_sections(plan, rate_hz), rate_hz)
    return -(-before // BLOCK_FRAMES) * BLOCK_FRAMES, reach


def compressor_gain_db(power: Array, settings: Compressor, rate_hz: int) -> Array:
    """Per-block downward compression with a soft knee, linked across channels."""
    level_db = power_db(moving_mean(power, window_blocks(settings.window_ms, rate_hz), "zero"))
    reduction = soft_knee_reduction_db(
        level_db - settings.threshold_dbfs, settings.ratio, settings.knee_db
    )
    held = minimum_filter1d(-reduction, window_blocks(settings.hold_ms, rate_hz), mode="nearest")
    return moving_mean(held, window_blocks(settings.smoothing_ms, rate_hz), "edge")


def expander_gain_db(power: Array, settings: Expander, rate_hz: int) -> Array:
    """Per-block transient expansion: gain follows how far the fast level stands over the slow."""
    fast = power_db(moving_mean(power, window_blocks(settings.fast_ms, rate_hz), "zero"))
    slow = power_db(moving_mean(power, window_blocks(settings.slow_ms, rate_hz), "zero"))
    gain = np.clip(settings.amount * (fast - slow), -settings.max_db, settings.max_db)
    return moving_mean(gain, window_blocks(settings.smoothing_ms, rate_hz), "edge")


def limiter_gain(audio: Array, settings: Limiter, rate_hz: int) -> Array:
    """Per-block gain ≤ 1 that keeps the 4× oversampled peak under the ceiling.

    Each block's required gain is min(1, ceiling / its largest true peak). A sliding
    minimum over M blocks, then a moving mean over M − 2: every averaged value — and so every
    interpolation between two neighbouring blocks — is a minimum over a window holding the
    frame's own block, so no frame gets more gain than it may have.
    """
    ceiling = 10.0 ** ((settings.ceiling_dbtp - LIMITER_MARGIN_DB) / 20.0)
    peaks = true_peak_envelope(audio, floor=ceiling)
    block_peaks = np.maximum.reduceat(peaks, np.arange(0, len(peaks), BLOCK_FRAMES))
    per_block = np.minimum(1.0, ceiling / np.maximum(block_peaks, 1e-12))
    minimum, mean = _limiter_windows(settings, rate_hz)
    return moving_mean(minimum_filter1d(per_block, minimum, mode="nearest"), mean, "edge")


def _per_frame(block_values: Array, frames: int) -> Array:
    """Linear interpolation between block centres (held flat before the first, after the last).

    Frame n of block b sits (n − centre_b) / BLOCK_FRAMES of the way to block b + 1: the same
    fractions repeat in every block, so this is two slices and a broadcast, not a search.
    """
    padded = np.concatenate([block_values[:1], block_values, block_values[-1:]])
    half = BLOCK_FRAMES // 2
    # frames [b·B − B/2, b·B + B/2) lie between centres b − 1 and b (in padded terms b and b + 1)
    fraction = (np.arange(BLOCK_FRAMES) + 0.5) / BLOCK_FRAMES
    left, right = padded[:-1], padded[1:]
    grid = left[:, None] + (right - left)[:, None] * fraction[None, :]
    return grid.reshape(-1)[half : half + frames]


def render(audio: Array, plan: Plan, rate_hz: int) -> Array:
    """Apply ``plan`` to (frames, channels) samples starting on a block boundary of the track.

    Returns float64 (the input itself when the plan is a bypass).
    """
    if plan.bypass:
        return audio
    out = np.asarray(audio, dtype=np.float64)
    sections = eq_sections(plan, rate_hz)
    if sections is not None:
        out = per_channel(lambda channel: sosfilt(sections, channel), out)
    else:
        out = out.copy()  # the gains below work in place
    if plan.compressor is not None or plan.expander is not None:
        power = block_power(out)
        gain_db = np.full(len(power), plan.gain_db)
        if plan.compressor is not None:
            gain_db += compressor_gain_db(power, plan.compressor, rate_hz)
        if plan.expander is not None:
            gain_db += expander_gain_db(power, plan.expander, rate_hz)
        out *= np.exp(_per_frame(gain_db, len(out)) * _DB_TO_NEPER)[:, None]
    elif plan.gain_db != 0.0:
        out = out * 10.0 ** (plan.gain_db / 20.0)
    if plan.limiter is not None:
        out *= _per_frame(limiter_gain(out, plan.limiter, rate_hz), len(out))[:, None]
    return out


def context_span(plan: Plan, rate_hz: int, start: int, stop: int, total: int) -> tuple[int, int]:
    """The [first, last) frames to render for output frames [start, stop) of a ``total``-frame
    track: ``context_frames`` each side, starting on a block boundary."""
    before, after = context_frames(plan, rate_hz)
    first = max(0, start - before) // BLOCK_FRAMES * BLOCK_FRAMES
    return first, min(total, stop + after)


def render_pieces(audio: Array, plan: Plan, rate_hz: int, piece_frames: int) -> Iterator[Array]:
    """``render(audio)`` in consecutive pieces of ``piece_frames`` (the last may be shorter),
    each rendered from its own context, so a caller can write and report progress as it goes."""
    for start in range(0, len(audio), piece_frames):
        stop = min(len(audio), start + piece_frames)
        first, last = context_span(plan, rate_hz, start, stop, len(audio))
        yield render(audio[first:last], plan, rate_hz)[start - first : stop - first]
