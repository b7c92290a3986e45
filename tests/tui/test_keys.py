"""The one key table: every key reaches an action, none clash on a screen, and help and the
README list them all (the bindings are made from the same table)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App

from auralis_tui.app.app import AuralisApp
from auralis_tui.app.keys import (
    ALL_KEYS,
    APP_KEYS,
    INFO_KEYS,
    NAVIGATION_KEYS,
    PLAYLIST_KEYS,
    QUEUE_KEYS,
    Key,
)
from auralis_tui.app.screens.help import help_lines
from auralis_tui.app.screens.playlists import PlaylistsScreen
from auralis_tui.app.screens.queue import QueueScreen
from auralis_tui.app.screens.track_info import TrackInfoScreen
from auralis_tui.app.widgets.track_table import TrackTable

README = Path(__file__).resolve().parents[2] / "README.md"
# Each view's own table, with the class whose actions it names.
VIEW_TABLES = {QueueScreen: QUEUE_KEYS, PlaylistsScreen: PLAYLIST_KEYS, TrackInfoScreen: INFO_KEYS}


def _names(keys: tuple[Key, ...]) -> list[str]:
    return [name.strip() for key in keys for name in key.keys.split(",")]


@pytest.mark.parametrize("screen", list(VIEW_TABLES), ids=lambda s: s.__name__)
def test_no_key_means_two_things_on_a_screen(screen: type) -> None:
    names = _names((*APP_KEYS, *VIEW_TABLES[screen], *NAVIGATION_KEYS))
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_every_key_names_an_action_that_exists() -> None:
    owners: list[tuple[type, tuple[Key, ...]]] = [
        (AuralisApp, APP_KEYS),
        (TrackTable, NAVIGATION_KEYS),
        *VIEW_TABLES.items(),
    ]
    for owner, keys in owners:
        for key in keys:
            action = re.match(r"\w+", key.action).group()  # type: ignore[union-attr]
            found = hasattr(owner, f"action_{action}") or hasattr(App, f"action_{action}")
            assert found, (owner.__name__, key)


def test_help_and_the_readme_list_every_key() -> None:
    text = README.read_text()
    help_text = "\n".join(help_lines())
    for key in ALL_KEYS:
        assert f"| `{key.shown}` | {key.help or key.label} |" in text, key
        assert re.search(rf"^ *{re.escape(key.shown)}  {re.escape(key.help or key.label)}$",
                         help_text, re.M), key  # fmt: skip
    assert {*APP_KEYS, *QUEUE_KEYS, *PLAYLIST_KEYS, *INFO_KEYS, *NAVIGATION_KEYS} == set(ALL_KEYS)
