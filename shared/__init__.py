"""The client–server contract: wire format, chunk geometry, stream parameters, fingerprint table.

Nothing here may import server-only packages (peewee, starlette); the TUI and the Rust
crate's test vectors depend on this package alone.
"""
