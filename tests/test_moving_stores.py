"""Moving an emulator's state between databases with `wandb-emulator export` and
`import --database-url`: a SQLite data directory into PostgreSQL, served from there the
same through the SDK (and written on: new rows take new ids), then back into a SQLite data
directory. The snapshot's database is a SQLite file whatever the store, so the same two
commands move state either way."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_snapshots import _sdk_process_state, cli, make_world, read_back

from wandb_emulator.config import Config
from wandb_emulator.local_postgres import LocalPostgres, available
from wandb_emulator.snapshots import MANIFEST, check_manifest
from wandb_emulator.testing import RunningEmulator

__all__ = ["_sdk_process_state"]  # the autouse fixture, for this module's tests too


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalPostgres]:
    if not available() and os.environ.get("CI") != "true":
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with LocalPostgres() as started:
        yield started


def _manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        return check_manifest(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]


def test_a_sqlite_data_dir_moves_into_postgresql_and_back(
    cluster: LocalPostgres, tmp_path: Path
) -> None:
    with RunningEmulator(tmp_path / "sqlite") as first:
        world = make_world(first, tmp_path)
        before = read_back(world, first.base_url, tmp_path / "downloads-sqlite")
    moved = cli("export", str(tmp_path / "from-sqlite.tar"), "--data-dir", str(tmp_path / "sqlite"))
    assert moved.returncode == 0, moved.stderr

    url = cluster.create_database("moved")
    pg_dir = tmp_path / "pg"  # the blobs; the rows go to the database
    into_pg = ["--data-dir", str(pg_dir), "--database-url", url]
    imported = cli("import", str(tmp_path / "from-sqlite.tar"), *into_pg)
    assert imported.returncode == 0, imported.stderr
    again = cli("import", str(tmp_path / "from-sqlite.tar"), *into_pg)
    assert again.returncode == 2 and "already holds emulator data" in again.stderr

    with RunningEmulator(pg_dir, Config(database_url=url, log_level="warning")) as served:
        assert read_back(world, served.base_url, tmp_path / "downloads-pg") == before
        served.new_user()  # an id past every copied one
        exported = cli("export", str(tmp_path / "from-pg.tar"), *into_pg)
        assert exported.returncode == 0, exported.stderr

    back = cli("import", str(tmp_path / "from-pg.tar"), "--data-dir", str(tmp_path / "back"))
    assert back.returncode == 0, back.stderr
    with RunningEmulator(tmp_path / "back") as returned:
        assert read_back(world, returned.base_url, tmp_path / "downloads-back") == before

    first_counts = _manifest(tmp_path / "from-sqlite.tar")["counts"]
    second_counts = _manifest(tmp_path / "from-pg.tar")["counts"]
    assert second_counts["blobs"] == first_counts["blobs"] > 0
    grown = {
        table: count - first_counts["tables"][table]
        for table, count in second_counts["tables"].items()
        if count != first_counts["tables"][table]
    }
    assert grown["users"] == 1  # new_user's (with its organization and team)
