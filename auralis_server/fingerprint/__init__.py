"""Fingerprints of library tracks: the background queue and its worker processes, the sources
tried in SPEC order (database row, ``.25d`` sidecar, Rust server, Python), the store.

Owns the ``Fingerprint`` rows' contents and each track's ``fingerprint_status``. The 25
dimensions themselves live in ``fingerprint.dsp``; the Rust server's client and supervisor
in ``fingerprint.rust``.

Imports: audio, config, fingerprint.dsp, fingerprint.rust, library, mastering.
"""
