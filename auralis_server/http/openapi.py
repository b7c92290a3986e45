"""The OpenAPI 3.1 document of ``/api``, served at ``GET /api/openapi.json``.

One compact entry per operation (`_OPERATIONS`) is expanded into the document: parameters,
request body, the success response and the error statuses it can answer, every error
being the ``{error, detail}`` object of ``http.errors``. A test compares the paths here with
the app's routes, and a schemathesis run checks the answers against the schemas, so the
document cannot drift from the server unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auralis_server import __version__
from auralis_server.library.models import FINGERPRINT_STATUSES, REPEAT_MODES, SHUFFLE_MODES
from shared.presets import PRESET_NAMES
from shared.stream_params import LOUDNESS_MODES

Schema = dict[str, Any]

OPENAPI_PATH = "/api/openapi.json"


def _nullable(kind: str, **extra: Any) -> Schema:
    return {"type": [kind, "null"], **extra}


def _object(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these properties; more may be added later without breaking clients."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


def _list_of(item: Schema) -> Schema:
    return {"type": "array", "items": item}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


INTEGER, NUMBER, STRING, BOOLEAN = (
    {"type": "integer"},
    {"type": "number"},
    {"type": "string"},
    {"type": "boolean"},
)
MOMENT = {"type": "string", "description": "UTC, ISO 8601 with Z"}

_GEOMETRY = _object(
    {
        "total_frames": INTEGER,
        "sample_rate_hz": INTEGER,
        "chunk_frames": INTEGER,
        "overlap_frames": INTEGER,
        "chunk_count": INTEGER,
        "chunk_seconds": NUMBER,
        "duration_seconds": NUMBER,
    }
)

_PLAYSTATE = {
    "queue": _list_of(INTEGER),
    "index": _nullable("integer"),
    "position_s": NUMBER,
    "shuffle": {"enum": list(SHUFFLE_MODES)},
    "repeat": {"enum": list(REPEAT_MODES)},
    "preset": _nullable("string"),
    "intensity": _nullable("number"),
    "volume": _nullable("number"),
}
"""What a client sends to save its play state; the server adds ``updated_at``."""

SCHEMAS: dict[str, Schema] = {
    "Error": {
        **_object({"error": STRING, "detail": STRING}),
        "description": "Every 4xx and 5xx answer: a snake_case code and one line for people.",
    },
    "Geometry": _GEOMETRY,
    "Track": _object(
        {
            "id": INTEGER,
            "path": STRING,
            "title": _nullable("string"),
            "artist": _nullable("string"),
            "album": _nullable("string"),
            "album_artist": _nullable("string"),
            "track_no": _nullable("integer"),
            "disc_no": _nullable("integer"),
            "year": _nullable("integer"),
            "genre": _nullable("string"),
            "duration_seconds": _nullable("number"),
            "sample_rate_hz": _nullable("integer"),
            "channels": _nullable("integer"),
            "codec": _nullable("string"),
            "size_bytes": INTEGER,
            "added_at": MOMENT,
            "error": _nullable("string"),
            "fingerprint_status": {"enum": list(FINGERPRINT_STATUSES)},
            "geometry": {"oneOf": [_ref("Geometry"), {"type": "null"}]},
            "play_count": INTEGER,
            "last_played": _nullable("string"),
        }
    ),
    "ScanProgress": _object(
        {
            "state": STRING,
            "roots": _list_of(STRING),
            "discovered": INTEGER,
            "processed": INTEGER,
            "added": INTEGER,
            "updated": INTEGER,
            "unchanged": INTEGER,
            "removed": INTEGER,
            "errors": INTEGER,
            "root_errors": {"type": "array"},
            "started_at": _nullable("number"),
            "elapsed_seconds": NUMBER,
            "detail": _nullable("string"),
        }
    ),
    "PlayState": _object({**_PLAYSTATE, "updated_at": _nullable("string")}),
    "Playlist": _object(
        {
            "id": INTEGER,
            "name": STRING,
            "track_ids": _list_of(INTEGER),
            "tracks": _list_of(_ref("Track")),
            "created_at": MOMENT,
            "updated_at": MOMENT,
        }
    ),
}

_STATUS_TEXT = {
    400: "a parameter or the body is invalid",
    401: "a token is configured and the request lacks it",
    404: "no such resource",
    405: "the method is not allowed here",
    409: "the name is taken",
    416: "the chunk range is not satisfiable",
    422: "the track's audio cannot be read",
    503: "the server cannot do it now (renders due now are waiting, or the database is locked "
    "or unreachable); Retry-After says when to ask again",
}


@dataclass(frozen=True)
class Operation:
    """What the document says about one method on one path."""

    summary: str
    ok: Schema | str | None = None  # JSON schema, a media type, or None for no body
    status: int = 200
    query: dict[str, Schema] = field(default_factory=dict)
    body: Schema | None = None
    errors: tuple[int, ...] = ()
    extra_ok: tuple[int, ...] = ()  # other success statuses with the same body
    track_path: bool = False  # mostly {track_id}: a 404 when it names none
    streaming: bool = False  # the body is produced as it is read (no body schema checks)


_RENDER = {
    "preset": {"enum": ["", *PRESET_NAMES]},
    "intensity": {"type": "string", "description": "0..1"},
    "loudness": {"enum": ["", *LOUDNESS_MODES]},
}
_PAGE = {"limit": STRING, "offset": STRING}
_TRACK_FILTERS = {
    "q": STRING,
    "artist": STRING,
    "album": STRING,
    "missing": STRING,
    "ids": STRING,
    "sort": STRING,
    "after": STRING,
    "fields": STRING,
}
_PLAYLIST_BODY = {"name": STRING, "track_ids": _list_of(INTEGER)}
M3U8 = "audio/x-mpegurl"


def _m3u8_list(of: str, **query: Schema) -> Operation:
    """An M3U8 list naming the mastered audio file of each of the tracks of ``of``."""
    return Operation(
        f"An M3U8 list of the audio files of {of}",
        M3U8,
        query={**_RENDER, **query, "format": STRING, "token": STRING},
        errors=(400,),
        streaming=True,
    )


_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("/api/openapi.json", "get"): Operation("This document", {"type": "object"}),
    ("/api/health", "get"): Operation(
        "Liveness and what the server runs with",
        _object(
            {
                "status": STRING,
                "version": STRING,
                "fingerprint_backend": _nullable("string"),
                "fingerprint_workers": INTEGER,
                "rust_server": {"type": "object"},
                "tracks": INTEGER,
                "scanning": BOOLEAN,
                "chunk_seconds": NUMBER,
            }
        ),
    ),
    ("/api/tracks", "get"): Operation(
        "A page of tracks (or only their ids with fields=id)",
        _object(
            {
                "total": INTEGER,
                "limit": INTEGER,
                "offset": INTEGER,
                "next": _nullable("string"),
            },
            {"tracks": _list_of(_ref("Track")), "ids": _list_of(INTEGER)},
        ),
        query={**_TRACK_FILTERS, **_PAGE},
        errors=(400,),
    ),
    ("/api/tracks/{track_id}", "get"): Operation("One track", _ref("Track"), track_path=True),
    ("/api/tracks/{track_id}/plays", "post"): Operation(
        "Count one play of the track",
        _object({"track_id": INTEGER, "play_count": INTEGER, "last_played": MOMENT}),
        track_path=True,
    ),
    ("/api/plays", "get"): Operation(
        "Played tracks, recent or most played first",
        _object({"tracks": _list_of(_ref("Track"))}),
        query={"order": {"enum": ["", "recent", "most"]}, "limit": STRING},
        errors=(400,),
    ),
    ("/api/artists", "get"): Operation(
        "Artists with their album and track counts",
        _object(
            {
                "artists": _list_of(
                    _object({"name": _nullable("string"), "albums": INTEGER, "tracks": INTEGER})
                )
            }
        ),
    ),
    ("/api/albums", "get"): Operation(
        "Albums, optionally of one artist",
        _object(
            {
                "albums": _list_of(
                    _object(
                        {
                            "name": _nullable("string"),
                            "artist": _nullable("string"),
                            "year": _nullable("integer"),
                            "tracks": INTEGER,
                            "duration_seconds": _nullable("number"),
                        }
                    )
                )
            }
        ),
        query={"artist": STRING, "missing": STRING},
        errors=(400,),
    ),
    ("/api/library/scan", "post"): Operation(
        "Start a scan (202) or report the one running (200)",
        _object({"started": BOOLEAN, "scan": _ref("ScanProgress")}),
        status=202,
        extra_ok=(200,),
    ),
    ("/api/library/scan", "get"): Operation(
        "The current or last scan",
        _object({"running": BOOLEAN, "scan": _ref("ScanProgress")}),
    ),
    ("/api/tracks/{track_id}/fingerprint", "get"): Operation(
        "The track's 25 fingerprint values, once computed",
        _object(
            {
                "track_id": INTEGER,
                "status": {"enum": list(FINGERPRINT_STATUSES)},
                "error": _nullable("string"),
                "source": _nullable("string"),
                "algorithm_version": _nullable("integer"),
                "computed_at": _nullable("string"),
                "values": {"oneOf": [{"type": "object"}, {"type": "null"}]},
            }
        ),
        track_path=True,
    ),
    ("/api/tracks/{track_id}/fingerprint", "post"): Operation(
        "Compute the track's fingerprint next",
        _object({"track_id": INTEGER, "queued": BOOLEAN, "priority": STRING, "status": STRING}),
        status=202,
        query={"force": STRING},
        errors=(422, 503),
        track_path=True,
    ),
    ("/api/fingerprints/status", "get"): Operation(
        "Fingerprint counts by status and the queue's state",
        _object({"counts": {"type": "object"}, "backend": _nullable("string")}),
    ),
    ("/api/tracks/{track_id}/plan", "get"): Operation(
        "The mastering plan for these settings",
        _object(
            {
                "track_id": INTEGER,
                "inputs": STRING,
                "loudness": STRING,
                "album": _nullable("object"),
                "plan": {"type": "object"},
            }
        ),
        query=_RENDER,
        errors=(400, 422),
        track_path=True,
    ),
    ("/api/tracks/{track_id}/loudness", "get"): Operation(
        "Short-term loudness before and after mastering",
        _object(
            {
                "track_id": INTEGER,
                "window_s": NUMBER,
                "hop_s": NUMBER,
                "input_lufs": _list_of(_nullable("number")),
                "output_lufs": _list_of(_nullable("number")),
            }
        ),
        query=_RENDER,
        errors=(400, 422),
        track_path=True,
    ),
    ("/api/tracks/{track_id}/stream", "get"): Operation(
        "The mastered chunk stream (shared/WIRE.md); a chunks range answers 206; read-ahead "
        "(HEAD, or Priority u=4..7) answers 503 with Retry-After while renders due now wait",
        "application/vnd.auralis.chunks",
        query={**_RENDER, "format": STRING, "chunks": STRING},
        extra_ok=(206,),
        errors=(400, 416, 422, 503),
        track_path=True,
        streaming=True,
    ),
    ("/api/tracks/{track_id}/chunks/{name}", "get"): Operation(
        "One mastered chunk as a file, named {index}.wav or {index}.flac",
        "audio/*",
        query={**_RENDER, "tail": STRING},
        errors=(400, 422),
        track_path=True,
        streaming=True,
    ),
    ("/api/tracks/{track_id}/audio.{kind}", "get"): Operation(
        "The mastered track as one audio file (kind: wav, flac, mp3, opus)",
        "audio/*",
        query={**_RENDER, "t": STRING, "max_kbps": STRING, "estimate_length": STRING},
        extra_ok=(206,),
        errors=(400, 416, 422),
        track_path=True,
        streaming=True,
    ),
    ("/api/tracks.m3u8", "get"): _m3u8_list("the tracks matching q", q=STRING),
    ("/api/albums/{album}.m3u8", "get"): _m3u8_list("an album"),
    ("/api/playlists/{playlist_id}.m3u8", "get"): _m3u8_list("a playlist"),
    ("/api/events", "get"): Operation(
        "Server-sent events: scan progress and fingerprint status",
        "text/event-stream",
        streaming=True,
    ),
    ("/api/playstate", "get"): Operation("The saved play state", _ref("PlayState")),
    ("/api/playstate", "put"): Operation(
        "Replace the saved play state",
        _ref("PlayState"),
        body=_object(_PLAYSTATE, {"updated_at": _nullable("string")}),
        errors=(400,),
    ),
    ("/api/playlists", "get"): Operation(
        "Every playlist, without its tracks",
        _object(
            {
                "playlists": _list_of(
                    _object(
                        {
                            "id": INTEGER,
                            "name": STRING,
                            "track_count": INTEGER,
                            "duration_s": NUMBER,
                            "updated_at": MOMENT,
                        }
                    )
                )
            }
        ),
    ),
    ("/api/playlists", "post"): Operation(
        "Create a playlist",
        _ref("Playlist"),
        status=201,
        body=_object(_PLAYLIST_BODY),
        errors=(400, 404, 409),
    ),
    ("/api/playlists/{playlist_id}", "get"): Operation(
        "One playlist with its tracks", _ref("Playlist"), errors=(404,)
    ),
    ("/api/playlists/{playlist_id}", "put"): Operation(
        "Rename a playlist or replace its tracks",
        _ref("Playlist"),
        body=_object({}, _PLAYLIST_BODY),
        errors=(400, 404, 409),
    ),
    ("/api/playlists/{playlist_id}", "delete"): Operation(
        "Delete a playlist", None, status=204, errors=(404,)
    ),
    ("/api/playlists/{playlist_id}/export.m3u8", "get"): Operation(
        "The playlist as an M3U8 file of paths relative to the music folder",
        M3U8,
        errors=(404,),
        streaming=True,
    ),
}


def _error_response(status: int) -> Schema:
    return {
        "description": _STATUS_TEXT[status],
        "content": {"application/json": {"schema": _ref("Error")}},
    }


def _content(ok: Schema | str) -> Schema:
    if isinstance(ok, str):
        return {ok: {"schema": {"type": "string", "format": "binary"}}}
    return {"application/json": {"schema": ok}}


def _path_parameters(path: str) -> list[Schema]:
    names = [part.split("}")[0] for part in path.split("{")[1:]]
    return [{"name": name, "in": "path", "required": True, "schema": STRING} for name in names]


def _operation(path: str, method: str, op: Operation) -> Schema:
    responses: dict[str, Schema] = {}
    for status in (op.status, *op.extra_ok):
        responses[str(status)] = {"description": op.summary}
        if op.ok is not None:
            responses[str(status)]["content"] = _content(op.ok)
    errors = set(op.errors) | {401, 503}  # 503: any request may find the database busy
    if "{" in path or op.track_path:
        errors.add(404)
    for status in sorted(errors):
        responses[str(status)] = _error_response(status)
    document: Schema = {
        "summary": op.summary,
        "operationId": f"{method}_{path.removeprefix('/api/')}",
        "parameters": [
            *_path_parameters(path),
            *({"name": name, "in": "query", "schema": schema} for name, schema in op.query.items()),
        ],
        "responses": responses,
    }
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    if op.streaming:
        document["x-auralis-streaming"] = True
    return document


def build_document() -> Schema:
    """The whole document, built once per call (cheap; the app caches the JSON)."""
    paths: dict[str, Schema] = {}
    for (path, method), op in _OPERATIONS.items():
        paths.setdefault(path, {})[method] = _operation(path, method, op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Auralis",
            "version": __version__,
            "description": "The Auralis music server's HTTP API (SPEC §6).",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"token": []}],
        "paths": paths,
    }


def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(build_document())


routes = [Route(OPENAPI_PATH, openapi_json, methods=["GET"])]
