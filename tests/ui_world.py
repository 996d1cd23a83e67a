"""A small world for the web UI's in-process tests and its benchmark: users, orgs,
registries (one restricted), a run with history, console output and a file, an artifact
it logged (linked into a registry) and a run that used it. Written through `store/`
directly, since these tests look at pages, not at how the SDK creates things."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from wandb_emulator.app import Emulator
from wandb_emulator.records import ArtifactFileRec, CollectionRec, UserRec, utc_now
from wandb_emulator.store import accounts, artifacts, projects, runs
from wandb_emulator.store.database import Conn

HOSTILE = "<script>alert(1)</script>"
WEIGHTS = b"the weights \x00\x01\x02"
SEED = {
    "users": [
        {"username": "alice", "apiKey": "alice-key"},
        {"username": "bob", "apiKey": "bob-key"},
        {"username": "carol", "apiKey": "carol-key"},
    ],
    "organizations": [
        {
            "name": "acme",
            "members": [
                {"username": "alice", "role": "admin"},
                {"username": "bob", "role": "member"},
            ],
        },
        {"name": "other-org", "members": [{"username": "carol", "role": "admin"}]},
    ],
    "teams": [
        {"name": "acme-team", "organization": "acme", "members": [{"username": "alice"}]},
    ],
    "registries": [
        {
            "name": "models",
            "organization": "acme",
            "description": f"Production models {HOSTILE}",
            "artifactTypes": ["model"],
            "members": [{"username": "bob", "role": "viewer"}],
        },
        {
            "name": "secret",
            "organization": "acme",
            "visibility": "restricted",
            "description": "only for the chosen",
            "members": [{"username": "alice", "role": "admin"}],
        },
    ],
}


@dataclass(frozen=True)
class World:
    org: str = "acme"
    team: str = "acme-team"
    project: str = "vision"
    run: str = "run-1"
    consumer: str = "run-2"
    sequence: str = "net"
    portfolio: str = "prod-net"
    org_entity: str = ""


def _md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


async def _user(conn: Conn, name: str) -> UserRec:
    user = await accounts.user_by_username(conn, name)
    assert user is not None
    return user


async def build_world(emulator: Emulator) -> World:
    await emulator.apply_seed(SEED)
    key = (await emulator.blobs.put(WEIGHTS)).key
    async with emulator.db.write() as conn:
        alice = await _user(conn, "alice")
        team = await accounts.require_entity(conn, "acme-team")
        project = await projects.create_project(conn, team.id, "vision")
        run, _ = await runs.upsert_run(
            conn,
            project.id,
            "run-1",
            {
                "display_name": HOSTILE,
                "config": json.dumps({"lr": {"value": 0.01}, "_wandb": {"value": {}}}),
                "summary_metrics": json.dumps({"loss": 0.1, "note": HOSTILE}),
                "state": "running",
            },
            alice.id,
        )
        history = [json.dumps({"_step": i, "loss": 1 / (i + 1), "acc": i / 10}) for i in range(10)]
        await runs.write_lines(conn, run.id, "wandb-history.jsonl", 0, history)
        await runs.write_lines(conn, run.id, "output.log", 0, ["epoch 1", f"said {HOSTILE}"])
        await runs.store_run_file(conn, run.id, "model.bin", key, len(WEIGHTS))
        await runs.finish_run(conn, run.id, 0, "finished")
        model = await artifacts.ensure_artifact_type(conn, project.id, "model")
        sequence = await artifacts.create_collection(conn, project.id, model.id, "net", "SEQUENCE")
        artifact = await add_version(
            conn, sequence, alice, run_id=run.id, key=key, aliases=["best"]
        )
        consumer, _ = await runs.upsert_run(
            conn, project.id, "run-2", {"state": "finished"}, alice.id
        )
        await artifacts.record_usage(conn, consumer.id, artifact, None)
        org = await accounts.org_by_name(conn, "acme")
        assert org is not None and org.org_entity_id is not None
        registry = await projects.project_by_name(conn, org.org_entity_id, "wandb-registry-models")
        assert registry is not None
        portfolio = await portfolio_of(conn, registry.id, "prod-net", "model")
        await artifacts.add_membership(conn, portfolio, artifact)
        await artifacts.set_alias(conn, portfolio.id, artifact, "production")
        await artifacts.tag_collection(
            conn, portfolio.id, await artifacts.ensure_tag(conn, "vision", None)
        )
        entity = await accounts.entity_by_id(conn, org.org_entity_id)
        assert entity is not None
    return World(org_entity=entity.name)


async def portfolio_of(conn: Conn, project_id: int, name: str, type_name: str) -> CollectionRec:
    kind = await artifacts.ensure_artifact_type(conn, project_id, type_name)
    return await artifacts.create_collection(
        conn, project_id, kind.id, name, "PORTFOLIO", description=f"linked {HOSTILE}"
    )


async def add_version(
    conn: Conn,
    sequence: CollectionRec,
    user: UserRec,
    *,
    run_id: int | None,
    key: str,
    aliases: list[str],
    digest: str | None = None,
) -> int:
    """Log and commit one version holding the weights file; its artifact id."""
    created = await artifacts.create_artifact(
        conn,
        sequence,
        digest=digest or hashlib.md5(f"{sequence.id}:{utc_now()}:{run_id}".encode()).hexdigest(),
        description=f"weights {HOSTILE}",
        metadata=json.dumps({"accuracy": 0.93, "layers": 12}),
        client_id=None,
        run_id=run_id,
        user_id=user.id,
        history_step=None,
        ttl_duration_seconds=None,
        aliases=aliases,
    )
    file = ArtifactFileRec(
        created.id, "weights.bin", _md5_b64(WEIGHTS), None, len(WEIGHTS), None, key, None, utc_now()
    )
    await artifacts.replace_files(conn, created.id, [file])
    await artifacts.commit_artifact(conn, created, len(WEIGHTS), 1)
    return created.id
