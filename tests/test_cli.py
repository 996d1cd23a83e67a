"""`wandb-emulator serve`: first start, the default user, restart, clean shutdown."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import wandb
from conftest import free_port, instance_admin_api, start_server

from wandb_emulator.config import DEFAULT_SEED_FILE

DEFAULT_SEED = json.loads(DEFAULT_SEED_FILE.read_text())
DEFAULT_KEY = DEFAULT_SEED["users"][0]["apiKey"]


def test_first_start_creates_the_data_dir_and_seeds_the_default_user(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    server = start_server(data_dir)
    try:
        assert (data_dir / "emulator.sqlite3").is_file()
        api = instance_admin_api(server.base_url)
        assert api.viewer.username == DEFAULT_SEED["users"][0]["username"]
        registry = api.create_registry("first", "organization")
        assert registry.organization == DEFAULT_SEED["organizations"][0]["name"]
        assert registry.entity == DEFAULT_SEED["organizations"][0]["orgEntityName"]
    finally:
        assert server.stop() == 0
    assert f"export WANDB_API_KEY={DEFAULT_KEY}" in server.log_path.read_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_restart_keeps_state(tmp_path: Path, sig: signal.Signals) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    api = instance_admin_api(server.base_url)
    api.create_registry("durable", "restricted", description="kept")
    assert server.stop(sig) == 0

    restarted = start_server(data_dir)
    try:
        api = instance_admin_api(restarted.base_url)
        registry = api.registry("durable")
        assert (registry.description, registry.visibility) == ("kept", "restricted")
        # The default seed is applied once, not again on restart.
        assert [r.name for r in api.registries()] == ["durable"]
    finally:
        restarted.stop()


@pytest.mark.local_blobs  # a bucket's file URLs are its own
def test_public_url_is_announced_and_used_in_file_urls(tmp_path: Path) -> None:
    port = free_port()
    public = f"http://localhost:{port}"
    server = start_server(tmp_path / "data", "--public-url", public + "/", port=port)
    try:
        api = instance_admin_api(server.base_url)
        team = DEFAULT_SEED["teams"][0]["name"]
        settings = wandb.Settings(api_key=DEFAULT_KEY, base_url=server.base_url, silent=True)
        with wandb.init(entity=team, project="p", settings=settings) as run:
            (tmp_path / "a.txt").write_text("via the public URL")
            artifact = wandb.Artifact("public", type="data")
            artifact.add_file(str(tmp_path / "a.txt"))
            run.log_artifact(artifact)
        fetched = api.artifact(f"{team}/p/public:v0")
        [entry] = list(fetched.files())
        assert entry.direct_url.startswith(public + "/storage/blob/")
        out = Path(fetched.download(root=str(tmp_path / "out")))
        assert (out / "a.txt").read_text() == "via the public URL"
    finally:
        server.stop()
    assert f"export WANDB_BASE_URL={public}" in server.log_path.read_text()


def test_export_schema_prints_the_committed_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "wandb_emulator", "export-schema"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text()
    assert out == committed


def test_control_commands_do_not_import_the_server() -> None:
    """`wandb-emulator reset/journal/fault/seed` start fast: no app, schema or web server."""
    probe = (
        "import sys\n"
        "from wandb_emulator.cli import main\n"
        "code = main(['journal', '--url', 'http://127.0.0.1:9'])\n"
        "heavy = ('wandb_emulator.app', 'wandb_emulator.graphql', 'strawberry', 'uvicorn')\n"
        "print(sorted(m for m in heavy if m in sys.modules), code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.split("\n")[-2] == "[] 2"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "missing.pem", "--tls-key", "k.pem"], "no such file: missing.pem"),
        (["--tls-cert", "bad.pem", "--tls-key", "bad.pem"], "not a usable PEM certificate"),
    ],
)
def test_serve_refuses_unusable_tls_flags(tmp_path: Path, flags: list[str], message: str) -> None:
    (tmp_path / "bad.pem").write_text("not a certificate")
    result = subprocess.run(
        [sys.executable, "-m", "wandb_emulator", "serve", "--port", str(free_port()), *flags],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
