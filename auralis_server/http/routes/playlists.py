"""Saved playlists and their M3U8 export."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auralis_server.http.params import json_object, playlist_id_from
from auralis_server.http.state import state_of
from auralis_server.library import m3u8, playlists
from auralis_server.library.models import Playlist


def _shown(request: Request, playlist: Playlist, status_code: int = 200) -> JSONResponse:
    chunk_seconds = state_of(request).settings.chunk_seconds
    return JSONResponse(playlists.playlist_json(playlist, chunk_seconds), status_code)


async def list_playlists(request: Request) -> JSONResponse:
    return JSONResponse({"playlists": await run_in_threadpool(playlists.playlist_summaries)})


async def create_playlist(request: Request) -> JSONResponse:
    body = await json_object(request, ("name", "track_ids"))

    def create() -> JSONResponse:
        return _shown(request, playlists.create_playlist(body["name"], body["track_ids"]), 201)

    return await run_in_threadpool(create)


async def get_playlist(request: Request) -> JSONResponse:
    playlist_id = playlist_id_from(request.path_params)
    return await run_in_threadpool(lambda: _shown(request, playlists.get_playlist(playlist_id)))


async def update_playlist(request: Request) -> JSONResponse:
    playlist_id = playlist_id_from(request.path_params)
    body = await json_object(request, (), optional=("name", "track_ids"))
    return await run_in_threadpool(
        lambda: _shown(request, playlists.update_playlist(playlist_id, body))
    )


async def delete_playlist(request: Request) -> Response:
    await run_in_threadpool(playlists.delete_playlist, playlist_id_from(request.path_params))
    return Response(status_code=204)


async def export_playlist(request: Request) -> Response:
    """The playlist as an M3U8 download named after it."""
    music_dirs = state_of(request).settings.effective_music_dirs()
    playlist, text = await run_in_threadpool(
        m3u8.export_playlist, playlist_id_from(request.path_params), music_dirs
    )
    return Response(
        text.encode(),
        media_type=m3u8.MEDIA_TYPE,
        headers={"Content-Disposition": attachment(f"{playlist.name}.m3u8")},
    )


def attachment(filename: str) -> str:
    """RFC 6266: an ASCII stand-in for old clients, the real name as RFC 5987 UTF-8."""
    plain = re.sub(r"[^A-Za-z0-9 ._()\[\]-]", "_", filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


routes = [
    Route("/api/playlists", list_playlists, methods=["GET"]),
    Route("/api/playlists", create_playlist, methods=["POST"]),
    Route("/api/playlists/{playlist_id}", get_playlist, methods=["GET"]),
    Route("/api/playlists/{playlist_id}", update_playlist, methods=["PUT"]),
    Route("/api/playlists/{playlist_id}", delete_playlist, methods=["DELETE"]),
    Route("/api/playlists/{playlist_id}/export.m3u8", export_playlist, methods=["GET"]),
]
