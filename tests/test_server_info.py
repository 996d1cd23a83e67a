"""serverInfo as the SDKs read it: version bounds and the local version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wandb_emulator.testing import Accounts, RunningEmulator

TABLES_SCRIPT = Path(__file__).parent / "compat" / "tables.py"


def test_server_info_has_version_bounds_and_local_version(
    server: RunningEmulator, accounts: Accounts
) -> None:
    user = accounts.user()
    query = """query Viewer { serverInfo { cliVersionInfo latestLocalVersionInfo {
        outOfDate latestVersionString versionOnThisInstanceString } } }"""
    info = server.graphql(user.api_key, query).json()["data"]["serverInfo"]

    bounds = info["cliVersionInfo"]
    assert bounds["min_cli_version"] == "0.11.0"
    assert bounds["max_cli_version"] == "999.0.0"
    local = info["latestLocalVersionInfo"]
    assert local["outOfDate"] is False
    assert local["latestVersionString"] == local["versionOnThisInstanceString"]


def test_tables_and_dataframes_across_runs_and_a_resume(server: RunningEmulator) -> None:
    """The same script `make compat` runs with wandb 0.28.2, here with 0.31.0."""
    result = subprocess.run(
        [sys.executable, str(TABLES_SCRIPT), server.base_url, server.fixture_url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "OK 0.31.0"
