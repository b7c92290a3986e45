"""ping, getLicense, getOpenSubsonicExtensions (the one call that needs no credential)."""

from __future__ import annotations

from auralis_server.http.subsonic.dispatch import Call, Payload, endpoint

EXTENSIONS = ("formPost", "apiKeyAuthentication", "sonicSimilarity", "transcodeOffset")


@endpoint("ping")
def ping(call: Call) -> Payload:
    return {}


@endpoint("getLicense")
def get_license(call: Call) -> Payload:
    return {"license": {"valid": True}}


@endpoint("getOpenSubsonicExtensions", needs_auth=False)
def get_extensions(call: Call) -> Payload:
    return {"openSubsonicExtensions": [{"name": name, "versions": [1]} for name in EXTENSIONS]}
