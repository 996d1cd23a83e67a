"""`wandb-emulator serve`: first start, the default user, restart, clean shutdown."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import wandb
from conftest import ON_POSTGRES, EmulatorProcess, instance_admin_api

from wandb_emulator.cli import NOT_SERVE_OPTIONS, _config_from_args, build_parser, serve_arguments
from wandb_emulator.config import DEFAULT_SEED_FILE, Config
from wandb_emulator.testing import free_port

DEFAULT_SEED = json.loads(DEFAULT_SEED_FILE.read_text())
DEFAULT_KEY = DEFAULT_SEED["users"][0]["apiKey"]


def test_first_start_creates_the_data_dir_and_seeds_the_default_user(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    server = EmulatorProcess(data_dir).start()
    try:
        assert data_dir.is_dir()
        assert (data_dir / "emulator.sqlite3").is_file() != ON_POSTGRES
        api = instance_admin_api(server.base_url)
        assert api.viewer.username == DEFAULT_SEED["users"][0]["username"]
        registry = api.create_registry("first", "organization")
        assert registry.organization == DEFAULT_SEED["organizations"][0]["name"]
        assert registry.entity == DEFAULT_SEED["organizations"][0]["orgEntityName"]
    finally:
        assert server.stop() == 0
    assert f"export WANDB_API_KEY={DEFAULT_KEY}" in server.log()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_restart_keeps_state(tmp_path: Path, sig: signal.Signals) -> None:
    server = EmulatorProcess(tmp_path / "data").start()
    api = instance_admin_api(server.base_url)
    api.create_registry("durable", "restricted", description="kept")
    assert server.stop(sig) == 0

    restarted = server.restarted()
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
    config = Config(log_level="warning", public_url=public + "/")
    server = EmulatorProcess(tmp_path / "data", config, port=port).start()
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
    assert f"export WANDB_BASE_URL={public}" in server.log()


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


# Every Config field `serve` has an option for, set to a value other than its default.
EVERY_SERVE_OPTION = Config(
    data_dir=Path("/tmp/somewhere/data"),
    host="0.0.0.0",
    port=18080,
    fixture_port=19015,
    public_url="https://emulator.test/wb",
    tls_cert=Path("/tmp/cert.pem"),
    tls_key=Path("/tmp/key.pem"),
    storage_regions=("coreweave-us", "minio-local"),
    seed_file=Path("/tmp/seed.yaml"),
    log_level="debug",
    journal_size=7,
    emulator_endpoints=False,
    automations_synchronous=True,
    webhook_timeout_s=2.5,
    webhook_retries=0,
    webhook_backoff_ms=10,
    control_token="a-token",
    journal_entry_bytes=100,
    journal_total_bytes=1000,
    pending_max_age_seconds=60,
    metrics_public=True,
    log_format="json",
    fast_execution=False,
    database_url="postgresql://user:secret@127.0.0.1:5432/emulator",
    blob_store="s3://a-bucket/emulator",
    s3_endpoint_url="http://127.0.0.1:9000",
)


def parsed(argv: list[str]) -> Config:
    return _config_from_args(build_parser().parse_args(["serve", *argv]))


def test_serve_arguments_build_the_same_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """A subprocess emulator gets every setting of its Config: an option added to `serve`
    (and Config) without its way back fails here until EVERY_SERVE_OPTION sets it."""
    monkeypatch.delenv("WANDB_EMULATOR_CONTROL_TOKEN")  # serve's fallback for no token
    defaults = Config()
    unset = {
        name
        for name in vars(defaults)
        if getattr(EVERY_SERVE_OPTION, name) == getattr(defaults, name)
    }
    assert unset == NOT_SERVE_OPTIONS
    assert parsed(serve_arguments(EVERY_SERVE_OPTION)) == EVERY_SERVE_OPTION
    assert serve_arguments(defaults) == []
    assert parsed([]) == defaults  # serve's defaults are Config's


@pytest.mark.parametrize(("setting", "value"), [("max_page_size", 5), ("seed_file", None)])
def test_serve_arguments_refuse_what_serve_cannot_set(setting: str, value: object) -> None:
    with pytest.raises(ValueError, match=setting):
        serve_arguments(Config(**{setting: value}))  # type: ignore[arg-type]


def test_log_level_defaults_belong_to_each_command() -> None:
    """The report commands default to warning without changing the others' default."""
    parser = build_parser()
    levels = {
        command: parser.parse_args([command]).log_level
        for command in ("serve", "reset", "export-schema", "contract")
    }
    assert levels == {
        "serve": "info",
        "reset": "info",
        "export-schema": "warning",
        "contract": "warning",
    }
    assert parser.parse_args(["--log-level", "debug", "serve"]).log_level == "debug"
    assert parser.parse_args(["serve", "--log-level", "error"]).log_level == "error"
