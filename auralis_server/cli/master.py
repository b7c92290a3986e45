"""`auralis-server master IN [-o OUT]`: master one audio file to a new file, offline.

``--preset auto`` lets the plan's rule table pick the preset; the summary says which and why.

Any file soundfile decodes, in the library or not: its plan inputs come from the Rust
fingerprint server when one is built (as ``serve`` would use it), else from Python; then the
same plan and chain as streaming, rendered piece by piece (each piece from its own context,
so the file equals a whole-track render) into 24-bit FLAC or WAV, chosen by OUT's extension.
The file is written under a temporary name and renamed at the end, and never over IN.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from pathlib import Path

import numpy as np
import soundfile

from auralis_server.audio.loudness import LoudnessMeter
from auralis_server.audio.source import AudioReadError, StreamInfo, probe, read_frames
from auralis_server.cli.options import (
    CommandError,
    add_setting_flags,
    configure_logging,
    settings_from,
)
from auralis_server.fingerprint.dsp.analysis import FingerprintError, plan_inputs
from auralis_server.fingerprint.rust.backend import rust_backend
from auralis_server.mastering import chain
from auralis_server.mastering.plan import Plan, make_plan
from auralis_server.mastering.profile import measure_profile
from auralis_server.mastering.true_peak import true_peak_envelope
from shared.presets import DEFAULT_PRESET, PRESET_NAMES
from shared.stream_params import parse_intensity, parse_preset
from shared.terminal import progress_bar

log = logging.getLogger("auralis.master")

FORMATS = {".flac": "FLAC", ".wav": "WAV"}
PIECE_S = 10.0
_LOUDNESS_RANGE_LUFS = (-70.0, 0.0)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], where: argparse.ArgumentParser
) -> None:
    parser = commands.add_parser(
        "master", parents=[where], help="master an audio file into a new 24-bit FLAC or WAV"
    )
    parser.add_argument("input", type=Path, metavar="IN", help="any audio file")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="OUT", help="default: IN's stem + .mastered.flac"
    )
    # Validated in run(), so a bad value is one line, not argparse's usage block.
    parser.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        help=f"{', '.join(PRESET_NAMES)} (default {DEFAULT_PRESET})",
    )
    parser.add_argument("--intensity", default="1.0", help="0 (the original) to 1 (default)")
    parser.add_argument(
        "--loudness-target", metavar="LUFS", help="replace the preset's target loudness"
    )
    add_setting_flags(parser, "fingerprint_servers")
    parser.set_defaults(run=run)


def _target(value: str | None) -> float | None:
    if value is None:
        return None
    low, high = _LOUDNESS_RANGE_LUFS
    try:
        target = float(value)
    except ValueError:
        target = float("nan")
    if not low <= target <= high:  # also false for nan
        raise CommandError(f"--loudness-target must be a LUFS value in [{low:g}, {high:g}]")
    return target


def output_path(source: Path, output: Path | None) -> Path:
    """OUT, or ``<stem>.mastered.flac`` next to IN; never IN itself, always FLAC or WAV."""
    target = output if output is not None else source.with_name(f"{source.stem}.mastered.flac")
    if target.resolve() == source.resolve():
        raise CommandError(f"{target}: the output would overwrite the input")
    if target.suffix.lower() not in FORMATS:
        raise CommandError(f"{target}: the output must end in .flac or .wav")
    if not target.parent.is_dir():
        raise CommandError(f"cannot write {target}: {target.parent} is not a folder")
    return target


def _plan_inputs(path: Path, samples: np.ndarray, rate_hz: int, servers: str) -> dict[str, float]:
    """The Rust server's fingerprint when one is built or configured, else Python's inputs."""
    backend = rust_backend(servers)
    if backend.fingerprinter is not None:
        try:
            backend.start()
            values = backend.fingerprinter.compute(str(path))
            return {name: float(np.float32(value)) for name, value in values.items()}
        except Exception as exc:  # any failure: the Python path below
            log.info("Rust fingerprint failed (%s); computing in Python", exc)
        finally:
            backend.stop()
    return plan_inputs(samples, rate_hz)


def _write(samples: np.ndarray, plan: Plan, info: StreamInfo, target: Path) -> tuple[float, float]:
    """Render into a temporary file beside ``target``, then rename; (true peak dBTP, LUFS)."""
    rate = info.sample_rate_hz
    meter = LoudnessMeter(rate, info.channels)
    peak = 0.0
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with (
            soundfile.SoundFile(
                temporary, "w", rate, info.channels, "PCM_24", format=FORMATS[target.suffix.lower()]
            ) as sound,
            progress_bar("mastering") as bar,
        ):
            task = bar.add_task("master", total=len(samples))
            for piece in chain.render_pieces(samples, plan, rate, int(PIECE_S * rate)):
                sound.write(piece)
                meter.add(piece)
                peak = max(peak, float(true_peak_envelope(np.asarray(piece)).max(initial=0.0)))
                bar.advance(task, len(piece))
        os.replace(temporary, target)
    except (OSError, soundfile.LibsndfileError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise CommandError(f"cannot write {target}: {reason}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    with np.errstate(divide="ignore"):
        return float(20.0 * np.log10(peak)), meter.integrated_lufs()


def _preset_text(plan: Plan) -> str:
    """``warm`` when asked for, ``auto → bright (auto: dark spectrum …)`` when picked."""
    if plan.chosen_preset in ("", plan.preset):
        return plan.preset
    return f"{plan.preset} → {plan.chosen_preset} ({plan.reason})"


def summary(source: Path, target: Path, plan: Plan, peak_dbtp: float, lufs: float) -> str:
    lines = [
        f"{source} → {target}",
        f"preset {_preset_text(plan)} at intensity {plan.intensity:g}, LWRP region {plan.region}",
        f"loudness {plan.input_lufs:.1f} → {plan.output_lufs_estimate:.1f} LUFS planned, "
        f"{lufs:.1f} measured (target {plan.target_lufs:.1f}); true peak {peak_dbtp:.1f} dBTP",
    ]
    if plan.ceiling_limited_db > 0:
        lines.append(
            f"ceiling-limited: {plan.ceiling_limited_db:.1f} LU under the target, "
            "to keep the peaks under −1 dBTP"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    configure_logging(settings.log_level if args.log_level else "warning")
    try:
        preset, intensity = parse_preset(args.preset), parse_intensity(args.intensity)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    target_lufs = _target(args.loudness_target)
    source = args.input
    try:
        info = probe(source)
        samples = read_frames(source, 0, info.total_frames)
    except AudioReadError as exc:
        raise CommandError(f"cannot read {source}: {exc}") from None
    target = output_path(source, args.output)
    try:
        values = _plan_inputs(source, samples, info.sample_rate_hz, settings.fingerprint_servers)
    except FingerprintError as exc:
        raise CommandError(f"cannot analyse {source}: {exc}") from None
    profile = measure_profile(samples, info.sample_rate_hz)
    plan = make_plan(values, preset, intensity, target_lufs, profile)
    peak_dbtp, lufs = _write(samples, plan, info, target)
    print(summary(source, target, plan, peak_dbtp, lufs))
    return 0
