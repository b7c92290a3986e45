"""The ``/rest/`` routes: every endpoint family registered, one route for them all (GET and
the ``formPost`` POST; ``name`` and ``name.view`` alike; an unknown name is error 0, 404)."""

from __future__ import annotations

from starlette.routing import Route

from auralis_server.http.subsonic import (  # noqa: F401  (each registers its endpoints)
    annotation,
    browsing,
    lists,
    media,
    playlists,
    playqueue,
    search,
    similar,
    system,
)
from auralis_server.http.subsonic.dispatch import handle

routes = [Route("/rest/{name:path}", handle, methods=["GET", "POST"])]
