"""Generated gRPC stubs for proto/fingerprint.proto (scripts/generate_grpc_stubs.sh); not edited by hand.

Imports: (none).
"""
