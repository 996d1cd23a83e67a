"""A Registry round trip with whatever wandb is installed: create and save a registry,
init a run, log and link an artifact, fetch and download it, list collections and
versions. Run by `run.py` under older SDK releases.

Usage: python round_trip.py BASE_URL FIXTURE_URL
"""

import filecmp
import os
import pathlib
import sys
import tempfile
import uuid

import httpx

base, fixture = sys.argv[1], sys.argv[2]
work = pathlib.Path(tempfile.mkdtemp())
os.environ.update(
    WANDB_BASE_URL=base,
    WANDB_SILENT="true",
    WANDB_DIR=str(work),
    WANDB_CONFIG_DIR=str(work / "c"),
    WANDB_CACHE_DIR=str(work / "cache"),
    WANDB_DATA_DIR=str(work / "d"),
)
import wandb  # noqa: E402

u = "user-" + uuid.uuid4().hex + uuid.uuid4().hex[:8]
org, team = "org-" + uuid.uuid4().hex[:8], "team-" + uuid.uuid4().hex[:8]
for path, body in [
    ("/db/user", {"command": "up", "username": u}),
    ("/db/organization", {"command": "up", "orgName": org, "username": u}),
    (
        "/db/team",
        {
            "command": "up",
            "username": u,
            "fixtureData": {"team": {"name": team}, "organization": {"name": org}},
        },
    ),
]:
    httpx.post(fixture + path, json=body).raise_for_status()
os.environ["WANDB_API_KEY"] = u
api = wandb.Api(api_key=u)
registry = api.create_registry("models", "organization", organization=org, artifact_types=["model"])
registry.description = "d"
registry.save()
assert api.registry("models", org).description == "d"
payload = work / "m.bin"
payload.write_bytes(os.urandom(5000))
with wandb.init(entity=team, project="p") as run:
    run.log({"x": 1})
    art = wandb.Artifact("m", type="model")
    art.add_file(str(payload))
    run.log_artifact(art)
    run.link_artifact(art, "wandb-registry-models/coll", aliases=["prod"])
fetched = api.artifact(f"{org}/wandb-registry-models/coll:prod")
out = fetched.download(root=str(work / "out"))
assert filecmp.cmp(os.path.join(out, "m.bin"), payload, shallow=False)
assert [c.name for c in registry.collections()] == ["coll"]
assert [v.version for v in registry.versions()] == ["v0"]
print("OK", wandb.__version__)
