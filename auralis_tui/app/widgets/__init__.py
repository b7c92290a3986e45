"""The parts the screens are made of: browse panes, track table, search, now-playing bar."""
