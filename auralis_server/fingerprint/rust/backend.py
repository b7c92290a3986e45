"""Which Rust fingerprint servers the queue uses, from the ``fingerprint_servers`` setting.

``auto`` (the default) runs the binary `make setup` builds as a supervised child when it
exists, and computes in Python when it does not; ``none`` always computes in Python;
``host:port,host:port`` uses those servers (round robin) and starts none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from auralis_server.fingerprint.rust.client import RustFingerprinter
from auralis_server.fingerprint.rust.supervisor import DspSupervisor, find_binary

log = logging.getLogger("auralis.dsp")


@dataclass
class RustBackend:
    mode: str  # "supervised", "external" or "off"
    fingerprinter: RustFingerprinter | None = None
    supervisor: DspSupervisor | None = None
    addresses: tuple[str, ...] = ()

    def start(self) -> None:
        if self.supervisor is not None:
            self.supervisor.start()
            if not self.supervisor.wait_until_up():
                log.warning("the Rust fingerprint server is not up yet; Python computes meanwhile")

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
        if self.fingerprinter is not None:
            self.fingerprinter.close()

    def current_addresses(self) -> tuple[str, ...]:
        if self.supervisor is not None:
            address = self.supervisor.address
            return (address,) if address else ()
        return self.addresses

    def health(self) -> dict[str, Any]:
        """What /api/health says of it; asks each server's gRPC health service."""
        reachable = self.fingerprinter.reachable() if self.fingerprinter is not None else []
        report: dict[str, Any] = {
            "configured": self.mode != "off",
            "mode": self.mode,
            "addresses": list(self.current_addresses()),
            "reachable": bool(reachable),
            "serving": reachable,
        }
        if self.supervisor is not None:
            report["pid"] = self.supervisor.pid
            report["restarts"] = self.supervisor.restarts
        return report


def rust_backend(setting: str) -> RustBackend:
    if setting == "none":
        return RustBackend("off")
    if setting == "auto":
        binary = find_binary()
        if binary is None:
            log.info("no auralis-dsp-server binary (make setup builds it); fingerprints in Python")
            return RustBackend("off")
        backend = RustBackend("supervised", supervisor=DspSupervisor(binary))
    else:
        backend = RustBackend("external", addresses=tuple(setting.split(",")))
    backend.fingerprinter = RustFingerprinter(backend.current_addresses)
    return backend
