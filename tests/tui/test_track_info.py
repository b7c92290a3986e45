"""The track info view's pictures, driven by Pilot against a real server: band bars in
proportion to the fingerprint, the plan's point on the LWRP map, input and output loudness
lines equal to the server's series, and the raw 25 numbers one key away.

Expectations come from the server's API (fingerprint, plan, loudness), never from the view.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
import soundfile

from auralis_server.fingerprint import store as fingerprint_store
from auralis_server.fingerprint.dsp.analysis import compute_fingerprint
from auralis_server.mastering import plan as planner
from auralis_tui.api import AuralisClient, ClientError, TrackUnavailable
from auralis_tui.app.app import AuralisApp
from auralis_tui.app.screens.track_info import RAW_KEY
from auralis_tui.app.widgets.band_bars import BAND_NAMES, BandBars, bar_cells, bar_text
from auralis_tui.app.widgets.loudness_chart import LoudnessChart
from auralis_tui.app.widgets.lwrp_plot import LwrpPlot
from shared import lwrp
from shared.dimensions import DIMENSION_NAMES
from shared.loudness import LoudnessSeries
from tests.conftest import LiveServer
from tests.server.conftest import Library
from tests.tui.test_app import run_app, until

PRESET, INTENSITY = "adaptive", 1.0  # the session's defaults


@pytest.fixture
def served(library: Library, live_server: Callable[..., LiveServer]) -> tuple[LiveServer, int]:
    """song.wav (25 s) with its fingerprint computed and stored, behind a real server."""
    track_id = library.track_id("song.wav")
    samples, rate_hz = soundfile.read(library.music / "song.wav", always_2d=True)
    fingerprint_store.save(track_id, compute_fingerprint(samples, rate_hz), "python")
    return live_server(library.app()), track_id


def get(server: LiveServer, path: str, **params: object) -> dict:  # type: ignore[type-arg]
    response = httpx.get(f"{server.url}{path}", params=params, timeout=60)  # type: ignore[arg-type]
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


async def open_info(app: AuralisApp, pilot: object, track_id: int) -> None:
    app.catalog.highlighted_id = track_id  # as the library's cursor leaves it
    await pilot.press("3")  # type: ignore[attr-defined]
    await until(lambda: bool(app.screen.query(BandBars)), "the info view")


def test_bars_show_the_seven_bands_in_proportion(served: tuple[LiveServer, int]) -> None:
    server, track_id = served
    values = get(server, f"/api/tracks/{track_id}/fingerprint")["values"]
    largest = max(values[name] for name in BAND_NAMES)

    async def script(app: AuralisApp, pilot: object) -> None:
        await open_info(app, pilot, track_id)
        bars = app.screen.query_one(BandBars)
        await until(lambda: bars.values is not None, "the band values")
        rows = bars.render().plain.splitlines()
        width = bars.bar_width()
        assert len(rows) == 7 and width >= 20
        for row, name in zip(rows, BAND_NAMES, strict=True):
            drawn = bar_cells(row[17 : 17 + width])
            assert drawn == pytest.approx(values[name] / largest * width, abs=1 / 16), name
            assert row.endswith(f"{100 * values[name]:5.1f}%")
        assert max(bar_cells(row[17 : 17 + width]) for row in rows) == width

    run_app(server.url, script)


def test_lwrp_point_is_the_plans_input_on_the_region_map(served: tuple[LiveServer, int]) -> None:
    server, track_id = served
    plan = get(server, f"/api/tracks/{track_id}/plan", preset=PRESET, intensity=INTENSITY)["plan"]

    async def script(app: AuralisApp, pilot: object) -> None:
        await open_info(app, pilot, track_id)
        plot = app.screen.query_one(LwrpPlot)
        await until(lambda: plot.position is not None, "the LWRP point")
        assert plot.position == (plan["input_lufs"], plan["input_crest_db"])
        await pilot.pause()  # type: ignore[attr-defined]
        drawn = plot.render().plain  # type: ignore[union-attr]
        for label in ("quiet", "dynamic-loud", "compressed-loud", "●"):
            assert label in drawn
        assert f"{plan['input_lufs']:.1f} LUFS" in str(plot.border_subtitle)

    run_app(server.url, script)


def test_the_maps_boundaries_are_the_planners() -> None:
    assert lwrp.LOUD_THRESHOLD_LUFS == planner.LOUD_THRESHOLD_LUFS
    assert lwrp.CREST_THRESHOLD_DB == planner.CREST_THRESHOLD_DB
    assert lwrp.BLEND_HALF_WIDTH == planner.BLEND_HALF_WIDTH


def test_chart_draws_the_servers_input_and_output_series(served: tuple[LiveServer, int]) -> None:
    server, track_id = served
    expected = LoudnessSeries.from_dict(
        get(server, f"/api/tracks/{track_id}/loudness", preset=PRESET, intensity=INTENSITY)
    )

    async def script(app: AuralisApp, pilot: object) -> None:
        await open_info(app, pilot, track_id)
        chart = app.screen.query_one(LoudnessChart)
        await until(lambda: len(chart.lines) == 2, "the two loudness lines")
        assert list(chart.lines) == ["input", "output"]
        drawn_in, drawn_out = chart.lines["input"], chart.lines["output"]
        assert drawn_in == (expected.times_s(), list(expected.input_lufs))
        assert drawn_out == (expected.times_s(), list(expected.output_lufs))
        assert drawn_in[1] != drawn_out[1]
        await pilot.pause()  # type: ignore[attr-defined]
        drawn = chart.render().plain  # type: ignore[union-attr]
        assert "input" in drawn and "output" in drawn  # the legend
        integrated = f"{expected.input_integrated_lufs:.1f} → {expected.output_integrated_lufs:.1f}"
        assert integrated in drawn

    run_app(server.url, script)


def test_raw_key_toggles_the_25_numbers(served: tuple[LiveServer, int]) -> None:
    server, track_id = served
    values = get(server, f"/api/tracks/{track_id}/fingerprint")["values"]

    async def script(app: AuralisApp, pilot: object) -> None:
        await open_info(app, pilot, track_id)
        raw = app.screen.query_one("#raw-values")
        chart = app.screen.query_one(LoudnessChart)
        await until(lambda: "phase_correlation" in str(raw.render()), "the raw values")
        assert not raw.display or not raw.region.height
        assert chart.region.height > 0
        await pilot.press(RAW_KEY)  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        lines = str(raw.render()).splitlines()
        assert [line.split()[0] for line in lines] == list(DIMENSION_NAMES)
        assert [float(line.split()[1]) for line in lines] == pytest.approx(
            [values[name] for name in DIMENSION_NAMES], abs=1e-4
        )
        assert raw.region.height == 25 and chart.region.height == 0
        await pilot.press(RAW_KEY)  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]
        assert raw.region.height == 0 and chart.region.height > 0

    run_app(server.url, script)


def test_bar_text_is_drawn_to_an_eighth_of_a_cell() -> None:
    for cells in (0.0, 0.125, 1.0, 3.5, 7.875, 40.0):
        assert bar_cells(bar_text(cells)) == cells
    assert bar_text(2.06) == "██" and bar_cells(bar_text(2.07)) == 2.125


def _series_body(**changes: object) -> dict:  # type: ignore[type-arg]
    body = {
        "track_id": 4,
        "preset": "warm",
        "intensity": 0.5,
        "render": "plan-v1-abc",
        "window_s": 3.0,
        "hop_s": 1.0,
        "input_integrated_lufs": -9.5,
        "output_integrated_lufs": -14.0,
        "input_lufs": [-9.0, None, -10.0],
        "output_lufs": [-13.5, None, -14.5],
    }
    return {**body, **changes}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, _series_body(), None),
        (404, {"error": "not_found", "detail": "no track with id 4"}, TrackUnavailable),
        (400, {"error": "bad_request", "detail": "unknown preset"}, ClientError),
        (200, _series_body(output_lufs=[-1.0]), ClientError),
        (200, {"tracks": []}, ClientError),
    ],
)
def test_client_loudness_call(status: int, body: dict, error: type[Exception] | None) -> None:  # type: ignore[type-arg]
    import asyncio

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=json.dumps(body).encode())

    async def main() -> None:
        async with AuralisClient("http://test", transport=httpx.MockTransport(handler)) as client:
            if error is None:
                series = await client.loudness(4, "warm", 0.5)
                assert series.input_lufs == (-9.0, None, -10.0)
                assert series.times_s() == [3.0, 4.0, 5.0]
            else:
                with pytest.raises(error):
                    await client.loudness(4, "warm", 0.5)

    asyncio.run(main())
    assert seen[0].url.path == "/api/tracks/4/loudness"
    assert dict(seen[0].url.params) == {"preset": "warm", "intensity": "0.5"}
