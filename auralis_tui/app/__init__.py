"""The Textual user interface (``auralis`` with no command).

``app.py`` is a thin ``App``: global keys, the server's event stream, and the three views
as modes; ``screens/`` holds the views (library, queue, track info) and the help;
``widgets/`` the parts they are made of (browse panes, track table, search, now-playing
bar). ``catalog.py`` is what the client knows about tracks. Playback lives in
``auralis_tui.engine`` (no Textual there); widgets show tags as plain text, never markup.
"""
