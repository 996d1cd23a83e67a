"""`wandb verify`, the check W&B ships for server installations, against the emulator
served over https with a throwaway self-signed certificate."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from certs import self_signed_certificate
from conftest import EmulatorProcess

from wandb_emulator.config import Config

CHECKS = [
    "Checking if logged in",
    "Checking signed URL upload",
    "Checking ability to send large payloads through proxy",
    "Checking requests to base url",
    "Checking requests made over signed URLs",
    "Checking CORs configuration of the bucket",
    "Checking wandb package version is up to date",
    "Checking logged metrics, saving and downloading a file",
    "Checking artifact save and download workflows",
    "Checking sweep creation and agent execution",
]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    certs = tmp_path_factory.mktemp("tls")
    cert, key = self_signed_certificate(certs)
    config = Config(log_level="warning", tls_cert=cert, tls_key=key)
    with EmulatorProcess(certs / "data", config) as server:
        yield server


def _verify_environ(server: EmulatorProcess, api_key: str, home: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    environ.update(
        SSL_CERT_FILE=str(server.config.tls_cert),
        REQUESTS_CA_BUNDLE=str(server.config.tls_cert),
        WANDB_BASE_URL=server.base_url,
        WANDB_API_KEY=api_key,
        WANDB_CONFIG_DIR=str(home / "config"),
        WANDB_CACHE_DIR=str(home / "cache"),
        WANDB_DATA_DIR=str(home / "data"),
        WANDB_ERROR_REPORTING="false",
        NETRC=str(home / "netrc"),
        HOME=str(home),
    )
    return environ


@pytest.mark.local_blobs  # its URLs or files are the local store's
def test_wandb_verify_passes_every_check_over_https(
    tls_server: EmulatorProcess, tmp_path: Path
) -> None:
    assert_wandb_verify_passes(tls_server, tmp_path)


def assert_wandb_verify_passes(server: EmulatorProcess, home: Path) -> None:
    """Run `wandb verify` against the server as a new user; every check must pass."""
    user = server.accounts.user()
    wandb_cli = Path(sys.executable).parent / "wandb"
    result = subprocess.run(
        [str(wandb_cli), "verify", "--host", server.base_url],
        env=_verify_environ(server, user.api_key, home),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    results = {
        line.split(".", 1)[0]: line.rstrip()[-1] for line in output.splitlines() if "..." in line
    }
    assert results == {check: "\u2705" for check in CHECKS}, output
    assert "\u274c" not in output


def test_file_endpoints_answer_preflights_from_the_servers_origin(
    tls_server: EmulatorProcess,
) -> None:
    origin = tls_server.base_url
    with httpx.Client(base_url=tls_server.base_url, verify=tls_server.verify) as http:
        for path, method in [("/storage/blob/token/a.txt", "GET"), ("/storage/upload/x", "PUT")]:
            allowed = http.options(
                path,
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "content-md5, content-type",
                },
            )
            assert allowed.status_code == 200, allowed.text
            assert allowed.headers["access-control-allow-origin"] == origin
            assert method in allowed.headers["access-control-allow-methods"]
            assert "content-md5" in allowed.headers["access-control-allow-headers"].lower()
        foreign = http.options(
            "/storage/blob/token/a.txt",
            headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
        )
        assert foreign.status_code == 400
        assert "access-control-allow-origin" not in foreign.headers
        # Not a file endpoint: no CORS there.
        graphql = http.options(
            "/graphql", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in graphql.headers


@pytest.mark.local_blobs  # a bucket's upload URLs are its own
def test_printed_and_signed_urls_use_https(tls_server: EmulatorProcess) -> None:
    user = tls_server.accounts.user()
    assert f"export WANDB_BASE_URL={tls_server.base_url}" in tls_server.log()
    mutation = """mutation ($entity: String!, $run: String!, $files: [String!]!) {
        upsertBucket(input: {entityName: $entity, modelName: "p", name: $run}) { inserted }
        createRunFiles(input: {entityName: $entity, projectName: "p", runName: $run,
                               files: $files}) { files { name uploadUrl } } }"""
    variables = {"entity": user.username, "run": "r1", "files": ["a.txt"]}
    response = tls_server.graphql(user.api_key, mutation, variables)
    [file] = response.json()["data"]["createRunFiles"]["files"]
    assert file["uploadUrl"].startswith(tls_server.base_url + "/storage/upload/")


def test_public_url_overrides_the_tls_scheme(tmp_path: Path) -> None:
    config = Config(port=8443, tls_cert=tmp_path / "c.pem", tls_key=tmp_path / "k.pem")
    assert config.base_url == "https://127.0.0.1:8443"
    assert replace(config, public_url="http://proxy.local/wb/").base_url == "http://proxy.local/wb"
