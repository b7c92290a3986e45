"""`auralis ctl`: a running player (the TUI or `auralis play`) controlled from a shell.

The player listens on one Unix socket in ``$XDG_RUNTIME_DIR`` (paths.py); each request is
one JSON object on a line and gets one JSON line back (protocol.py). The player's side
(server.py) answers with the same session controls the keys call, so a remote `pause` goes
through the command queue a space bar press does; client.py is `auralis ctl` itself.
"""
