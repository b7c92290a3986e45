"""The search line: hidden until ``/``; Escape empties and hides it and says so."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.message import Message
from textual.widgets import Input


class SearchBar(Input):
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "close", "back")]

    class Closed(Message):
        """The search was left: the results give way to the browsed list."""

    def open(self) -> None:
        self.add_class("open")
        self.focus()

    def action_close(self) -> None:
        self.remove_class("open")
        if self.value:
            self.value = ""  # Changed reloads the browsed album
        self.post_message(self.Closed())
