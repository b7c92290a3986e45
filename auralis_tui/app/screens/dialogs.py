"""Small modal questions: a name to type, a yes or no, a playlist to pick.

Each dismisses with its answer, or None when the user presses Escape, so the caller's
callback does nothing on a change of mind.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

T = TypeVar("T")


class _Dialog(ModalScreen[T | None], Generic[T]):
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def action_cancel(self) -> None:
        self.dismiss(None)


class NamePrompt(_Dialog[str]):
    """A playlist's name: Enter with some text answers it."""

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text, self.value = title, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            yield Input(self.value, id="name")

    @on(Input.Submitted, "#name")
    def submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())


class Confirm(_Dialog[bool]):
    """``y`` answers True; ``n`` or Escape, nothing."""

    BINDINGS = [
        Binding("y", "answer(True)", "yes"),
        Binding("n,escape", "cancel", "no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{self.question} (y/n)", markup=False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PlaylistPicker(_Dialog[int]):
    """One of the server's playlists, by id."""

    def __init__(self, playlists: list[tuple[int, str]]) -> None:
        super().__init__()
        self.playlists = playlists

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add to which playlist? (Enter; Esc: none)")
            yield OptionList(
                *(Option(name, str(playlist_id)) for playlist_id, name in self.playlists),
                id="pick",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#pick", OptionList).highlighted = 0

    @on(OptionList.OptionSelected, "#pick")
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))
