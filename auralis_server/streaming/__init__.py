"""Chunks out: plans for tracks (from stored fingerprints or cold from the audio), the
renderer that masters chunk i exactly as a whole-track render would, the rendered-chunk
cache, and encoding chunks into wire frames.

Imports: audio, fingerprint, fingerprint.dsp, library, mastering.
"""
