"""The Auralis server: library, fingerprints, mastering and chunk streaming over HTTP.

One package per thing the server owns; each package's docstring ends with an ``Imports:``
line naming the server packages it may use (``shared`` is always allowed), and
``tests/test_architecture.py`` holds every module to it. From the top down:
``cli`` → ``http`` → ``services`` → ``streaming`` → ``fingerprint`` / ``library`` →
``mastering`` / ``fingerprint.dsp`` → ``audio`` → ``shared``; ``config`` and ``events`` are
leaves anyone above them may use. docs/architecture.md draws the map.
"""

__version__ = "0.1.0"
