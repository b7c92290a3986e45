"""Adaptive mastering (SPEC §5): presets, the plan decided once per track from its fingerprint
values, and the chain that renders it (EQ, dynamics, gain, true-peak limiter).

Pure DSP: a plan is a function of numbers, the chain a function of samples and a plan.

Imports: audio.
"""
