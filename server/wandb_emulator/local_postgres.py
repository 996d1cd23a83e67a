"""A throwaway PostgreSQL cluster in a temporary directory, on a free loopback port.

For tests and benchmarks (`make test-postgres`): the machine's PostgreSQL binaries
(Debian keeps `initdb` and `pg_ctl` in `pg_config --bindir`, off PATH), fsync off, C
collation, started and stopped by whoever holds the `LocalPostgres`. As root, the cluster
runs as the `postgres` system user (PostgreSQL refuses to run as root).

    with LocalPostgres() as cluster:
        url = cluster.create_database("emulator")  # postgresql://...
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

START_TIMEOUT_S = 60
SUPERUSER = "emulator"


def _bindir() -> Path:
    """Where initdb and pg_ctl are: `pg_config --bindir`, else PATH."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        bindir = Path(found.stdout.strip())
        if found.returncode == 0 and (bindir / "initdb").exists():
            return bindir
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(
            "PostgreSQL is not installed (no pg_config --bindir, no initdb on PATH):"
            " apt-get install postgresql"
        )
    return Path(initdb).parent


def available() -> bool:
    try:
        _bindir()
    except RuntimeError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalPostgres:
    """initdb + pg_ctl start in a temporary directory; `stop()` removes everything."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="wandb-emulator-pg-"))
        self.data = self.root / "data"
        self._user = "postgres" if os.geteuid() == 0 else None
        self.started = False

    @property
    def url(self) -> str:
        """The URL of the cluster's `postgres` database, as its superuser."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self._user, "--"] if self._user else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> LocalPostgres:
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "start",
        )
        self.started = True
        return self

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database: its URL."""
        name = name or "emulator_" + uuid.uuid4().hex[:12]
        self._run(
            str(self.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            name,
        )
        return self.database_url(name)

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
