#!/usr/bin/env bash
# Idempotent set-up for `make run` / `make test`: system packages (apt, when root),
# the .venv with the package installed editable, and the Rust crate when it exists.
# Usage: scripts/setup.sh [run|test]
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}

# PortAudio reaches PulseAudio through ALSA's pulse plugin (libasound2-plugins).
system_packages=(libportaudio2 libasound2-plugins pulseaudio pulseaudio-utils)
if [ "$mode" = test ]; then
  # Real music for the tests that use it, tmux for the terminal test, PostgreSQL's server
  # for the database tests' second dialect (their fixture starts it in a temp dir).
  system_packages+=(asc-music drascula-music tmux postgresql)
  system_packages+=(mpv)  # plays the mastered .m3u8 lists in tests/server/http/test_audio_files.py
fi
if [ -d rust-dsp ]; then
  # protoc for the gRPC code, libsoxr for the same resampler python-soxr uses.
  system_packages+=(protobuf-compiler libsoxr-dev)
fi

missing=()
for pkg in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing system packages; install them with:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
  fi
fi

python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv"
  if ! "$python" -m venv "$venv"; then
    echo "setup: '$python -m venv' failed; install it with: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi

stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing auralis into $venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -e '.[dev]'
  touch "$stamp"
fi

if [ -d rust-dsp ]; then
  binary=rust-dsp/target/release/auralis-dsp-server
  stale=yes
  if [ -x "$binary" ] && [ -z "$(find rust-dsp/src rust-dsp/build.rs rust-dsp/Cargo.toml \
      rust-dsp/Cargo.lock proto -newer "$binary" -print -quit)" ]; then
    stale=
  fi
  # rustup installs cargo in ~/.cargo/bin, which a non-login shell may not have on PATH.
  if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if [ -z "$stale" ]; then
    :
  elif ! command -v cargo >/dev/null; then
    echo "setup: cargo not found; the Python fingerprint fallback will serve" >&2
  elif ! (cd rust-dsp && cargo build --release --quiet); then
    if [ "$mode" = test ]; then
      exit 1
    fi
    echo "setup: the Rust fingerprint server did not build; the Python fallback will serve" >&2
  fi
fi
