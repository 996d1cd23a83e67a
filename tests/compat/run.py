"""Run the compatibility scripts with older wandb releases, each release in its own
virtualenv, against a fresh emulator: the Registry round trip (`round_trip.py`) and
Tables across runs and a resume (`tables.py`).
Usage: python tests/compat/run.py [VERSION...]"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from wandb_emulator.testing import EmulatorProcess

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import conftest  # noqa: E402, F401  (the suite's SDK environment: temporary wandb dirs)

VERSIONS = ("0.28.2", "0.22.3")
# Each script and the releases it runs with.
SCRIPTS = {"round_trip.py": VERSIONS, "tables.py": ("0.28.2",)}
PACKAGES = ("httpx", "pandas")
VENVS = Path(os.environ.get("COMPAT_VENV_DIR", HERE.parent.parent / ".venv" / "compat-sdks"))


def sdk_python(version: str) -> Path:
    """A virtualenv with wandb==version (made once, then reused)."""
    venv = VENVS / version
    python = venv / "bin" / "python"
    installed = venv / ".installed"
    wanted = " ".join((f"wandb=={version}", *PACKAGES))
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if not installed.exists() or installed.read_text() != wanted:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *wanted.split()], check=True
        )
        installed.write_text(wanted)
    return python


def main(versions: list[str]) -> int:
    server = EmulatorProcess(Path(tempfile.mkdtemp(prefix="wandb-emulator-compat-")) / "data")
    server.start()
    failed = []
    urls = [server.base_url, server.fixture_url]
    try:
        for script, script_versions in SCRIPTS.items():
            for version in (v for v in versions if v in script_versions):
                result = subprocess.run(
                    [str(sdk_python(version)), str(HERE / script), *urls],
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                print(f"{script} wandb {version}: {'ok' if result.returncode == 0 else 'FAILED'}")
                if result.returncode != 0:
                    failed.append(f"{script} {version}")
                    print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
    finally:
        server.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:] or list(VERSIONS)))
