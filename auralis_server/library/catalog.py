"""Albums, artists and genres as groups of tracks, for clients that browse by them (Subsonic).

The library has no album or artist rows: an album is the tracks sharing an ``album`` tag, an
artist those sharing an ``artist`` tag (as ``/api/albums`` and ``/api/artists`` group them),
so a name is the stable key of either across rescans. ``None`` (the tag missing) is a key
too. Stars and ratings of albums and artists live in ``Annotation`` under the same keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import peewee

from auralis_server.library.errors import InvalidQuery
from auralis_server.library.folding import fold, query_words
from auralis_server.library.models import Annotation, Fingerprint, Track
from shared.dimensions import unpack_vector

ALBUM_LIST_TYPES = (
    "random",
    "newest",
    "frequent",
    "recent",
    "byYear",
    "byGenre",
    "alphabeticalByName",
    "alphabeticalByArtist",
    "starred",
    "highest",
)


@dataclass(frozen=True)
class AlbumRow:
    """One album: its key (the tag) and what its tracks add up to."""

    name: str | None
    artist: str | None  # the album artist, else the track artist (the smallest of them)
    year: int | None
    genre: str | None
    song_count: int
    duration_s: float
    created: dt.datetime | None
    play_count: int
    last_played: dt.datetime | None
    first_track_id: int
    starred_at: dt.datetime | None
    rating: int | None


@dataclass(frozen=True)
class ArtistRow:
    name: str | None
    album_count: int
    song_count: int
    starred_at: dt.datetime | None
    rating: int | None


def _key(name: str | None) -> str:
    return name or ""


def _annotation_join(kind: str, column: peewee.Node) -> peewee.Expression:
    return (Annotation.kind == kind) & (Annotation.key == peewee.fn.COALESCE(column, ""))


def _album_query() -> peewee.ModelSelect:
    artist = peewee.fn.MIN(peewee.fn.COALESCE(Track.album_artist, Track.artist))
    return (
        Track.select(
            Track.album.alias("name"),
            artist.alias("artist"),
            peewee.fn.MIN(Track.year).alias("year"),
            peewee.fn.MIN(Track.genre).alias("genre"),
            peewee.fn.COUNT(Track.id).alias("song_count"),
            peewee.fn.COALESCE(peewee.fn.SUM(Track.duration), 0.0).alias("duration_s"),
            peewee.fn.MAX(Track.added_at).alias("created"),
            peewee.fn.SUM(Track.play_count).alias("play_count"),
            peewee.fn.MAX(Track.last_played).alias("last_played"),
            peewee.fn.MIN(Track.id).alias("first_track_id"),
            peewee.fn.MAX(Annotation.starred_at).alias("starred_at"),
            peewee.fn.MAX(Annotation.rating).alias("rating"),
        )
        .join(Annotation, peewee.JOIN.LEFT_OUTER, on=_annotation_join("album", Track.album))
        .group_by(Track.album)
    )


def _album_rows(query: peewee.ModelSelect) -> list[AlbumRow]:
    rows = []
    for row in query.dicts():
        for moment in ("created", "last_played", "starred_at"):
            row[moment] = _datetime(row[moment])
        row["play_count"] = int(row["play_count"] or 0)
        row["duration_s"] = float(row["duration_s"] or 0.0)
        rows.append(AlbumRow(**row))
    return rows


def _datetime(value: Any) -> dt.datetime | None:
    """Aggregates come back as text on SQLite (the column type is lost on MAX)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return peewee.DateTimeField().python_value(value)  # type: ignore[no-any-return]


def _where_name(column: peewee.Field, name: str | None) -> peewee.Expression:
    return column.is_null() if name is None else column == name


def album(name: str | None) -> AlbumRow | None:
    found = _album_rows(_album_query().where(_where_name(Track.album, name)))
    return found[0] if found else None


def album_tracks(name: str | None) -> list[Track]:
    return list(
        Track.select()
        .where(_where_name(Track.album, name))
        .order_by(Track.disc_no, Track.track_no, Track.title, Track.id)
    )


def artist_albums(name: str | None) -> list[AlbumRow]:
    """Albums with a track by the artist or credited to it as album artist."""
    if name is None:
        where = Track.artist.is_null()
    else:
        where = (Track.artist == name) | (Track.album_artist == name)
    return _album_rows(_album_query().where(where).order_by(peewee.fn.MIN(Track.year), Track.album))


def artists() -> list[ArtistRow]:
    """Every artist by name (folded), with its counts and annotation."""
    query = (
        Track.select(
            Track.artist.alias("name"),
            # the tracks without an album tag make an album too ("al-~")
            peewee.fn.COUNT(peewee.fn.DISTINCT(peewee.fn.COALESCE(Track.album, ""))).alias(
                "album_count"
            ),
            peewee.fn.COUNT(Track.id).alias("song_count"),
            peewee.fn.MAX(Annotation.starred_at).alias("starred_at"),
            peewee.fn.MAX(Annotation.rating).alias("rating"),
        )
        .join(Annotation, peewee.JOIN.LEFT_OUTER, on=_annotation_join("artist", Track.artist))
        .group_by(Track.artist)
    )
    rows = [
        ArtistRow(**{**row, "starred_at": _datetime(row["starred_at"])}) for row in query.dicts()
    ]
    return sorted(rows, key=lambda row: (fold(row.name or ""), row.name or ""))


def artist(name: str | None) -> ArtistRow | None:
    return next((row for row in artists() if row.name == name), None)


def genres() -> list[dict[str, Any]]:
    """Every genre tag with its song and album counts, by name."""
    query = (
        Track.select(
            Track.genre,
            peewee.fn.COUNT(Track.id).alias("songs"),
            peewee.fn.COUNT(Track.album.distinct()).alias("albums"),
        )
        .where(Track.genre.is_null(False))
        .group_by(Track.genre)
        .order_by(peewee.fn.LOWER(Track.genre))
    )
    return list(query.dicts())


def album_list(kind: str, params: Mapping[str, str], size: int, offset: int) -> list[AlbumRow]:
    """One page of albums in the order ``kind`` (one of `ALBUM_LIST_TYPES`) names."""
    query = _album_query()
    if kind == "random":
        query = query.order_by(peewee.fn.RANDOM())
    elif kind == "newest":
        query = query.order_by(peewee.fn.MAX(Track.added_at).desc(), Track.album)
    elif kind == "frequent":
        total = peewee.fn.SUM(Track.play_count)
        query = query.having(total > 0).order_by(total.desc(), Track.album)
    elif kind == "recent":
        latest = peewee.fn.MAX(Track.last_played)
        query = query.having(latest.is_null(False)).order_by(latest.desc(), Track.album)
    elif kind == "byYear":
        low, high = _year(params, "fromYear"), _year(params, "toYear")
        year = peewee.fn.MIN(Track.year)
        query = query.having(year.between(min(low, high), max(low, high)))
        query = query.order_by(year.desc() if low > high else year.asc(), Track.album)
    elif kind == "byGenre":
        genre = params.get("genre")
        if not genre:
            raise InvalidQuery("byGenre needs genre")
        query = query.where(Track.genre == genre).order_by(peewee.fn.LOWER(Track.album))
    elif kind == "alphabeticalByName":
        query = query.order_by(peewee.fn.LOWER(Track.album), Track.album)
    elif kind == "alphabeticalByArtist":
        artist_name = peewee.fn.LOWER(
            peewee.fn.MIN(peewee.fn.COALESCE(Track.album_artist, Track.artist))
        )
        query = query.order_by(artist_name, peewee.fn.LOWER(Track.album))
    elif kind == "starred":
        starred = peewee.fn.MAX(Annotation.starred_at)
        query = query.having(starred.is_null(False)).order_by(starred.desc())
    elif kind == "highest":
        rating = peewee.fn.MAX(Annotation.rating)
        query = query.having(rating.is_null(False)).order_by(rating.desc(), Track.album)
    else:
        raise InvalidQuery(f"type must be one of {', '.join(ALBUM_LIST_TYPES)}, got {kind!r:.40}")
    return _album_rows(query.limit(size).offset(offset))


def _year(params: Mapping[str, str], name: str) -> int:
    raw = params.get(name)
    if raw is None or not raw.lstrip("-").isdigit() or len(raw) > 6:
        raise InvalidQuery(f"byYear needs {name} as a year, got {raw!r:.40}")
    return int(raw)


def matching(names: list[str | None], query: str) -> list[str | None]:
    """The names holding every folded word of ``query`` (all of them for an empty query)."""
    words = query_words(query)
    return [name for name in names if all(word in fold(name or "") for word in words)]


def albums_named(names: list[str | None]) -> list[AlbumRow]:
    """The albums of these keys, in the order given."""
    if not names:
        return []
    plain = [name for name in names if name is not None]
    where = Track.album.in_(plain) if plain else peewee.SQL("0 = 1")
    if None in names:
        where = where | Track.album.is_null()
    found = {row.name: row for row in _album_rows(_album_query().where(where))}
    return [found[name] for name in names if name in found]


def album_names() -> list[str | None]:
    """Every album key, by folded name."""
    names = [row[0] for row in Track.select(Track.album).distinct().tuples()]
    return sorted(names, key=lambda name: (fold(name or ""), name or ""))


def annotation_key(name: str | None) -> str:
    """The ``Annotation.key`` of an album or artist key."""
    return _key(name)


def integrated_lufs(track_ids: list[int]) -> dict[int, float]:
    """The integrated loudness (LUFS) the fingerprints measured, of the tracks that have one."""
    found: dict[int, float] = {}
    for start in range(0, len(track_ids), 500):
        batch = track_ids[start : start + 500]
        query = Fingerprint.select(Fingerprint.track, Fingerprint.vector).where(
            Fingerprint.track.in_(batch)
        )
        for track_id, vector in query.tuples():
            found[track_id] = unpack_vector(bytes(vector))["lufs"]
    return found


def random_tracks(
    size: int, genre: str | None, from_year: int | None, to_year: int | None
) -> list[Track]:
    """``size`` tracks at random, of the genre and within the years when given."""
    query = Track.select().where(Track.scan_error.is_null())
    if genre:
        query = query.where(Track.genre == genre)
    if from_year is not None:
        query = query.where(Track.year >= from_year)
    if to_year is not None:
        query = query.where(Track.year <= to_year)
    return list(query.order_by(peewee.fn.RANDOM()).limit(size))


def genre_tracks(genre: str, count: int, offset: int) -> list[Track]:
    query = Track.select().where(Track.genre == genre)
    order = (Track.artist, Track.album, Track.disc_no, Track.track_no, Track.id)
    return list(query.order_by(*order).limit(count).offset(offset))


def top_tracks(artist_name: str, count: int) -> list[Track]:
    """The artist's most played tracks (played at least once), the most played first."""
    query = Track.select().where(
        ((Track.artist == artist_name) | (Track.album_artist == artist_name))
        & (Track.play_count > 0)
    )
    return list(query.order_by(Track.play_count.desc(), Track.id).limit(count))


def group_track_ids(kind: str, name: str | None) -> list[int]:
    """The tracks of an album or an artist (its own and those credited to it as album artist)."""
    if kind == "album":
        where = _where_name(Track.album, name)
    elif name is None:
        where = Track.artist.is_null()
    else:
        where = (Track.artist == name) | (Track.album_artist == name)
    return [row[0] for row in Track.select(Track.id).where(where).tuples()]


def tracks_in_order(track_ids: list[int]) -> list[Track]:
    """The tracks of these ids, in the order given (ids of removed tracks left out)."""
    found: dict[int, Track] = {}
    for start in range(0, len(track_ids), 500):
        batch = track_ids[start : start + 500]
        found.update((track.id, track) for track in Track.select().where(Track.id.in_(batch)))
    return [found[track_id] for track_id in track_ids if track_id in found]
