#!/usr/bin/env bash
# `make run`: the server on its embedded default (~/Music, else the demo album) and the TUI
# against it; the server stops when the TUI exits. If a server already listens on the
# configured port, the TUI uses that one and leaves it running. Without a terminal
# (a service, a script), the server alone runs in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}

if [ ! -t 0 ] || [ ! -t 1 ]; then
  exec "$venv/bin/auralis-server" serve --demo-if-empty
fi

state=${XDG_STATE_HOME:-$HOME/.local/state}/auralis
mkdir -p "$state"
log="$state/server.log"
"$venv/bin/auralis-server" serve --demo-if-empty >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

url=
for _ in $(seq 1 600); do
  url=$(sed -n 's|^  \(http://[^ ]*\)$|\1|p' "$log" | head -n 1)
  [ -n "$url" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    busy=$(sed -n 's|^auralis-server: cannot listen on \(.*\): Address already in use$|\1|p' "$log")
    if [ -n "$busy" ]; then
      url="http://${busy/0.0.0.0/127.0.0.1}"
      echo "make run: a server already listens on $busy; using it"
      break
    fi
    echo "make run: the server stopped (log: $log):" >&2
    tail -n 5 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "make run: the server did not start within 60 s (log: $log)" >&2
  exit 1
fi
"$venv/bin/auralis" --server "$url"
