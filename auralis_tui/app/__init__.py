"""The Textual user interface (``auralis`` with no command)."""
