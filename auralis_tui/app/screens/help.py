"""The help screen: every key, from the same table the bindings are made of."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from auralis_tui.app.keys import ALL_KEYS


def help_lines() -> list[str]:
    width = max(len(key.shown) for key in ALL_KEYS)
    return [f"{key.shown:>{width}}  {key.help or key.label}" for key in ALL_KEYS]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "close", show=True),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("Auralis — keys", id="help-title", markup=False)
            yield Static("\n".join(help_lines()), id="help-keys", markup=False)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
