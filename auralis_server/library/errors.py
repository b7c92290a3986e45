"""What library queries refuse: the HTTP layer turns each into its status code."""

from __future__ import annotations


class LibraryError(Exception):
    """Base of the library's refusals; the message is fit to show a user."""


class TrackNotFound(LibraryError):
    """No track has the id asked for."""


class InvalidQuery(LibraryError):
    """A query parameter or a value in a request body is malformed or out of range."""


class PlaylistNotFound(LibraryError):
    """No playlist has the id asked for."""


class NameTaken(LibraryError):
    """Another playlist already has that name."""


class TrackUnplayable(LibraryError):
    """The track exists but its file cannot be read or decoded now."""
