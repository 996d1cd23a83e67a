"""Where objects go in a bucket laid out as W&B lays out its own (paths relative to the
blob store's prefix). A store that takes uploads itself (`BlobStore.takes_uploads`)
receives every upload at one of these paths; the domain records them.

- `wandb_artifacts/<sequence>/<version>/<md5 hex>`: an artifact file, at the path of the
  first version that announced its content (later versions with the same bytes point
  there: identical bytes are stored once).
- `wandb_artifacts/<sequence>/<version>/wandb_manifest.json`: a version's manifest (the
  one the client uploaded, or the one the emulator merged from patches or from an
  incremental manifest and its base); the patches that runs of a distributed version
  upload go beside it, one object per upload URL.
- `wandb_runs/<run id>/<file name>`: a run file; a new upload of the same name
  replaces it. Named by the run's id (not its entity, project and name, which may be
  renamed), so that every place that hands out or reads a run file's upload agrees on
  its object without recording it first.
"""

from __future__ import annotations

import uuid

ARTIFACTS = "wandb_artifacts/"
RUNS = "wandb_runs/"
ROOTS = (ARTIFACTS, RUNS)
MANIFEST = "wandb_manifest.json"


def artifact_file(sequence_id: int, artifact_id: int, md5_hex: str) -> str:
    return f"{ARTIFACTS}{sequence_id}/{artifact_id}/{md5_hex}"


def manifest(sequence_id: int, artifact_id: int) -> str:
    return f"{ARTIFACTS}{sequence_id}/{artifact_id}/{MANIFEST}"


def manifest_patch(sequence_id: int, artifact_id: int) -> str:
    """A fresh object for one patch upload (several runs upload patches at once)."""
    return f"{ARTIFACTS}{sequence_id}/{artifact_id}/wandb_manifest.patch.{uuid.uuid4().hex}.json"


def run_file(run_id: int, name: str) -> str:
    return f"{RUNS}{run_id}/" + "/".join(_segment(s) for s in name.split("/"))


def _segment(text: str) -> str:
    """One segment of an object name, kept as it is unless a URL would not carry it
    as it is: empty, `.` and `..` segments (clients drop or resolve them) are escaped,
    and so is `%`, so that distinct names stay distinct objects."""
    escaped = text.replace("%", "%25")
    return {"": "%", ".": "%2E", "..": "%2E%2E"}.get(escaped, escaped)
