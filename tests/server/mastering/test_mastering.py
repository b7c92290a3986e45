"""Mastering (SPEC §5): chunk transparency, bypass, true-peak ceiling, LWRP behaviour, presets."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from scipy.signal import resample

from auralis_server.audio.source import probe, read_frames
from auralis_server.audio.track import TrackAudio
from auralis_server.fingerprint.dsp.analysis import compute_fingerprint, plan_inputs
from auralis_server.library.models import close_database, open_database
from auralis_server.mastering import chain
from auralis_server.mastering.plan import Plan, make_plan
from auralis_server.streaming.plan_source import PlanSource, inputs_from_samples
from auralis_server.streaming.renderer import MasteringRenderer, RenderSettings
from shared.geometry import ChunkGeometry
from shared.presets import PRESETS
from tests.conftest import require_audio_fixture
from tests.server.mastering import mastering_signals as signals

DRASCULA_TRACK = Path("/usr/share/scummvm/drascula/audio/track29.ogg")
RATE = signals.RATE_HZ


def independent_true_peak_dbtp(audio: np.ndarray) -> float:
    """4× band-limited (FFT) interpolation, blockwise with overlaps whose edges are dropped.

    Silence pads the ends; each block carries 4096 frames of context either side, and only
    its interior is read, so the FFT's wrap-around never reaches a measured point.
    """
    context, step = 4096, 1 << 17
    padded = np.pad(np.asarray(audio, dtype=np.float64), ((context, context), (0, 0)))
    peak = 0.0
    for start in range(context, len(padded) - context, step):
        stop = min(start + step, len(padded) - context)
        block = padded[start - context : stop + context]
        upsampled = resample(block, 4 * len(block), axis=0)[
            4 * context : 4 * (context + stop - start)
        ]
        peak = max(peak, float(np.abs(upsampled).max()))
    return 20 * np.log10(peak)


@pytest.fixture
def empty_library(tmp_path: Path) -> Iterator[Path]:
    """A database with no fingerprints, so plans come from the cold path."""
    open_database(None, tmp_path / "library.db")
    yield tmp_path
    close_database()


def _track(path: Path) -> tuple[TrackAudio, np.ndarray]:
    info = probe(path)
    geometry = ChunkGeometry.for_track(info.total_frames, info.sample_rate_hz)
    stat = path.stat()
    audio = TrackAudio(1, path, geometry, info.channels, (stat.st_size, stat.st_mtime_ns))
    return audio, read_frames(path, 0, info.total_frames).astype(np.float64)


def _source(name: str, directory: Path) -> Path:
    if name == "drascula":
        require_audio_fixture(
            DRASCULA_TRACK.is_file(), f"{DRASCULA_TRACK} missing (apt-get install drascula-music)"
        )
        return DRASCULA_TRACK
    audio = signals.mix(35.0) if name == "drum_mix" else signals.loud_and_limited(35.0)
    path = directory / f"{name}.wav"
    soundfile.write(path, audio, RATE, subtype="FLOAT")
    return path


@pytest.mark.parametrize("source", ["drum_mix", "loud_and_limited", "drascula"])
def test_every_chunk_rendered_alone_equals_the_whole_track_render(
    empty_library: Path, source: str
) -> None:
    audio, decoded = _track(_source(source, empty_library))
    inputs = inputs_from_samples(decoded, audio.geometry.sample_rate_hz)
    for preset, intensity in itertools.product(PRESETS, (0.5, 1.0)):
        plan = inputs.plan(preset, intensity)
        whole = chain.render(decoded, plan, audio.geometry.sample_rate_hz)
        for index in range(audio.geometry.chunk_count):
            fresh = MasteringRenderer(PlanSource())  # nothing carried over from other chunks
            part = fresh.render(audio, index, RenderSettings(preset, intensity))
            start, stop = audio.geometry.span(index)
            error = float(np.abs(part - whole[start:stop]).max())
            assert error < 10 ** (-90 / 20), (preset, intensity, index, 20 * np.log10(error))
            assert len(part) == stop - start  # tails included


def test_intensity_zero_is_the_decoded_input_bit_for_bit(empty_library: Path) -> None:
    audio, decoded = _track(_source("loud_and_limited", empty_library))
    for preset in PRESETS:
        plan = make_plan(plan_inputs(decoded, RATE), preset, 0.0)
        assert plan.bypass and chain.render(decoded, plan, RATE) is decoded
        for index in range(audio.geometry.chunk_count):
            start, stop = audio.geometry.span(index)
            part = MasteringRenderer(PlanSource()).render(audio, index, RenderSettings(preset, 0.0))
            np.testing.assert_array_equal(part, decoded[start:stop].astype(np.float32))


def _square(seconds: float, freq_hz: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    wave = np.sign(np.sin(2 * np.pi * freq_hz * t))
    return np.stack([wave, wave], axis=1)


TRUE_PEAK_INPUTS = {
    "square_1k_full_scale": lambda: _square(5.0, 1000.0),
    "square_60hz_full_scale": lambda: _square(5.0, 60.0),
    "clipped_mix": lambda: signals.loud_and_limited(10.0),
    "drum_mix": lambda: signals.mix(10.0),
    "quiet": lambda: signals.quiet(10.0),
}


@pytest.mark.parametrize("name", list(TRUE_PEAK_INPUTS))
def test_every_output_stays_under_minus_one_dbtp(name: str) -> None:
    audio = TRUE_PEAK_INPUTS[name]()
    inputs = plan_inputs(audio, RATE)
    for preset, intensity in itertools.product(PRESETS, (0.5, 1.0)):
        out = chain.render(audio, make_plan(inputs, preset, intensity), RATE)
        assert independent_true_peak_dbtp(out) <= -1.0, (preset, intensity)


def _measure(audio: np.ndarray) -> dict[str, float]:
    return compute_fingerprint(audio, RATE)


def test_compressed_loud_is_not_made_louder_nor_flatter() -> None:
    audio = signals.compressed_loud()
    before = _measure(audio)
    assert before["lufs"] == pytest.approx(-8.0, abs=0.5) and before["crest_db"] < 10
    plan = make_plan(before, "adaptive", 1.0)
    assert plan.region == "compressed_loud" and plan.compressor is None and plan.gain_db <= 0
    after = _measure(chain.render(audio, plan, RATE))
    assert after["lufs"] <= before["lufs"]
    assert after["crest_db"] >= before["crest_db"]


def test_dynamic_loud_keeps_its_crest() -> None:
    audio = signals.dynamic_loud()
    before = _measure(audio)
    assert before["lufs"] == pytest.approx(-10.0, abs=1.0) and before["crest_db"] >= 15
    plan = make_plan(before, "adaptive", 1.0)
    assert plan.region == "dynamic_loud" and plan.compressor is None and plan.expander is None
    after = _measure(chain.render(audio, plan, RATE))
    assert after["crest_db"] == pytest.approx(before["crest_db"], abs=0.5)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_quiet_tracks_reach_the_preset_target_unless_the_ceiling_binds(preset: str) -> None:
    audio = signals.quiet()
    before = _measure(audio)
    assert before["lufs"] == pytest.approx(-24.0, abs=0.5) and before["crest_db"] == pytest.approx(
        18, abs=1.5
    )
    plan = make_plan(before, preset, 1.0)
    assert plan.region == "quiet"
    out = chain.render(audio, plan, RATE)
    output_lufs = _measure(out)["lufs"]
    ceiling_binds = independent_true_peak_dbtp(out) > -1.5
    assert abs(output_lufs - PRESETS[preset].target_lufs) <= 1.0 or ceiling_binds, output_lufs


def _numbers(plan: Plan) -> np.ndarray:
    flat: list[float] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                if key not in ("hash", "region", "preset", "kind"):
                    walk(value[key])
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat.append(float(value))
        elif value is None:
            flat.append(0.0)

    walk(plan.as_dict())
    return np.array(flat)


@pytest.mark.parametrize("axis", ["lufs", "crest_db"])
def test_plan_numbers_are_continuous_across_the_thresholds(axis: str) -> None:
    base = {**plan_inputs(signals.mix(10.0), RATE), "lufs": -12.0, "crest_db": 13.0}
    sweep = (
        np.round(np.arange(-15.0, -9.0, 0.01), 2)
        if axis == "lufs"
        else np.round(np.arange(10.0, 16.0, 0.01), 2)
    )
    for preset in PRESETS:
        plans = [make_plan({**base, axis: float(value)}, preset, 1.0) for value in sweep]
        shapes = {len(_numbers(p)) for p in plans}
        if len(shapes) > 1:  # a stage switching on or off must do so at zero strength
            for p in plans:
                assert p.compressor is None or p.compressor.ratio < 1.01 or p.compressor.ratio > 1.0
        steps = [
            np.abs(_numbers(a) - _numbers(b)).max()
            for a, b in itertools.pairwise(plans)
            if len(_numbers(a)) == len(_numbers(b))
        ]
        assert max(steps) <= 0.1, (preset, axis, max(steps))


def test_presets_move_the_sound_the_way_their_names_say() -> None:
    audio = signals.balanced()
    inputs = plan_inputs(audio, RATE)
    out = {
        name: _measure(chain.render(audio, make_plan(inputs, name, 1.0), RATE)) for name in PRESETS
    }
    assert out["warm"]["bass_pct"] > out["adaptive"]["bass_pct"]
    bright_top = out["bright"]["presence_pct"] + out["bright"]["air_pct"]
    assert bright_top > out["adaptive"]["presence_pct"] + out["adaptive"]["air_pct"]
    # the dynamics themselves: the level stage may lean on the same 2 dB of limiting for both
    dynamics = {
        name: _measure(
            chain.render(
                audio, dataclasses.replace(make_plan(inputs, name, 1.0), limiter=None), RATE
            )
        )
        for name in ("gentle", "punchy")
    }
    assert dynamics["gentle"]["crest_db"] > dynamics["punchy"]["crest_db"]


def test_intensity_scales_parameters_not_a_wet_dry_mix() -> None:
    inputs = plan_inputs(signals.quiet(10.0), RATE)
    half, full = make_plan(inputs, "warm", 0.5), make_plan(inputs, "warm", 1.0)
    for a, b in zip(half.eq, full.eq, strict=True):
        assert a.gain_db == pytest.approx(b.gain_db / 2, abs=0.011)
    assert half.compressor is not None and full.compressor is not None
    assert half.compressor.ratio - 1 == pytest.approx((full.compressor.ratio - 1) / 2, abs=0.001)

    # the level stage aims half as far from the input's loudness as the full one does
    def goal(plan: Plan) -> float:
        return plan.output_lufs_estimate + plan.ceiling_limited_db - plan.input_lufs

    assert goal(half) == pytest.approx(goal(full) / 2, abs=0.03)


def test_plan_is_json_with_a_stable_hash() -> None:
    inputs = plan_inputs(signals.mix(10.0), RATE)
    first, again = make_plan(inputs, "bright", 0.7), make_plan(dict(inputs), "bright", 0.7)
    assert first.hash == again.hash and len(first.hash) == 16
    assert make_plan(inputs, "bright", 0.71).hash != first.hash
    import json

    assert json.loads(json.dumps(first.as_dict()))["limiter"]["ceiling_dbtp"] == -1.0
