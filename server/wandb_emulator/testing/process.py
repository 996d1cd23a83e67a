"""`wandb-emulator serve` in a child process, built from a `Config` (the CLI's
`serve_arguments` turns it into options): for tests that need a real process of their
own (kill -9, signals, restarts, `--tls-cert`, CLI options, `wandb verify`) and for
benchmarks. Seeds and resets go through /_emulator.

    with EmulatorProcess(tmp_dir, Config(log_level="debug")) as server:
        user = server.new_user()
        ...
    assert "POST /graphql" in server.log()
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from ..cli import serve_arguments
from ..config import Config
from .handle import START_TIMEOUT, EmulatorHandle
from .ports import free_port

PYTHON_MODULE = (sys.executable, "-m", "wandb_emulator")
_PRINTED_TOKEN = re.compile(r"^export WANDB_EMULATOR_CONTROL_TOKEN=(\S+)$", re.MULTILINE)


class EmulatorProcess(EmulatorHandle):
    """One `serve` process on free loopback ports (`port` keeps a given one, as a restart
    does); its output goes to `log_path`, by default beside the data directory. `options`:
    serve's options that are no setting of the Config (`--import`, `--export-on-exit`)."""

    def __init__(
        self,
        data_dir: Path,
        config: Config | None = None,
        *,
        port: int | None = None,
        command: Sequence[str] = PYTHON_MODULE,
        log_path: Path | None = None,
        env: Mapping[str, str] | None = None,
        options: Sequence[str] = (),
    ) -> None:
        self.config = replace(
            config or Config(log_level="warning"),
            data_dir=data_dir,
            host="127.0.0.1",
            port=port or free_port(),
            fixture_port=free_port(),
        )
        self._program, self._options = list(command), list(options)
        self.command = [*command, "serve", *serve_arguments(self.config), *options]
        self.log_path = log_path or data_dir.parent / f"{data_dir.name}-server.log"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.worker_pids: set[int] = set()  # the processes seen answering /ready

    # ------------------------------------------------------------------ lifecycle

    @property
    def fixture_url(self) -> str:
        return f"http://127.0.0.1:{self.config.fixture_port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the emulator process has not been launched")
        return self.process.pid

    def launch(self) -> EmulatorProcess:
        """Start the process without waiting for it to answer."""
        self.config.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                # Its workers in a process group of their own: `stop` signals them all.
                start_new_session=self.config.workers > 1,
            )
        return self

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> EmulatorProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited early:\n{self.log()}")
            if self._answers():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"the emulator was not ready after {timeout}s:\n{self.log()}")

    def _answers(self) -> bool:
        """Whether both ports answer, and every worker has answered /ready (each request
        on a connection of its own, so any worker may accept it)."""
        try:
            ready = httpx.get(self.base_url + "/ready", timeout=1, verify=self.verify)
            health = httpx.get(self.fixture_url + "/health", timeout=1)
        except httpx.TransportError:
            return False
        if ready.status_code == 200:
            self.worker_pids.add(ready.json()["process"])
        answered = ready.status_code == health.status_code == 200
        return answered and len(self.worker_pids) >= self.config.workers

    def start(self) -> EmulatorProcess:
        return self.launch().wait_until_ready()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` (SIGKILL: no shutdown at all) and wait; the exit code."""
        self.close_client()
        if self.process is None:
            return 0
        if self.process.poll() is None:
            if self.config.workers > 1:
                os.killpg(self.process.pid, sig)  # SIGKILL leaves no worker behind
            else:
                self.process.send_signal(sig)
        return self.process.wait(timeout=START_TIMEOUT)

    def restarted(self) -> EmulatorProcess:
        """A new process of the same configuration, data directory and port, started."""
        return EmulatorProcess(
            self.config.data_dir,
            self.config,
            port=self.config.port,
            command=self._program,
            log_path=self.log_path,
            env=self.env,
            options=self._options,
        ).start()

    def log(self) -> str:
        """What the process printed (the exports, warnings, log lines)."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    # ------------------------------------------------------------------ state

    @property
    def control_token(self) -> str:
        if self.config.control_token:
            return self.config.control_token
        printed = _PRINTED_TOKEN.findall(self.log())
        if not printed:
            raise RuntimeError("the emulator printed no control token (not ready yet?)")
        token: str = printed[-1]
        return token

    def seed(self, seed: dict[str, Any]) -> None:
        self._control("POST", "/seed", json=seed)

    def reset(self) -> None:
        self._control("POST", "/reset")

    def _control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(
            method, "/_emulator" + path, headers=self.control_headers, **kwargs
        )
        response.raise_for_status()
        return response
