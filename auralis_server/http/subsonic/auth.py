"""Who may call ``/rest/``: the one configured user, by token + salt (``t = md5(password +
s)``), by password (``p``, plain or ``enc:`` hex), or by an API key (the OpenSubsonic
``apiKeyAuthentication`` extension).

Nothing is accepted until a password or an API key is configured; and with neither, a
client off this machine is refused even the calls that need no credential, as ``/api`` is
refused off loopback without a token.
"""

from __future__ import annotations

import hashlib
import hmac

from auralis_server.config import Settings, is_loopback
from auralis_server.http.subsonic.envelope import (
    AUTH_MECHANISM_UNSUPPORTED,
    CONFLICTING_AUTH,
    INVALID_API_KEY,
    MISSING_PARAMETER,
    WRONG_CREDENTIALS,
    SubsonicError,
)
from auralis_server.http.subsonic.params import Params


def has_credentials(settings: Settings) -> bool:
    return bool(settings.subsonic_password or settings.subsonic_api_keys)


def refuse_off_loopback(settings: Settings, client_host: str | None) -> None:
    """Error 40 for a client on another machine while no credential is configured."""
    if not has_credentials(settings) and not (client_host and is_loopback(client_host)):
        raise SubsonicError(
            WRONG_CREDENTIALS,
            "Subsonic access from other machines needs subsonic_password or subsonic_api_keys",
        )


def authenticate(params: Params, settings: Settings) -> None:
    """Return when the call's credentials are right; raise the spec's error otherwise."""
    api_key, user = params.get("apiKey"), params.get("u")
    if api_key is not None:
        if user is not None:
            raise SubsonicError(CONFLICTING_AUTH, "give apiKey or u, not both")
        if not any(_same(api_key, key) for key in settings.subsonic_api_keys):
            raise SubsonicError(INVALID_API_KEY, "invalid API key")
        return
    if user is None:
        raise SubsonicError(MISSING_PARAMETER, "required parameter u (or apiKey) is missing")
    token, salt, password = params.get("t"), params.get("s"), params.get("p")
    if password is not None and (token is not None or salt is not None):
        raise SubsonicError(CONFLICTING_AUTH, "give p or t and s, not both")
    if password is None and (token is None or salt is None):
        raise SubsonicError(MISSING_PARAMETER, "required parameter p (or t and s) is missing")
    configured = settings.subsonic_password
    if configured is None:
        if settings.subsonic_api_keys:
            raise SubsonicError(AUTH_MECHANISM_UNSUPPORTED, "this server accepts API keys only")
        raise SubsonicError(WRONG_CREDENTIALS, "no Subsonic password is configured")
    if token is not None and salt is not None:
        expected = hashlib.md5((configured + salt).encode()).hexdigest()
        right = _same(token.lower(), expected)
    else:
        right = _same(_plain(password or ""), configured)
    if not (right and _same(user, settings.subsonic_user)):
        raise SubsonicError(WRONG_CREDENTIALS, "wrong username or password")


def _plain(password: str) -> str:
    """``enc:`` followed by the UTF-8 bytes in hex, or the password itself."""
    if not password.startswith("enc:"):
        return password
    try:
        return bytes.fromhex(password[4:]).decode()
    except (ValueError, UnicodeDecodeError):
        raise SubsonicError(WRONG_CREDENTIALS, "wrong username or password") from None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
