"""The Auralis server: library, fingerprints, mastering and chunk streaming over HTTP."""

__version__ = "0.1.0"
