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
    Key("1", "1", "view('library')", "library", "library: artists → albums → tracks"),
    Key("2", "2", "view('queue')", "queue", "the queue"),
    Key("3", "3", "view('info')", "info", "fingerprint and mastering plan of the track"),
    Key("p", "p", "cycle_preset", "preset", "next mastering preset (from the next chunk, crossfaded)"),
    Key("left_square_bracket", "[", "intensity(-0.1)", "intensity-", "mastering intensity −0.1",
        in_footer=False),  # fmt: skip
    Key("right_square_bracket", "]", "intensity(0.1)", "intensity+", "mastering intensity +0.1",
        in_footer=False),  # fmt: skip
    Key("question_mark", "?", "help", "help", "this help"),
    Key("q", "q", "quit", "quit", "quit"),
)

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


def bindings(keys: tuple[Key, ...]) -> list[Binding]:
    return [Binding(k.keys, k.action, k.label, show=k.in_footer) for k in keys]
