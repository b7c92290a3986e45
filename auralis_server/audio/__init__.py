"""Audio as arrays: probing and decoding files, the array types, BS.1770 loudness, per-channel
work on a small thread pool. Used by fingerprint analysis and mastering alike.

Knows nothing of the database, HTTP or plans.

Imports: (none).
"""
