"""``preset=auto`` (issue 14, item 3): the rule table of ``mastering/auto_preset.py`` picks a
preset from the plan's inputs, the plan carries the choice and its reason, and every way in
(HTTP, the ``master`` command) accepts it.

Constructed fingerprints sit far from every threshold (a band group 10 dB or more outside the
reference span), so the table alone says what must be picked; constructed signals check the
same through the fingerprint's own analysis.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal
from starlette.testclient import TestClient

from auralis_server.fingerprint.dsp.analysis import plan_inputs
from auralis_server.mastering.auto_preset import GROUPS, choose_preset
from auralis_server.mastering.eq import PUBLISHED_BANDS, REFERENCE_BANDS
from auralis_server.mastering.plan import Plan, make_plan, with_hash
from shared.presets import AUTO_PRESET, PRESET_NAMES, PRESETS
from shared.stream_params import parse_preset
from tests.server.conftest import Library
from tests.server.mastering import mastering_signals as signals

QUIET = {"lufs": -18.0, "crest_db": 14.0}
LOW, HIGH = GROUPS[0], GROUPS[-1]


def _balance(scale_db: dict[tuple[str, ...], float], base: dict[str, float]) -> dict[str, float]:
    """``base`` with each group's bands scaled by its dB, renormalised to sum 1."""
    scaled = dict(base)
    for group, gain_db in scale_db.items():
        for name in group:
            scaled[name] *= 10 ** (gain_db / 10)
    total = sum(scaled.values())
    return {name: value / total for name, value in scaled.items()}


# name: (fingerprint, the preset the table says, a word its reason must hold)
CASES = {
    "compressed-loud": ({"lufs": -8.0, "crest_db": 8.0, **REFERENCE_BANDS}, "gentle", "compressed"),
    "dark": ({**QUIET, **_balance({HIGH: -12.0}, REFERENCE_BANDS)}, "bright", "dark"),
    "thin": ({**QUIET, **_balance({LOW: -14.0}, REFERENCE_BANDS)}, "warm", "thin"),
    "harsh": ({**QUIET, **_balance({HIGH: 12.0}, PUBLISHED_BANDS)}, "warm", "harsh"),
    "dense low end, strong transients": (
        {"lufs": -18.0, "crest_db": 19.0, **_balance({LOW: 12.0}, PUBLISHED_BANDS)},
        "punchy",
        "transients",
    ),
    "dense low end, soft transients": (
        {"lufs": -18.0, "crest_db": 12.0, **_balance({LOW: 12.0}, PUBLISHED_BANDS)},
        "adaptive",
        "balanced",
    ),
    "measured reference": ({**QUIET, **REFERENCE_BANDS}, "adaptive", "balanced"),
    "published tilt": ({**QUIET, **PUBLISHED_BANDS}, "adaptive", "balanced"),
    "silence": ({**QUIET, **dict.fromkeys(REFERENCE_BANDS, 0.0)}, "adaptive", "silence"),
}


@pytest.mark.parametrize("case", CASES)
def test_constructed_fingerprints_pick_what_the_table_says(case: str) -> None:
    values, preset, word = CASES[case]
    plan = make_plan(values, AUTO_PRESET, 1.0)
    assert (plan.preset, plan.chosen_preset) == (AUTO_PRESET, preset)
    assert word in plan.reason and "\n" not in plan.reason


def _lowpassed(audio: np.ndarray, corner_hz: float) -> np.ndarray:
    sos = signal.butter(8, corner_hz, "lowpass", fs=signals.RATE_HZ, output="sos")
    return signal.sosfiltfilt(sos, audio, axis=0)


def _highpassed(audio: np.ndarray, corner_hz: float) -> np.ndarray:
    sos = signal.butter(8, corner_hz, "highpass", fs=signals.RATE_HZ, output="sos")
    return signal.sosfiltfilt(sos, audio, axis=0)


# name: (signal, the preset the table says)
SIGNALS = {
    "a loudness-war master": (lambda: signals.compressed_loud(8.0), "gentle"),
    "a mix with nothing above 1.5 kHz": (
        lambda: signals.at_lufs(_lowpassed(signals.mix(8.0), 1500.0), -18.0),
        "bright",
    ),
    "a mix with nothing below 400 Hz": (
        lambda: signals.at_lufs(_highpassed(signals.mix(8.0), 400.0), -18.0),
        "warm",
    ),
}


@pytest.mark.parametrize("name", SIGNALS)
def test_constructed_signals_pick_what_the_table_says(name: str) -> None:
    build, preset = SIGNALS[name]
    plan = make_plan(plan_inputs(build(), signals.RATE_HZ), AUTO_PRESET, 1.0)
    assert plan.chosen_preset == preset, plan.reason


_fraction = st.floats(0.0, 1.0, allow_nan=False)
_fingerprints = st.fixed_dictionaries(
    {
        "lufs": st.floats(-70.0, 0.0),
        "crest_db": st.floats(0.0, 40.0),
        **dict.fromkeys(REFERENCE_BANDS, _fraction),
    }
)
_NUMBERS_ONLY = ("preset", "chosen_preset", "reason", "hash")


def _numbers(plan: Plan) -> dict[str, object]:
    return {k: v for k, v in plan.as_dict().items() if k not in _NUMBERS_ONLY}


@settings(max_examples=60, deadline=None)
@given(_fingerprints, st.sampled_from([0.0, 0.5, 1.0]))
def test_the_same_fingerprint_always_gives_the_same_choice(
    values: dict[str, float], intensity: float
) -> None:
    total = sum(values[name] for name in REFERENCE_BANDS)
    if total > 0:  # the fingerprint's bands are fractions summing to 1 (or all 0: silence)
        values = {**values, **{name: values[name] / total for name in REFERENCE_BANDS}}
    first = make_plan(values, AUTO_PRESET, intensity)
    again = make_plan(dict(reversed(values.items())), AUTO_PRESET, intensity)
    assert (first.chosen_preset, first.reason, first.hash) == (
        again.chosen_preset,
        again.reason,
        again.hash,
    )
    assert first.chosen_preset in PRESETS and first.reason.startswith("auto: ")
    # auto is exactly the chosen preset's plan, under another name
    assert _numbers(first) == _numbers(make_plan(values, first.chosen_preset, intensity))


@pytest.mark.parametrize("preset", list(PRESETS))
def test_a_named_preset_is_chosen_because_it_was_asked_for(preset: str) -> None:
    values, *_ = CASES["dark"]
    plan = make_plan(values, preset, 1.0)
    assert (plan.chosen_preset, plan.reason) == (preset, "asked for")


def test_auto_is_a_preset_name_everywhere_and_the_choice_is_in_the_hash() -> None:
    assert AUTO_PRESET in PRESET_NAMES and AUTO_PRESET not in PRESETS
    assert parse_preset("auto") == AUTO_PRESET
    # the chunk cache and the loudness series are keyed by the plan hash
    plan = make_plan(CASES["dark"][0], AUTO_PRESET, 1.0)
    other = with_hash(dataclasses.replace(plan, chosen_preset="warm"))
    assert other.hash != plan.hash


def test_the_plan_route_says_what_auto_chose_and_why(client: TestClient, library: Library) -> None:
    track_id = library.track_id("song.wav")
    body = client.get(f"/api/tracks/{track_id}/plan?preset=auto&intensity=0.8").json()
    inputs = plan_inputs(library.samples["song.wav"], 44100)
    expected = choose_preset(
        round(inputs["lufs"], 2),
        round(inputs["crest_db"], 2),
        {name: round(inputs[name], 4) for name in REFERENCE_BANDS},
    )
    plan = body["plan"]
    assert plan["preset"] == AUTO_PRESET
    assert (plan["chosen_preset"], plan["reason"]) == (expected.preset, expected.reason)
    named = client.get(f"/api/tracks/{track_id}/plan?preset={expected.preset}&intensity=0.8")
    assert named.json()["plan"]["reason"] == "asked for"
    assert {k: v for k, v in named.json()["plan"].items() if k not in _NUMBERS_ONLY} == {
        k: v for k, v in plan.items() if k not in _NUMBERS_ONLY
    }
    assert math.isfinite(plan["output_lufs_estimate"])
