"""Queue edits as pure functions: the new queue, and where each old entry went.

The player applies an edit to its queue and moves everything that names queue entries (the
timeline, a pending jump, the play order) along with ``moved``; the session's queue is the
player's, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from auralis_tui.engine.commands import Append, Clear, Delete, InsertNext, Move, QueueEdit


@dataclass(frozen=True)
class Edited:
    queue: list[int]
    moved: list[int | None]  # each old entry's new index; None: deleted
    added: list[int]  # the new indices of inserted entries
    play_next: bool  # the inserted entries play next (else they join what is to come)


def apply_edit(
    queue: list[int], edit: QueueEdit, playing: int | None, *, detached: bool = False
) -> Edited:
    """``edit`` applied to ``queue``; ``playing`` is the playing entry's index (None: nothing
    plays), which ``Clear`` keeps and ``InsertNext`` inserts after. ``detached``: the playing
    entry was deleted and ``playing`` is the place of what followed it."""
    kept: list[int | None] = list(range(len(queue)))  # the new queue, as old indices (None: added)
    added: tuple[int, ...] = ()
    match edit:
        case Delete(index) if 0 <= index < len(queue):
            del kept[index]
        case Move(index, delta) if 0 <= index < len(queue):
            kept.insert(min(max(0, index + delta), len(queue) - 1), kept.pop(index))
        case Clear():
            kept = [playing] if playing is not None and not detached else []
        case InsertNext(track_ids):
            added = track_ids
            at = 0 if playing is None else playing if detached else playing + 1
            kept[at:at] = [None] * len(added)
        case Append(track_ids):
            added = track_ids
            kept += [None] * len(added)
    fresh = iter(added)
    moved: list[int | None] = [None] * len(queue)
    for new_index, old_index in enumerate(kept):
        if old_index is not None:
            moved[old_index] = new_index
    return Edited(
        [queue[old] if old is not None else next(fresh) for old in kept],
        moved,
        [new_index for new_index, old_index in enumerate(kept) if old_index is None],
        isinstance(edit, InsertNext),
    )


def slot_after(moved: list[int | None], first: int, length: int) -> int:
    """The new place of the gap before old entry ``first``: the first entry after it that is
    left (``length``, the new queue's, when none is). A deleted playing entry keeps one."""
    after = [place for place in moved[first:] if place is not None]
    return min(after) if after else length
