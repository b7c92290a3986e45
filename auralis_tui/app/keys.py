"""The key map (SPEC §9, cmus/ncmpcpp habits): one table for the bindings, help and README."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    keys: str  # Textual key names, comma-separated
    shown: str  # how help and the README write it
    action: str
    label: str  # in the footer
    help: str = ""  # in the help screen
    in_footer: bool = True


APP_KEYS: tuple[Key, ...] = (
    Key("space", "space", "toggle_pause", "pause", "pause / resume"),
    Key("enter", "Enter", "play", "play", in_footer=False,
        help="play the selected track (and what follows it), or open the next pane"),  # fmt: skip
    Key("n", "n", "skip(1)", "next", "next track in the queue (stops after the last)"),
    Key("N", "N", "skip(-1)", "prev", "previous track (after 3 s: restart this one)"),
    Key("left", "←", "seek(-5)", "-5s", "seek back 5 s", in_footer=False),
    Key("right", "→", "seek(5)", "+5s", "seek forward 5 s", in_footer=False),
    Key("comma", ",", "seek(-60)", "-60s", "seek back 60 s", in_footer=False),
    Key("full_stop", ".", "seek(60)", "+60s", "seek forward 60 s", in_footer=False),
    Key("plus,equals_sign", "+", "volume(0.05)", "vol+", "volume up 5 %", in_footer=False),
    Key("minus", "-", "volume(-0.05)", "vol-", "volume down 5 %", in_footer=False),
    Key("slash", "/", "search", "search", "search as you type (Enter: to the results, Esc: back)"),
    Key("e", "e", "enqueue", "enqueue", "add the selected track, album or artist to the queue"),
    Key("E", "E", "enqueue(True)", "play next", in_footer=False,
        help="play the selection next: after the playing track (in the queue: move it there)"),  # fmt: skip
    Key("a", "a", "add_to_playlist", "to playlist", in_footer=False,
        help="add the selected track, album or artist to a playlist (you pick which)"),  # fmt: skip
    Key("s", "s", "mode('cycle_shuffle')", "shuffle", in_footer=False,
        help="shuffle: off → tracks → albums (album order kept inside) → off"),  # fmt: skip
    Key("r", "r", "mode('toggle_repeat')", "repeat", "repeat the queue: on / off",
        in_footer=False),  # fmt: skip
    Key("ctrl+r", "Ctrl-R", "mode('toggle_repeat_one')", "repeat one", in_footer=False,
        help="repeat the current track: on / off"),  # fmt: skip
    Key("m", "m", "mode('toggle_mute')", "mute", "mute / unmute (the volume is kept)",
        in_footer=False),  # fmt: skip
    Key("1", "1", "view('library')", "library", "library: artists → albums → tracks"),
    Key("2", "2", "view('queue')", "queue", "the queue"),
    Key("3", "3", "view('info')", "info", "fingerprint and mastering plan of the track"),
    Key("4", "4", "view('playlists')", "playlists", "saved playlists (kept on the server)"),
    Key("p", "p", "cycle_preset", "preset", "next mastering preset (from the next chunk, crossfaded)"),
    Key("left_square_bracket", "[", "intensity(-0.1)", "intensity-", "mastering intensity −0.1",
        in_footer=False),  # fmt: skip
    Key("right_square_bracket", "]", "intensity(0.1)", "intensity+", "mastering intensity +0.1",
        in_footer=False),  # fmt: skip
    Key("question_mark", "?", "help", "help", "this help"),
    Key("q", "q", "quit", "quit", "quit"),
)

# The queue view's own keys (bound on its screen).
QUEUE_KEYS: tuple[Key, ...] = (
    Key("d,delete", "d / Delete", "delete_entry", "delete", "queue: remove the selected entry"),
    Key("K", "K", "move_entry(-1)", "move up", "queue: move the selected entry up"),
    Key("J", "J", "move_entry(1)", "move down", "queue: move the selected entry down"),
    Key("c", "c", "clear_queue", "clear", "queue: clear it (the playing track plays to its end)"),
    Key("i", "i", "jump_to_playing", "playing", "queue: the cursor to the playing track"),
)

# The playlists view's own keys: capitals, so that `n` (next) and `d` keep their meaning.
PLAYLIST_KEYS: tuple[Key, ...] = (
    Key("C", "C", "create_playlist", "new", "playlists: create one (empty; fill it with `a`)"),
    Key("R", "R", "rename_playlist", "rename", "playlists: rename the selected one"),
    Key("D", "D", "delete_playlist", "delete", "playlists: delete the selected one (asks first)"),
)

# The track info view's own keys.
INFO_KEYS: tuple[Key, ...] = (
    Key("v", "v", "toggle_raw", "numbers",
        "track info: the fingerprint's 25 raw numbers instead of the pictures, and back"),
)  # fmt: skip

# Navigation inside lists and tables (bound on those widgets).
NAVIGATION_KEYS: tuple[Key, ...] = (
    Key("j,down", "j / ↓", "cursor_down", "down", in_footer=False),
    Key("k,up", "k / ↑", "cursor_up", "up", in_footer=False),
    Key("g,home", "g", "first", "first", in_footer=False),
    Key("G,end", "G", "last", "last", in_footer=False),
    Key("pagedown", "PgDn", "page_down", "page down", in_footer=False),
    Key("pageup", "PgUp", "page_up", "page up", in_footer=False),
    Key("tab", "Tab", "focus_next", "next pane", in_footer=False),
)


# Every table, in the order help and the README list them.
ALL_KEYS: tuple[Key, ...] = (*APP_KEYS, *QUEUE_KEYS, *PLAYLIST_KEYS, *INFO_KEYS, *NAVIGATION_KEYS)


def bindings(keys: tuple[Key, ...]) -> list[Binding]:
    return [Binding(k.keys, k.action, k.label, show=k.in_footer) for k in keys]
