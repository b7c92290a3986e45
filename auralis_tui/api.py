"""Async HTTP client for the Auralis API: JSON calls and chunk streams, with retries.

No Textual here: the TUI, the headless commands and the tests share it. The transport is
injectable (``httpx.MockTransport`` in unit tests; a real server where streaming matters).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from shared.loudness import LoudnessSeries
from shared.ranges import parse_content_range
from shared.wire import Frame, FrameReader, WireError

log = logging.getLogger("auralis.client")

DEFAULT_SERVER = "http://127.0.0.1:8765"
RETRY_DELAYS_S = (0.25, 0.5, 1.0, 2.0, 4.0)
# The TUI rides out a NAS reboot: about two minutes of retries, at most 5 s apart.
PATIENT_RETRY_DELAYS_S = RETRY_DELAYS_S + (5.0,) * 24
PAGE_TRACKS = 1000  # the server's most tracks per page
PAGE_IDS = 100_000  # the server's most ids per page (``fields=id``)


class ClientError(Exception):
    """A failure to show the user as one line."""


class ServerUnreachable(ClientError):
    pass


class TrackUnavailable(ClientError):
    """The server has no playable audio for a track now (deleted, changed, unreadable)."""


@dataclass(frozen=True)
class StreamRequest:
    track_id: int
    first_chunk: int = 0
    last_chunk: int | None = None  # None: to the end
    preset: str = "adaptive"
    intensity: float = 1.0
    sample_format: str = "f32"
    loudness: str = "auto"  # track | album | auto (shared/stream_params.py)


class AuralisClient:
    def __init__(
        self,
        server: str = DEFAULT_SERVER,
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.server = server.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.server,
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(30.0, connect=5.0),
        )
        self._retry_delays_s = retry_delays_s
        self.reconnecting = False  # a stream was interrupted and is being retried
        # The event stream, always open while the TUI runs, broke: the server is gone, known
        # at once rather than when the audio buffer runs low and a chunk fetch fails.
        self.server_lost = False
        self.retry_attempt = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AuralisClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def get_json(self, path: str, **params: Any) -> Any:
        try:
            response = await self._http.get(
                path, params={k: v for k, v in params.items() if v is not None}
            )
        except httpx.RequestError as exc:
            raise ServerUnreachable(f"cannot reach {self.server}: {_reason(exc)}") from None
        _raise_for_status(response)
        return response.json()

    async def send_json(self, method: str, path: str, body: Any = None) -> Any:
        """A write (PUT, POST, DELETE) with a JSON body; the answer's JSON, or None (204)."""
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.RequestError as exc:
            raise ServerUnreachable(f"cannot reach {self.server}: {_reason(exc)}") from None
        _raise_for_status(response)
        return response.json() if response.content else None

    # -- play state, plays and playlists (kept on the server: every client shares them) ---

    async def playstate(self) -> dict[str, Any]:
        return dict(await self.get_json("/api/playstate"))

    async def put_playstate(self, state: dict[str, Any]) -> dict[str, Any]:
        return dict(await self.send_json("PUT", "/api/playstate", state))

    async def record_play(self, track_id: int) -> dict[str, Any]:
        return dict(await self.send_json("POST", f"/api/tracks/{track_id}/plays"))

    async def plays(self, order: str = "recent", limit: int = 50) -> list[dict[str, Any]]:
        return list((await self.get_json("/api/plays", order=order, limit=limit))["tracks"])

    async def playlists(self) -> list[dict[str, Any]]:
        return list((await self.get_json("/api/playlists"))["playlists"])

    async def playlist(self, playlist_id: int) -> dict[str, Any]:
        return dict(await self.get_json(f"/api/playlists/{playlist_id}"))

    async def create_playlist(self, name: str, track_ids: list[int]) -> dict[str, Any]:
        body = {"name": name, "track_ids": track_ids}
        return dict(await self.send_json("POST", "/api/playlists", body))

    async def update_playlist(
        self, playlist_id: int, *, name: str | None = None, track_ids: list[int] | None = None
    ) -> dict[str, Any]:
        body = {
            key: value
            for key, value in (("name", name), ("track_ids", track_ids))
            if value is not None
        }
        return dict(await self.send_json("PUT", f"/api/playlists/{playlist_id}", body))

    async def delete_playlist(self, playlist_id: int) -> None:
        await self.send_json("DELETE", f"/api/playlists/{playlist_id}")

    async def track_pages(
        self, query: str | None = None, *, page_size: int = PAGE_TRACKS, **filters: str | None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every matching track, a page at a time, following the server's ``next`` cursor:
        a scan adding or removing tracks meanwhile neither repeats nor skips a row."""
        after: str | None = None
        while True:
            body = await self.get_json(
                "/api/tracks", q=query, limit=page_size, after=after, **filters
            )
            yield list(body["tracks"])
            after = body.get("next")
            if not after:
                return

    async def tracks(self, query: str | None = None, **filters: str | None) -> list[dict[str, Any]]:
        """Every matching track (all pages), in the server's default order."""
        return [track async for page in self.track_pages(query, **filters) for track in page]

    async def track_ids(
        self, query: str | None = None, *, page_size: int = PAGE_IDS, **filters: str | None
    ) -> list[int]:
        """The ids of every matching track, in order: a whole library in one or two calls."""
        ids: list[int] = []
        after: str | None = None
        while True:
            body = await self.get_json(
                "/api/tracks", q=query, fields="id", limit=page_size, after=after, **filters
            )
            ids += body["ids"]
            after = body.get("next")
            if not after:
                return ids

    async def tracks_by_id(self, track_ids: list[int]) -> list[dict[str, Any]]:
        """These tracks, whole (any order; a track the library no longer has is left out)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(track_ids), PAGE_TRACKS):
            chunk = track_ids[start : start + PAGE_TRACKS]
            body = await self.get_json(
                "/api/tracks", ids=",".join(map(str, chunk)), limit=PAGE_TRACKS
            )
            found += body["tracks"]
        return found

    async def track(self, track_id: int, *, wait_for_server: bool = False) -> dict[str, Any]:
        """A track's metadata. ``wait_for_server``: an unreachable server is waited for as a
        stream's is (the player asks before every track, so `n` while the server restarts
        shows reconnecting and goes on, rather than ending the run)."""
        attempt = 0
        while True:
            try:
                body = await self.get_json(f"/api/tracks/{track_id}")
            except ServerUnreachable as exc:
                if not wait_for_server:
                    raise
                await self._pause_before_retry(attempt, f"track {track_id}", str(exc))
                attempt += 1
                continue
            if attempt:
                self.reconnecting, self.retry_attempt = False, 0
            return dict(body)

    async def _pause_before_retry(self, attempt: int, what: str, reason: str) -> None:
        """Wait out retry ``attempt`` (from 0) of ``what``, shown as reconnecting; once the
        delays are used up, ServerUnreachable."""
        if attempt >= len(self._retry_delays_s):
            self.reconnecting = False
            raise ServerUnreachable(f"{what} failed: {reason}")
        delay = self._retry_delays_s[attempt]
        self.reconnecting, self.retry_attempt = True, attempt + 1
        log.warning("%s interrupted (%s); retrying in %.2f s", what, reason, delay)
        await asyncio.sleep(delay)

    async def plan(self, track_id: int, preset: str, intensity: float) -> dict[str, Any]:
        body = await self.get_json(
            f"/api/tracks/{track_id}/plan", preset=preset, intensity=intensity
        )
        return dict(body["plan"])

    async def prepare(self, request: StreamRequest) -> None:
        """Have the server render the stream's first chunk now (HEAD), so playing it starts fast."""
        try:
            response = await self._http.head(
                f"/api/tracks/{request.track_id}/stream",
                params=_stream_params(request),
                headers={"Range": f"chunks={request.first_chunk}-{request.first_chunk}"},
            )
        except httpx.RequestError as exc:
            raise ServerUnreachable(f"cannot reach {self.server}: {_reason(exc)}") from None
        if not response.is_success:
            raise ClientError(
                f"server said {response.status_code} preparing track {request.track_id}"
            )

    async def events(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Server-sent events as (kind, data) until the connection ends (the caller reconnects).

        httpx-sse parses the stream as the WHATWG spec says (multi-line ``data:`` joined with
        newlines); an event whose data is not a JSON object is logged and skipped.
        """
        timeout = httpx.Timeout(None, connect=5.0)  # keep-alives come every 15 s
        try:
            async with aconnect_sse(self._http, "GET", "/api/events", timeout=timeout) as source:
                if not source.response.is_success:
                    await source.response.aread()
                    _raise_for_status(source.response)
                self.server_lost = False
                async for event in source.aiter_sse():
                    if not event.data:  # a retry: or id: alone dispatches nothing (WHATWG)
                        continue
                    data = _json_object(event.data)
                    if data is None:
                        log.warning("skipped a %r event with malformed data", event.event)
                        continue
                    yield event.event, data
            self.server_lost = True  # the stream ended: the server stopped or went away
        except httpx.RequestError as exc:
            self.server_lost = True
            raise ServerUnreachable(f"event stream from {self.server}: {_reason(exc)}") from None

    async def frames(self, request: StreamRequest) -> AsyncIterator[Frame]:
        """The requested chunks in order; a dropped connection resumes at the next chunk."""
        next_chunk = request.first_chunk
        last = request.last_chunk
        attempt = 0
        while last is None or next_chunk <= last:
            params = _stream_params(request)
            spec = f"chunks={next_chunk}-{'' if last is None else last}"
            try:
                async with self._http.stream(
                    "GET",
                    f"/api/tracks/{request.track_id}/stream",
                    params=params,
                    headers={"Range": spec},
                ) as response:
                    if response.status_code != 206:
                        await response.aread()
                        _raise_for_status(response)
                    last = parse_content_range(response.headers["content-range"]).last
                    reader = FrameReader()
                    async for data in response.aiter_bytes():
                        for frame in reader.feed(data):
                            if frame.header.chunk_index != next_chunk:
                                raise WireError(
                                    f"expected chunk {next_chunk}, got {frame.header.chunk_index}"
                                )
                            next_chunk += 1
                            attempt = 0
                            self.reconnecting, self.retry_attempt = False, 0
                            yield frame
                if next_chunk <= last:
                    raise WireError(f"stream ended at chunk {next_chunk} of {last}")
            except (httpx.RequestError, WireError) as exc:
                what = f"stream of track {request.track_id}"
                await self._pause_before_retry(attempt, what, f"{_reason(exc)}")
                attempt += 1

    async def loudness(self, track_id: int, preset: str, intensity: float) -> LoudnessSeries:
        """Short-term loudness before and after mastering. The server renders the whole track
        the first time it is asked for these settings, so this waits longer than other calls."""
        try:
            response = await self._http.get(
                f"/api/tracks/{track_id}/loudness",
                params={"preset": preset, "intensity": intensity},
                timeout=httpx.Timeout(120.0, connect=5.0),
            )
        except httpx.RequestError as exc:
            raise ServerUnreachable(f"cannot reach {self.server}: {_reason(exc)}") from None
        _raise_for_status(response)
        try:
            return LoudnessSeries.from_dict(response.json())
        except ValueError as exc:
            raise ClientError(f"unexpected loudness answer from the server: {exc}") from None


def _stream_params(request: StreamRequest) -> dict[str, str | float]:
    return {
        "preset": request.preset,
        "intensity": request.intensity,
        "format": request.sample_format,
        "loudness": request.loudness,
    }


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _raise_for_status(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        detail = response.json().get("detail") or response.reason_phrase
    except ValueError:
        detail = response.text.strip()[:200] or response.reason_phrase
    kind = TrackUnavailable if response.status_code in (404, 410, 422) else ClientError
    raise kind(f"server said {response.status_code}: {detail}")
