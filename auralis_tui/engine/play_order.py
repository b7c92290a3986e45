"""Which queue entry plays after the current one, and where `previous` goes: shuffle and repeat.

Pure logic over queue indices (no audio, no awaits), owned by the player. Every entry the
player starts feeding is ``commit``-ted; an entry whose buffered audio is dropped again (a
jump, a queue edit) is ``retract``-ed, so the history holds what was actually fed, in order,
and a shuffle cycle loses no entry that was only buffered.

- shuffle "tracks": each cycle is a random permutation of the queue; no entry plays twice
  before all have played. With repeat "all" a new permutation follows; otherwise the run ends.
- shuffle "albums": albums in random order, each album's entries in queue order. An album is
  every queue entry with the same album key; the caller says which key an entry has
  (``album_of``; the player takes it from the tracks' tags), None meaning an album of its own.
- repeat "one": an entry that ends by itself plays again (the player joins it to itself as it
  joins two tracks); `next` still moves on in the order, as in cmus.
- `previous` in shuffle goes back through the history; in queue order it is the entry before
  (see ``navigation.skip_destination``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

SHUFFLES = ("off", "tracks", "albums")
REPEATS = ("off", "all", "one")


@dataclass(frozen=True)
class PlayMode:
    shuffle: str = "off"  # off | tracks | albums
    repeat: str = "off"  # off | all | one

    def __post_init__(self) -> None:
        if self.shuffle not in SHUFFLES or self.repeat not in REPEATS:
            raise ValueError(f"unknown play mode: shuffle {self.shuffle}, repeat {self.repeat}")

    def cycled_shuffle(self) -> PlayMode:
        """off → tracks → albums → off (the `s` key)."""
        following = SHUFFLES[(SHUFFLES.index(self.shuffle) + 1) % len(SHUFFLES)]
        return PlayMode(following, self.repeat)

    def toggled_repeat(self) -> PlayMode:
        """off ↔ all; from one to all (the `r` key)."""
        return PlayMode(self.shuffle, "off" if self.repeat == "all" else "all")

    def toggled_repeat_one(self) -> PlayMode:
        """one ↔ off (Ctrl-R: repeat current)."""
        return PlayMode(self.shuffle, "off" if self.repeat == "one" else "one")


@dataclass
class _Fed:
    """One commit: the entry, and how to undo what it did to the cycle."""

    index: int | None  # None once a queue edit deleted the entry
    from_upcoming: bool  # it was taken out of the cycle's upcoming entries
    replaced: list[int] | None = None  # it began a new cycle: the old one's leftovers


@dataclass
class PlayOrder:
    length: int  # entries in the queue
    mode: PlayMode = field(default_factory=PlayMode)
    album_of: Callable[[int], Hashable | None] = lambda index: None
    rng: random.Random = field(default_factory=random.Random)
    _upcoming: list[int] = field(default_factory=list)  # this cycle's entries not yet fed
    _next_cycle: list[int] | None = None  # drawn when peeked past the end of this cycle
    _fed: list[_Fed] = field(default_factory=list)
    _resumed: bool = False  # a jump to the entry on top of the history: not fed anew

    def begin(self, index: int | None) -> None:
        """A new run starts at ``index``: a fresh cycle (it is committed when fed)."""
        self._fed, self._next_cycle, self._resumed = [], None, False
        self._upcoming = self._draw(avoid=None) if self.mode.shuffle != "off" else []
        if index is not None and index in self._upcoming:
            self._upcoming = self._opening_with(index, self._upcoming)

    def _opening_with(self, index: int, cycle: list[int]) -> list[int]:
        """``cycle`` opened by ``index`` (in album shuffle: its album from it on; the album's
        entries before it sit out this cycle, as a started album would have played them)."""
        key = self.album_of(index) if self.mode.shuffle == "albums" else None
        album = {i for i in cycle if i == index or (key is not None and self.album_of(i) == key)}
        return [i for i in sorted(album) if i >= index] + [i for i in cycle if i not in album]

    def set_mode(self, mode: PlayMode, current: int | None) -> None:
        """Switching shuffle on draws a cycle of what has not been fed yet; repeat needs nothing."""
        shuffle_changed = mode.shuffle != self.mode.shuffle
        self.mode = mode
        if shuffle_changed:
            self._next_cycle = None
            drawn = [] if mode.shuffle == "off" else self._draw(avoid=current)
            if current is not None and current in drawn:  # the playing album finishes first
                drawn = self._opening_with(current, drawn)
            self._upcoming = [index for index in drawn if index != current]  # it is playing

    # -- deciding ---------------------------------------------------------------------------

    def following(self, index: int, *, by_itself: bool, detached: bool = False) -> int | None:
        """The entry after ``index``: when it ends by itself, or on `next` (None: the run ends).

        ``detached``: the entry was deleted while playing, ``index`` is where it stood (the
        slot of what followed it), and what now follows it plays next.
        """
        if by_itself and self.mode.repeat == "one" and not detached:
            return index
        wraps = self.mode.repeat == "all" and self.length > 0
        if self.mode.shuffle == "off":
            following = index if detached else index + 1
            return following if following < self.length else 0 if wraps else None
        rest = self._upcoming
        if index in rest and not detached:  # not committed (unplayable): what comes after it
            rest = rest[rest.index(index) + 1 :]
        if rest:
            return rest[0]
        if not wraps:
            return None
        if self._next_cycle is None:
            self._next_cycle = self._draw(avoid=index)
        return self._next_cycle[0]

    def back(self, current: int | None) -> int | None:
        """`previous` in shuffle from ``current`` (heard, or a jump's target): the entry fed
        before it, taken off the history (`next` then returns to ``current``); None when
        there is none (the caller restarts ``current``)."""
        fed = self._fed
        if fed and (fed[-1].index == current or (fed[-1].index is None and current is None)):
            if len(fed) < 2:
                self._resumed = True
                return None
            self.retract()
        while fed and fed[-1].index is None:  # deleted from the queue since
            self.retract()
        self._resumed = bool(fed)
        return fed[-1].index if fed else None

    # -- what the player did ----------------------------------------------------------------

    def jumping_to(self, index: int) -> None:
        """A jump (seek, restart) to the entry on top of the history feeds it again without
        counting it twice."""
        self._resumed = bool(self._fed) and self._fed[-1].index == index

    def commit(self, index: int | None) -> None:
        """The player starts feeding ``index`` (None: an entry deleted since)."""
        if index is None:
            self._fed.append(_Fed(None, from_upcoming=False))
            return
        if self._resumed and self._fed and self._fed[-1].index == index:
            self._resumed = False
            return
        self._resumed = False
        record = _Fed(index, from_upcoming=False)
        if index in self._upcoming:
            self._upcoming.remove(index)
            record.from_upcoming = True
        elif self._next_cycle is not None and index in self._next_cycle:
            record.replaced, self._upcoming = self._upcoming, self._next_cycle
            self._upcoming.remove(index)
            record.from_upcoming, self._next_cycle = True, None
        elif self.mode.shuffle != "off" and not self._upcoming and self.mode.repeat == "all":
            record.replaced = []  # a jump past the cycle's end: the next one starts here
            self._upcoming = [entry for entry in self._draw(avoid=index) if entry != index]
        self._fed.append(record)

    def retract(self) -> None:
        """The last committed entry's audio was dropped before it was heard: undo the commit."""
        if not self._fed:
            return
        record = self._fed.pop()
        self._resumed = False
        if record.replaced is not None:
            following = self._upcoming
            if record.from_upcoming and record.index is not None:
                following = [record.index, *following]
            self._upcoming, self._next_cycle = record.replaced, following
        elif record.from_upcoming and record.index is not None:
            self._upcoming.insert(0, record.index)

    @property
    def history(self) -> list[int | None]:
        """The entries fed, in order (None: deleted since)."""
        return [record.index for record in self._fed]

    # -- queue edits ------------------------------------------------------------------------

    def remap(self, moved: Sequence[int | None], added: Sequence[int], *, play_next: bool) -> None:
        """The queue was edited: ``moved[old]`` is each old entry's new index (None: deleted),
        ``added`` the new entries, played next (in order) or in this cycle's remaining ones."""

        def mapped(indices: list[int]) -> list[int]:
            return [moved[index] for index in indices if moved[index] is not None]  # type: ignore[misc]

        self.length = sum(index is not None for index in moved) + len(added)
        self._upcoming = mapped(self._upcoming)
        self._next_cycle = None if self._next_cycle is None else mapped(self._next_cycle)
        for record in self._fed:
            record.index = None if record.index is None else moved[record.index]
            record.replaced = None if record.replaced is None else mapped(record.replaced)
        if self.mode.shuffle == "off" or not added:
            return
        if play_next:
            self._upcoming[:0] = list(added)
        else:
            self._upcoming += self.rng.sample(list(added), len(added))

    # -- drawing a cycle --------------------------------------------------------------------

    def _draw(self, avoid: int | None) -> list[int]:
        """A cycle's order; ``avoid`` (what just played) does not open it when it can help."""
        if self.mode.shuffle == "albums":
            albums: dict[Hashable, list[int]] = {}
            for index in range(self.length):
                key = self.album_of(index)
                albums.setdefault(("entry", index) if key is None else ("album", key), []).append(
                    index
                )
            groups = list(albums.values())
            self.rng.shuffle(groups)
            if len(groups) > 1 and avoid in groups[0]:
                groups.append(groups.pop(0))
            return [index for group in groups for index in group]
        order = self.rng.sample(range(self.length), self.length)
        if len(order) > 1 and order[0] == avoid:
            order.append(order.pop(0))
        return order
