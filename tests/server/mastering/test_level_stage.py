"""The level stage (issue 14, item 1): track mode brings every preset to its target loudness,
down as well as up, unless the true-peak ceiling holds it back — and then the plan says by
how much. Planned as the server plans (fingerprint values and level profile of the whole
track), on the generated varied set and every whole drascula-music track. Measured with
meters that share no code with the chain: pyloudnorm for loudness, scipy's polyphase
resampler (4×) for true peak.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile
from scipy.signal import resample_poly

from auralis_server.mastering import chain
from auralis_server.mastering.plan import Plan, make_plan
from auralis_server.streaming.plan_source import TrackInputs, inputs_from_samples
from shared.presets import PRESETS
from tests.conftest import require_audio_fixture
from tests.server.mastering import mastering_signals as signals

DRASCULA_DIR = Path("/usr/share/scummvm/drascula/audio")
VARIED_S = 12.0
ESTIMATE_TOLERANCE_LU = 0.5
TARGET_TOLERANCE_LU = 1.0
CEILING_DBTP = -1.0


def true_peak_dbtp(audio: np.ndarray) -> float:
    """4× oversampled peak by scipy's own polyphase filter (not the limiter's interpolator)."""
    return float(20 * np.log10(np.abs(resample_poly(audio, 4, 1, axis=0)).max()))


def loudness_lufs(audio: np.ndarray, rate_hz: int) -> float:
    return float(pyloudnorm.Meter(rate_hz).integrated_loudness(audio))


def sample_crest_db(audio: np.ndarray) -> float:
    return float(20 * np.log10(np.abs(audio).max() / np.sqrt(np.mean(audio**2))))


def _drascula_names() -> list[str]:
    return sorted(path.name for path in DRASCULA_DIR.glob("*.ogg")) or ["missing"]


@functools.lru_cache(maxsize=2)  # whole tracks: keep only the one in use
def _track(name: str) -> tuple[np.ndarray, int, TrackInputs]:
    if name.startswith("drascula:"):
        path = DRASCULA_DIR / name.split(":", 1)[1]
        require_audio_fixture(path.is_file(), f"{path} missing (apt-get install drascula-music)")
        audio, rate = soundfile.read(path, always_2d=True)
    else:
        audio, rate = signals.VARIED_BUILDERS[name](VARIED_S), signals.RATE_HZ
    return audio, rate, inputs_from_samples(audio, rate)


TRACKS = [*signals.VARIED_BUILDERS, *(f"drascula:{name}" for name in _drascula_names())]


def _render(name: str, preset: str) -> tuple[Plan, np.ndarray, int]:
    audio, rate, inputs = _track(name)
    plan = inputs.plan(preset, 1.0)
    return plan, chain.render(audio, plan, rate), rate


@pytest.mark.parametrize("name", TRACKS)
def test_every_preset_reaches_its_target_or_says_how_far_the_ceiling_held_it(name: str) -> None:
    for preset in PRESETS:
        plan, out, rate = _render(name, preset)
        measured = loudness_lufs(out, rate)
        target = PRESETS[preset].target_lufs
        context = (preset, plan.input_lufs, plan.input_crest_db, measured, plan.as_dict())
        assert abs(measured - plan.output_lufs_estimate) <= ESTIMATE_TOLERANCE_LU, context
        assert plan.ceiling_limited_db >= 0.0
        if abs(measured - target) > TARGET_TOLERANCE_LU:
            assert plan.ceiling_limited_db > 0.0, context
            shortfall = target - measured
            assert abs(plan.ceiling_limited_db - shortfall) <= ESTIMATE_TOLERANCE_LU, context
        assert true_peak_dbtp(out) <= CEILING_DBTP, context


def test_the_set_spans_the_loudness_and_crest_the_issue_asks_for() -> None:
    values = [_track(name)[2].values for name in signals.VARIED_BUILDERS]
    lufs = [v["lufs"] for v in values]
    crests = [v["crest_db"] for v in values]
    assert len(values) >= 8
    assert min(lufs) <= -29.5 and max(lufs) >= -7.5
    assert min(crests) <= 6.5 and max(crests) >= 19.0


@pytest.mark.parametrize("name", ["compressed_loud", "brickwalled"])
def test_a_compressed_loud_master_is_turned_down_never_up_nor_made_denser(name: str) -> None:
    audio, rate, inputs = _track(name)
    for preset in PRESETS:
        plan, out, _ = _render(name, preset)
        assert plan.region == "compressed_loud" and plan.compressor is None
        assert loudness_lufs(out, rate) <= loudness_lufs(audio, rate), preset
        assert sample_crest_db(out) >= sample_crest_db(audio) - 0.05, preset


def test_a_loud_master_under_a_quieter_target_is_turned_down() -> None:
    """The old stage only raised: a −13 LUFS track played at −13 under `gentle` (−16)."""
    audio, rate, _ = _track("moderate")
    plan, out, _ = _render("moderate", "gentle")
    # the EQ's correction may take some of the way (this synthetic mix is bass-heavy), so the
    # level stage's own gain can be either sign: what is heard is turned down
    assert plan.output_lufs_estimate < plan.input_lufs - 2.0
    assert loudness_lufs(out, rate) < loudness_lufs(audio, rate) - 2.0
    assert abs(loudness_lufs(out, rate) - PRESETS["gentle"].target_lufs) <= TARGET_TOLERANCE_LU


@pytest.mark.parametrize("name", ["quiet_sparse", "mid_mix", "compressed_loud"])
def test_intensity_zero_is_the_original_bit_for_bit(name: str) -> None:
    audio, rate, inputs = _track(name)
    for preset in PRESETS:
        plan = inputs.plan(preset, 0.0)
        assert plan.ceiling_limited_db == 0.0 and plan.output_lufs_estimate == plan.input_lufs
        out = chain.render(audio, plan, rate)
        assert out is audio
        pieces = list(chain.render_pieces(audio, plan, rate, rate * 5))
        np.testing.assert_array_equal(np.concatenate(pieces), audio)


def test_a_loudness_target_replaces_the_presets() -> None:
    audio, rate, inputs = _track("soft_mix")
    plan = make_plan(inputs.values, "adaptive", 1.0, target_lufs=-18.0, profile=inputs.profile)
    assert plan.target_lufs == -18.0
    measured = loudness_lufs(chain.render(audio, plan, rate), rate)
    assert abs(measured - -18.0) <= TARGET_TOLERANCE_LU


def test_rendering_in_pieces_equals_the_whole_render() -> None:
    audio, rate, inputs = _track("quiet_spiky")
    plan = inputs.plan("punchy", 1.0)
    whole = chain.render(audio, plan, rate)
    pieces = np.concatenate(list(chain.render_pieces(audio, plan, rate, int(rate * 2.3))))
    assert float(np.abs(pieces - whole).max()) < 10 ** (-90 / 20)
