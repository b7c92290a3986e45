"""Signal analysis for the fingerprint (SPEC §4): numpy/scipy only, no HTTP, no database.

Arrays are (frames, channels) float; mono analysis signals are 1-D at ``ANALYSIS_RATE_HZ``.
The Rust crate in ``rust-dsp/`` implements the same definitions; ``shared/test_vectors``
holds what both must meet.

Imports: audio.
"""
