#!/usr/bin/env bash
# Regenerates the committed Python gRPC stubs from proto/fingerprint.proto.
# Needs grpcio-tools (pip install grpcio-tools); run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
"$python" -m grpc_tools.protoc \
  -Iauralis_server/fingerprint/rust/stubs=proto \
  --python_out=. --pyi_out=. --grpc_python_out=. \
  auralis_server/fingerprint/rust/stubs/fingerprint.proto
