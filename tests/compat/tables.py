"""Tables in one process with whatever wandb is installed: a `wandb.Table`, a Table
made from a pandas DataFrame, and an INCREMENTAL Table logged again after a resume.
Each Table log reads serverInfo's cliVersionInfo (older SDKs through the `Viewer`
query); a server without a max_cli_version made every later Table log in the process
fail. Run by tests/test_server_info.py (wandb 0.31.0) and `run.py` (older releases).

Usage: python tables.py BASE_URL FIXTURE_URL
"""

import os
import pathlib
import sys
import tempfile
import uuid

import httpx

base, fixture = sys.argv[1], sys.argv[2]
work = pathlib.Path(tempfile.mkdtemp())
os.chdir(work)  # Table.get downloads into ./artifacts
os.environ.update(
    WANDB_BASE_URL=base,
    WANDB_SILENT="true",
    WANDB_DIR=str(work),
    WANDB_CONFIG_DIR=str(work / "c"),
    WANDB_CACHE_DIR=str(work / "cache"),
    WANDB_DATA_DIR=str(work / "d"),
)
import pandas as pd  # noqa: E402
import wandb  # noqa: E402

user = "user-" + uuid.uuid4().hex + uuid.uuid4().hex[:8]
httpx.post(fixture + "/db/user", json={"command": "up", "username": user}).raise_for_status()
os.environ["WANDB_API_KEY"] = user
project = "tables"

with wandb.init(entity=user, project=project) as run:
    run.log({"plain": wandb.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])})
    frame = pd.DataFrame({"c": [1.5, 2.5, 3.5], "d": ["p", "q", "r"]})
    run.log({"frame": wandb.Table(dataframe=frame)})
    first_id = run.id

with wandb.init(entity=user, project=project) as run:
    growing = wandb.Table(columns=["step", "value"], log_mode="INCREMENTAL")
    growing.add_data(0, 0.5)
    run.log({"growing": growing})
    growing_id = run.id

with wandb.init(entity=user, project=project, id=growing_id, resume="must") as run:
    growing = wandb.Table(columns=["step", "value"], log_mode="INCREMENTAL")
    growing.add_data(1, 0.25)
    run.log({"growing": growing})
    run.log({"again": wandb.Table(columns=["z"], data=[[3]])})

api = wandb.Api(api_key=user)
first = api.run(f"{user}/{project}/{first_id}")
assert first.state == "finished", first.state
plain = api.artifact(f"{user}/{project}/run-{first_id}-plain:latest").get("plain")
assert plain.data == [[1, "x"], [2, "y"]], plain.data
frame_table = api.artifact(f"{user}/{project}/run-{first_id}-frame:latest").get("frame")
assert [row[1] for row in frame_table.data] == ["p", "q", "r"], frame_table.data
resumed = api.run(f"{user}/{project}/{growing_id}")
assert resumed.state == "finished", resumed.state
names = sorted(a.name.split(":")[0] for a in resumed.logged_artifacts())
assert any("growing" in name for name in names), names
assert any("again" in name for name in names), names
print("OK", wandb.__version__)
