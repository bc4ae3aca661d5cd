"""Run the sandbox over HTTPS with a locally made certificate authority.

Real Salesforce and Marketo clients speak HTTPS only; the sandbox does too, so extraction takes the
same code path in production and in tests. Clients trust the sandbox through the CA file written to
``tls_dir/ca.pem`` (the connection's ``verify`` extra), never by turning verification off.
"""

from __future__ import annotations

import signal
import sys
import tempfile
from pathlib import Path

import trustme
import uvicorn
from leadflow.timefmt import parse_instant

from leadflow_dev.sandbox.app import create_app
from leadflow_dev.sandbox.faults import FaultPlan
from leadflow_dev.sandbox.sheets import LeadSheet, write_service_account
from leadflow_dev.sandbox.state import SandboxState
from leadflow_dev.sandbox.store import FixtureStore


def write_certificates(tls_dir: Path) -> tuple[Path, Path, Path]:
    """Create (or reuse) a CA and a server certificate for localhost; return (ca, cert, key) paths."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = tls_dir / "ca.pem", tls_dir / "server.pem", tls_dir / "server.key"
    if not (ca_path.exists() and cert_path.exists() and key_path.exists()):
        ca = trustme.CA()
        server = ca.issue_cert("localhost", "127.0.0.1", "::1", "sandbox")  # "sandbox": its compose service
        ca.cert_pem.write_to_path(str(ca_path))
        server.private_key_pem.write_to_path(str(key_path))
        server.cert_chain_pems[0].write_to_path(str(cert_path))
        for extra in server.cert_chain_pems[1:]:
            with cert_path.open("ab") as handle:
                handle.write(extra.bytes())
    return ca_path, cert_path, key_path


def build_state(
    fixtures: Path,
    as_of: str | None,
    faults: str | None,
    seed: int,
    client_id: str,
    client_secret: str,
    page_size: int,
    workdir: Path,
    service_account: Path | None = None,
) -> SandboxState:
    store = FixtureStore(fixtures, workdir / "fixtures.duckdb")
    return SandboxState(
        sheet=LeadSheet.load(fixtures, service_account) if service_account else None,
        store=store,
        clock=parse_instant(as_of or store.manifest_as_of),
        faults=FaultPlan.parse(faults, seed=seed),
        client_id=client_id,
        client_secret=client_secret,
        page_size=page_size,
    )


def serve(
    fixtures: Path,
    port: int,
    tls_dir: Path,
    as_of: str | None = None,
    faults: str | None = None,
    seed: int = 0,
    client_id: str = "leadflow",
    client_secret: str = "sandbox-secret",
    host: str = "127.0.0.1",
    page_size: int = 2000,
) -> None:
    _, cert, key = write_certificates(tls_dir)
    # the address a token request reaches it at: listening on every interface, it is compose's
    # service ``sandbox`` (a name its certificate holds)
    advertised = "sandbox" if host == "0.0.0.0" else host
    service_account = write_service_account(tls_dir, f"https://{advertised}:{port}")
    # The fixture's index (a million leads: gigabytes) goes when the sandbox stops. Uvicorn
    # shuts down on SIGTERM, then raises the signal again for the handler it found: this one
    # exits the interpreter normally, so the directory is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="leadflow-sandbox-") as workdir:
        state = build_state(
            fixtures, as_of, faults, seed, client_id, client_secret, page_size, Path(workdir), service_account
        )
        uvicorn.run(
            create_app(state),
            host=host,
            port=port,
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
            log_level="warning",
            date_header=False,  # the app's Date is the sandbox clock (app.SourceDate)
            timeout_graceful_shutdown=1,  # clients keep connections alive: do not wait for them on SIGTERM
        )
