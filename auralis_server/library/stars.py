"""Stars and ratings: of tracks (their own columns) and of albums and artists (``Annotation``,
keyed by the tag the library groups them by; see ``catalog``).

Ratings are 1-5; 0 removes one, as Subsonic's ``setRating`` says.
"""

from __future__ import annotations

from collections.abc import Iterable

from auralis_server.library.errors import InvalidQuery, TrackNotFound
from auralis_server.library.models import ANNOTATION_KINDS, Annotation, Track, database, utc_now
from auralis_server.library.playlists import present_track_ids

MAX_RATING = 5


def _known_tracks(track_ids: Iterable[int]) -> list[int]:
    ids = list(track_ids)
    missing = set(ids) - present_track_ids(ids)
    if missing:
        raise TrackNotFound(f"no track with id {min(missing)}")
    return ids


def star_tracks(track_ids: Iterable[int], starred: bool) -> None:
    """Star (now) or unstar the tracks; an unknown id changes none of them."""
    ids = _known_tracks(track_ids)
    if ids:
        Track.update(starred_at=utc_now() if starred else None).where(Track.id.in_(ids)).execute()


def star_groups(kind: str, keys: Iterable[str], starred: bool) -> None:
    """Star or unstar albums or artists by their annotation keys."""
    _check_kind(kind)
    with database.atomic():
        for key in keys:
            _annotate(kind, key, starred_at=utc_now() if starred else None)


def rate_track(track_id: int, rating: int) -> None:
    checked = _checked_rating(rating)
    (track_id,) = _known_tracks([track_id])
    Track.update(rating=checked).where(Track.id == track_id).execute()


def rate_group(kind: str, key: str, rating: int) -> None:
    _check_kind(kind)
    with database.atomic():
        _annotate(kind, key, rating=_checked_rating(rating))


def _annotate(kind: str, key: str, **values: object) -> None:
    """Set these fields of the annotation, creating it; one left empty is removed."""
    Annotation.insert(kind=kind, key=key, **values).on_conflict(
        conflict_target=[Annotation.kind, Annotation.key], update=values
    ).execute()
    Annotation.delete().where(
        (Annotation.kind == kind)
        & (Annotation.key == key)
        & Annotation.starred_at.is_null()
        & Annotation.rating.is_null()
    ).execute()


def _checked_rating(rating: int) -> int | None:
    if not 0 <= rating <= MAX_RATING:
        raise InvalidQuery(f"rating must be between 0 and {MAX_RATING}, got {rating}")
    return rating or None


def _check_kind(kind: str) -> None:
    if kind not in ANNOTATION_KINDS:
        raise InvalidQuery(f"only {', '.join(ANNOTATION_KINDS)} carry stars, not {kind!r}")


def starred_tracks() -> list[Track]:
    """Starred tracks, the latest starred first."""
    query = Track.select().where(Track.starred_at.is_null(False))
    return list(query.order_by(Track.starred_at.desc(), Track.id))


def starred_keys(kind: str) -> list[str]:
    """Annotation keys of the starred albums or artists, the latest starred first."""
    _check_kind(kind)
    query = Annotation.select(Annotation.key).where(
        (Annotation.kind == kind) & Annotation.starred_at.is_null(False)
    )
    return [row.key for row in query.order_by(Annotation.starred_at.desc())]
