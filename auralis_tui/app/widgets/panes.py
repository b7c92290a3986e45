"""The artist and album panes: option lists with vi-style keys and plain-text names.

The stock list binds ←/→ and Enter itself; ours leave them to the app (seek, play), as in
cmus. Names are tags, so they are never read as markup.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from auralis_tui.app.keys import NAVIGATION_KEYS, bindings


class NavOptionList(OptionList, inherit_bindings=False):
    BINDINGS = bindings(NAVIGATION_KEYS)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, **kwargs)


class BrowsePane(NavOptionList):
    """A list of names, each with the id the browse filter uses."""

    def show(self, entries: list[tuple[str, str]]) -> None:
        """New (label, id) entries; the highlight stays on the same id when it is still there."""
        highlighted = self.highlighted
        keep = self.get_option_at_index(highlighted).id if highlighted is not None else None
        ids = [entry_id for _, entry_id in entries]
        self.set_options([Option(label, entry_id) for label, entry_id in entries])
        self.highlighted = ids.index(keep) if keep in ids else 0
