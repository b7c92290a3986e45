"""The Rust fingerprint server from Python: the gRPC client, the supervisor that runs the
binary as a child process, and the backend choice from the ``fingerprint_servers`` setting.

Imports: audio, config, fingerprint.dsp, fingerprint.rust.stubs.
"""
