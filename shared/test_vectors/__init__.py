"""Cross-language fingerprint test vectors: signal recipes plus independently known answers."""
