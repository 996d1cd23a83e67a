"""Several SDK processes logging and linking into one collection at the same time."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

from conftest import ON_S3, OrgSetup, run_in_parallel

from wandb_emulator.testing import RunningEmulator

WORKERS = 4
SHARED = b"the same bytes in every process" * 100

WORKER = textwrap.dedent(
    """
    import pathlib, sys, tempfile, wandb
    base_url, key, team, worker, shared = sys.argv[1:6]
    settings = wandb.Settings(api_key=key, base_url=base_url, silent=True)
    root = pathlib.Path(tempfile.mkdtemp())
    (root / "own.txt").write_text(f"worker {worker}")
    (root / "shared.bin").write_bytes(bytes.fromhex(shared))
    with wandb.init(entity=team, project="parallel", settings=settings) as run:
        artifact = wandb.Artifact(f"source-{worker}", type="model")
        artifact.add_dir(str(root))
        run.log_artifact(artifact)
        linked = run.link_artifact(artifact, "wandb-registry-models/contended")
    """
)


def test_parallel_links_get_distinct_gap_free_versions(
    org_setup: OrgSetup, server: RunningEmulator
) -> None:
    api = org_setup.admin.api()
    api.create_registry("models", "organization", organization=org_setup.org)
    run_in_parallel(
        WORKER,
        [
            [server.base_url, org_setup.admin.api_key, org_setup.team, str(n), SHARED.hex()]
            for n in range(WORKERS)
        ],
    )

    versions = list(api.registry("models", org_setup.org).versions())
    assert sorted(int(v.version[1:]) for v in versions) == list(range(WORKERS))
    assert len({v.source_name for v in versions}) == WORKERS
    assert api.artifact("wandb-registry-models/contended:latest").version == f"v{WORKERS - 1}"

    if not ON_S3:  # the bytes on disk: once, whole, and no staging file left
        key = hashlib.md5(SHARED).hexdigest()
        blobs = Path(server.config.data_dir, "blobs")
        stored = [p for p in blobs.rglob("*") if p.name == key]
        assert len(stored) == 1 and stored[0].read_bytes() == SHARED
        assert not list(blobs.glob(".upload-*"))
