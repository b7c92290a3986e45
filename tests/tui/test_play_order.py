"""Play modes and queue edits as pure logic: properties over random queues and seeds.

The order is driven as the player drives it: ``following`` decides, ``commit`` records what
is fed, ``retract`` undoes what a move dropped before it was heard.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auralis_tui.engine.commands import Append, Clear, Delete, InsertNext, Move, QueueEdit
from auralis_tui.engine.play_order import PlayMode, PlayOrder
from auralis_tui.engine.queue_edits import apply_edit, slot_after


def _natural_run(order: PlayOrder, start: int, limit: int) -> list[int]:
    """Entries in the order they play when each ends by itself (up to ``limit``)."""
    order.begin(start)
    played: list[int] = []
    index: int | None = start
    while index is not None and len(played) < limit:
        order.commit(index)
        played.append(index)
        index = order.following(index, by_itself=True)
    return played


@given(
    length=st.integers(1, 40),
    cycles=st.integers(1, 4),
    seed=st.integers(0, 2**32),
    start=st.integers(0, 39),
)
def test_shuffle_plays_every_entry_once_per_cycle(
    length: int, cycles: int, seed: int, start: int
) -> None:
    start %= length
    order = PlayOrder(length, PlayMode("tracks", "all"), rng=random.Random(seed))
    played = _natural_run(order, start, cycles * length)
    assert played[0] == start
    for cycle in range(cycles):
        assert sorted(played[cycle * length : (cycle + 1) * length]) == list(range(length))


@given(length=st.integers(1, 30), seed=st.integers(0, 2**32))
def test_shuffle_without_repeat_ends_after_one_cycle(length: int, seed: int) -> None:
    order = PlayOrder(length, PlayMode("tracks", "off"), rng=random.Random(seed))
    played = _natural_run(order, 0, 10 * length)
    assert sorted(played) == list(range(length))


@given(keys=st.lists(st.sampled_from("abcdef") | st.none(), min_size=1, max_size=30))
def test_album_shuffle_keeps_each_albums_entries_together_and_in_queue_order(
    keys: list[str | None],
) -> None:
    length = len(keys)
    order = PlayOrder(
        length, PlayMode("albums", "all"), album_of=keys.__getitem__, rng=random.Random(7)
    )
    first_album = [index for index in range(length) if keys[index] == keys[0]]
    start = first_album[0] if keys[0] is not None else 0
    played = _natural_run(order, start, 3 * length)
    for cycle in range(3):
        run = played[cycle * length : (cycle + 1) * length]
        assert sorted(run) == list(range(length))
        for key in {key for key in keys if key is not None}:
            positions = [position for position, index in enumerate(run) if keys[index] == key]
            assert positions == list(range(positions[0], positions[0] + len(positions)))
            assert [run[position] for position in positions] == sorted(
                index for index in range(length) if keys[index] == key
            )


@given(
    keys=st.lists(st.sampled_from("abcd"), min_size=2, max_size=24),
    seed=st.integers(0, 2**32),
    at=st.integers(0, 23),
)
def test_album_shuffle_switched_on_mid_album_finishes_that_album_first(
    keys: list[str], seed: int, at: int
) -> None:
    """Shuffle albums pressed while an album plays in queue order: the rest of that album
    follows at once, in order, then the other albums whole (QA: it split the album)."""
    length, at = len(keys), at % len(keys)
    order = PlayOrder(length, PlayMode(), album_of=keys.__getitem__, rng=random.Random(seed))
    order.begin(0)
    for index in range(at + 1):
        order.commit(index)
    order.set_mode(PlayMode("albums", "off"), current=at)
    after: list[int] = []
    index: int | None = order.following(at, by_itself=True)
    while index is not None and len(after) < length:
        order.commit(index)
        after.append(index)
        index = order.following(index, by_itself=True)
    rest_of_album = [i for i in range(at + 1, length) if keys[i] == keys[at]]
    assert after[: len(rest_of_album)] == rest_of_album
    others = after[len(rest_of_album) :]
    assert sorted(others) == [i for i in range(length) if keys[i] != keys[at]]
    for key in set(keys) - {keys[at]}:
        positions = [p for p, i in enumerate(others) if keys[i] == key]
        assert positions == list(range(positions[0], positions[0] + len(positions)))


@given(length=st.integers(1, 20), seed=st.integers(0, 2**32), drops=st.lists(st.integers(0, 3)))
def test_a_dropped_track_is_what_follows_again(length: int, seed: int, drops: list[int]) -> None:
    """Buffered tracks a move drops before they are heard go back where they were: the next
    decision is the same, and the cycle still holds every entry once."""
    order = PlayOrder(length, PlayMode("tracks", "all"), rng=random.Random(seed))
    order.begin(0)
    order.commit(0)
    heard, fed = [0], [0]
    for drop in [*drops, 0, 0]:
        ahead = []
        for _ in range(drop + 1):  # feed ahead …
            following = order.following(fed[-1], by_itself=True)
            assert following is not None
            order.commit(following)
            fed.append(following)
            ahead.append(following)
        for _ in range(drop):  # … and drop all but the first again
            order.retract()
            fed.pop()
        if drop:
            assert order.following(fed[-1], by_itself=True) == ahead[1]
        heard.append(ahead[0])
    for cycle in range(len(heard) // length):
        assert sorted(heard[cycle * length : (cycle + 1) * length]) == list(range(length))


def test_repeat_one_loops_when_the_track_ends_and_next_moves_on() -> None:
    order = PlayOrder(5, PlayMode("off", "one"))
    order.begin(2)
    order.commit(2)
    assert order.following(2, by_itself=True) == 2
    assert order.following(2, by_itself=False) == 3
    assert order.following(4, by_itself=False) is None  # `next` on the last entry stops


def test_repeat_all_wraps_in_queue_order() -> None:
    order = PlayOrder(3, PlayMode("off", "all"))
    assert [order.following(index, by_itself=True) for index in range(3)] == [1, 2, 0]


@given(length=st.integers(2, 20), heard=st.integers(2, 40), seed=st.integers(0, 2**32))
def test_previous_in_shuffle_goes_back_through_what_was_heard(
    length: int, heard: int, seed: int
) -> None:
    order = PlayOrder(length, PlayMode("tracks", "all"), rng=random.Random(seed))
    played = _natural_run(order, 0, heard)
    current = played[-1]
    back = order.back(current)
    assert back == played[-2]
    order.jumping_to(back)
    order.commit(back)  # the player feeds it again: the history does not grow
    assert order.history == played[:-1]
    assert order.following(back, by_itself=False) == current  # `next` returns to where we were
    assert order.back(back) == (played[-3] if len(played) > 2 else None)


@given(
    length=st.integers(2, 15),
    seed=st.integers(0, 2**32),
    heard=st.integers(1, 14),
    victim=st.integers(0, 14),
)
def test_a_deleted_entry_never_plays_and_the_rest_of_the_cycle_does(
    length: int, seed: int, heard: int, victim: int
) -> None:
    heard, victim = min(heard, length), victim % length
    order = PlayOrder(length, PlayMode("tracks", "off"), rng=random.Random(seed))
    played = _natural_run(order, 0, heard)
    current = played[-1]
    edited = apply_edit(list(range(length)), Delete(victim), current)
    order.remap(edited.moved, edited.added, play_next=False)
    queue = edited.queue  # the old indices, as the entries' names
    if victim == current:  # it plays on; what followed it now follows its place
        index, detached = slot_after(edited.moved, victim + 1, len(queue)), True
    else:
        index, detached = edited.moved[current], False
    rest: list[int] = []
    following = order.following(index, by_itself=True, detached=detached)  # type: ignore[arg-type]
    while following is not None:
        order.commit(following)
        rest.append(queue[following])
        following = order.following(following, by_itself=True)
    assert victim not in rest
    assert sorted(played + rest) == [i for i in range(length) if i != victim or i in played]


@given(length=st.integers(1, 12), seed=st.integers(0, 2**32), added=st.integers(1, 3))
def test_play_next_in_shuffle_plays_the_inserted_tracks_next(
    length: int, seed: int, added: int
) -> None:
    order = PlayOrder(length, PlayMode("tracks", "all"), rng=random.Random(seed))
    order.begin(0)
    order.commit(0)
    new = tuple(range(100, 100 + added))
    edited = apply_edit(list(range(length)), InsertNext(new), 0)
    order.remap(edited.moved, edited.added, play_next=True)
    following, names = 0, []
    for _ in range(added):
        following = order.following(following, by_itself=True)  # type: ignore[assignment]
        order.commit(following)
        names.append(edited.queue[following])
    assert tuple(names) == new


EDITS = st.one_of(
    st.builds(Delete, st.integers(-1, 12)),
    st.builds(Move, st.integers(-1, 12), st.integers(-4, 4)),
    st.builds(Clear),
    st.builds(InsertNext, st.lists(st.integers(100, 110), max_size=3).map(tuple)),
    st.builds(Append, st.lists(st.integers(100, 110), max_size=3).map(tuple)),
)


def _model(queue: list[int], edit: QueueEdit, playing: int | None) -> list[int]:
    """What each edit means, written as list operations."""
    queue = list(queue)
    if isinstance(edit, Delete) and 0 <= edit.index < len(queue):
        del queue[edit.index]
    elif isinstance(edit, Move) and 0 <= edit.index < len(queue):
        entry = queue.pop(edit.index)
        queue.insert(min(max(0, edit.index + edit.delta), len(queue)), entry)
    elif isinstance(edit, Clear):
        queue = [queue[playing]] if playing is not None else []
    elif isinstance(edit, InsertNext):
        at = 0 if playing is None else playing + 1
        queue[at:at] = edit.track_ids
    elif isinstance(edit, Append):
        queue += edit.track_ids
    return queue


@given(
    queue=st.lists(st.integers(0, 5), max_size=12),
    edit=EDITS,
    playing=st.integers(0, 11) | st.none(),
)
def test_queue_edits_match_their_list_meaning_and_say_where_each_entry_went(
    queue: list[int], edit: QueueEdit, playing: int | None
) -> None:
    if playing is not None and playing >= len(queue):
        playing = None
    edited = apply_edit(queue, edit, playing)
    assert edited.queue == _model(queue, edit, playing)
    for old, new in enumerate(edited.moved):
        if new is not None:
            assert edited.queue[new] == queue[old]
    survivors = sorted(new for new in edited.moved if new is not None)
    assert sorted(survivors + edited.added) == list(range(len(edited.queue)))


@pytest.mark.parametrize(
    ("mode", "cycled", "repeat", "repeat_one"),
    [
        (PlayMode("off", "off"), "tracks", "all", "one"),
        (PlayMode("tracks", "all"), "albums", "off", "one"),
        (PlayMode("albums", "one"), "off", "all", "off"),
    ],
)
def test_the_mode_keys_cycle_as_cmus_does(
    mode: PlayMode, cycled: str, repeat: str, repeat_one: str
) -> None:
    assert mode.cycled_shuffle().shuffle == cycled
    assert mode.toggled_repeat().repeat == repeat
    assert mode.toggled_repeat_one().repeat == repeat_one
    with pytest.raises(ValueError):
        PlayMode("sometimes")
