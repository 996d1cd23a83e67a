"""Build the wheel, install it into a fresh venv outside the checkout, start
`wandb-emulator serve` from there, and use the printed key with the real SDK.

Run with the project's venv python (it has wandb): `python .ci/wheel_check.py`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import wandb

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*args: str, cwd: Path | None = None) -> None:
    print("$", " ".join(args), flush=True)
    subprocess.run(args, check=True, cwd=cwd)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="wandb-emulator-wheel-"))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work), str(ROOT))
    wheel = next(work.glob("wandb_emulator-*.whl"))
    print("built", wheel.name)
    venv = work / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    run(str(venv / "bin" / "pip"), "install", "--quiet", str(wheel))
    # Nothing of the checkout may leak in: run from the temp dir, no PYTHONPATH.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    port, fixture_port = free_port(), free_port()
    log_path = work / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(venv / "bin" / "wandb-emulator"), "serve", "--port", str(port),
             "--fixture-port", str(fixture_port), "--data-dir", str(work / "data")],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base_url + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the installed wheel's server never became ready")
        output = log_path.read_text()
        print(output.strip())
        match = re.search(r"export WANDB_API_KEY=(\S+)", output)
        if match is None:
            raise SystemExit("serve printed no API key: the packaged default seed is missing")
        api = wandb.Api(api_key=match.group(1), overrides={"base_url": base_url})
        viewer = api.viewer
        print(f"viewer: {viewer.username}, default entity: {api.default_entity}")
        assert viewer.username == "emulator", viewer.username
        assert api.default_entity == "emulator-team", api.default_entity
        # The web UI's templates and static files are package data: the home page (the
        # default user is signed in on loopback) lists the default org, the stylesheet loads.
        home = httpx.get(base_url + "/", timeout=10)
        assert home.status_code == 200 and "emulator-org" in home.text, home.text[:500]
        css = httpx.get(base_url + "/_emulator/ui/static/ui.css", timeout=10)
        assert css.status_code == 200 and "font-family" in css.text, css.status_code
        print("web UI served from the wheel")
        where = "import wandb_emulator; print(wandb_emulator.__file__)"
        installed = subprocess.run(
            [str(venv / "bin" / "python"), "-c", where],
            cwd=work, env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        assert str(ROOT) not in installed, installed
        print("wheel check OK:", installed)
        return 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
