"""TLS is verified: a provincial extranet's own CA works when configured, and only then."""

from __future__ import annotations

import subprocess

import pytest
import requests

from hallclient.platform.client import PlatformClient, TransientError
from hallclient.servers.platform_sim import RunningServer, create_app

from .test_platform_sim import API


def make_ca_and_cert(d):
    """A county CA and a server certificate for 127.0.0.1 signed by it (openssl)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=County CA",
        "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"))
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.pem"), "-CAkey", str(d / "ca.key"),
        "-CAcreateserial", "-days", "2", "-extfile", str(d / "ext.cnf"), "-out", str(d / "server.pem"))
    return d / "ca.pem", d / "server.pem", d / "server.key"


@pytest.fixture
def tls_sim(tmp_path):
    ca, cert, key = make_ca_and_cert(tmp_path)
    server = RunningServer(create_app(tmp_path / "platform"), certfile=str(cert), keyfile=str(key))
    requests.post(server.url + API + "/admin/devices", json={"device_id": "W01", "secret": "pw"},
                  timeout=5, verify=str(ca)).raise_for_status()
    yield server, ca
    server.stop()


def test_the_configured_ca_is_trusted(tls_sim):
    server, ca = tls_sim
    assert server.url.startswith("https://")
    client = PlatformClient(server.url, "W01", "pw", ca_bundle=str(ca))
    assert client.changes(0) == ([], 0)
    client.close()


def test_an_unknown_ca_is_refused(tls_sim):
    server, _ = tls_sim
    client = PlatformClient(server.url, "W01", "pw")           # system CAs only
    with pytest.raises(TransientError, match="证书"):
        client.changes(0)
    client.close()
