"""Build the wheel, install it into a fresh venv outside the checkout, start
`wandb-emulator serve` from there, and use the printed key with the real SDK.

Run with the project's venv python (it has wandb): `python .ci/wheel_check.py`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import wandb

from wandb_emulator.testing import EmulatorProcess

ROOT = Path(__file__).resolve().parent.parent


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
    # The installed console script runs from the wheel's venv (sys.path[0] is its bin/).
    server = EmulatorProcess(
        work / "data", command=[str(venv / "bin" / "wandb-emulator")], env=env
    ).launch()
    try:
        base_url = server.base_url
        try:
            server.wait_until_ready(timeout=60)
        except RuntimeError as exc:
            raise SystemExit(f"the installed wheel's server never became ready: {exc}") from exc
        output = server.log()
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
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
