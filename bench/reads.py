"""What SDK reads and UI pages cost the database: rows read (`Database.rows_read`) and SQL
statements run, per operation, with the reader's caches emptied first (cold) and then
again with them as the first call left them (warm).

Not a timing benchmark (not in `make bench`): run it before and after a change to the
read path, on the same scenario, and compare. The scenario is made with the real SDK
(a run logging an artifact with two files, linked into a registry, then used by a
second run); the operations are the SDK's own documents and the UI's pages.

    python bench/reads.py            # prints one line per operation
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _setup import sdk_environment

from wandb_emulator.store.database import Conn
from wandb_emulator.testing import EmulatorUser, RunningEmulator

REGISTRY = "reads"


class Statements:
    """Counts the statements the store sends to SQLite (result-cache hits excluded)."""

    def __init__(self) -> None:
        self.count = 0

    @contextmanager
    def counting(self) -> Iterator[None]:
        original = Conn._fetch

        def fetch(conn: Conn, *args: Any) -> Any:
            self.count += 1
            return original(conn, *args)

        Conn._fetch = fetch  # type: ignore[method-assign]
        try:
            yield
        finally:
            Conn._fetch = original  # type: ignore[method-assign]


def scenario(user: EmulatorUser, work: Path) -> dict[str, str]:
    """A run logs `model` (two files), links it into the registry; a second run uses it."""
    import wandb

    api = user.api()
    api.create_registry(REGISTRY, visibility="organization", organization=user.organization)
    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
    (work / "files").mkdir()
    (work / "files" / "a.bin").write_bytes(b"a" * 1000)
    (work / "files" / "b.txt").write_text("b")
    with wandb.init(entity=user.team, project="training", settings=settings) as run:
        run.log({"loss": 0.5})
        artifact = wandb.Artifact("model", type="model")
        artifact.add_dir(str(work / "files"))
        run.log_artifact(artifact, aliases=["best"]).wait()
        run.link_artifact(artifact, f"{user.organization}/wandb-registry-{REGISTRY}/models")
    with wandb.init(entity=user.team, project="training", settings=settings) as run:
        run.use_artifact(f"{user.team}/training/model:v0")
    linked = api.artifact(f"{user.organization}/wandb-registry-{REGISTRY}/models:v0")
    source = api.artifact(f"{user.team}/training/model:v0")
    return {
        "linked_id": linked.id,
        "source_id": source.id,
        "collection_id": source.collection.id,
        "run": run.id,
    }


def documents(user: EmulatorUser, ids: dict[str, str]) -> dict[str, tuple[str, dict]]:
    from wandb.sdk.artifacts._generated import operations as ops

    registry = {"entity": user.org_entity, "project": f"wandb-registry-{REGISTRY}"}
    by_org = {"organization": user.organization, "perPage": 100}
    return {
        "Viewer": (
            "query Viewer { viewer { id username entity teams { edges { node { name } } } } }",
            {},
        ),
        "FetchRegistry": (
            ops.FETCH_REGISTRY_GQL,
            {"name": registry["project"], "entity": user.org_entity},
        ),
        "FetchRegistries": (ops.FETCH_REGISTRIES_GQL, by_org),
        "RegistryCollections": (ops.REGISTRY_COLLECTIONS_GQL, by_org),
        "RegistryVersions": (ops.REGISTRY_VERSIONS_GQL, by_org),
        "ArtifactMembershipByName": (
            ops.ARTIFACT_MEMBERSHIP_BY_NAME_GQL,
            {**registry, "name": "models:latest"},
        ),
        "ArtifactByID": (ops.ARTIFACT_BY_ID_GQL, {"id": ids["linked_id"]}),
        "ArtifactMembershipFiles": (
            ops.ARTIFACT_MEMBERSHIP_FILES_GQL,
            {**registry, "collection": "models", "alias": "latest"},
        ),
        "FetchArtifactManifest": (ops.FETCH_ARTIFACT_MANIFEST_GQL, {"id": ids["source_id"]}),
        "ProjectArtifactCollections": (
            ops.PROJECT_ARTIFACT_COLLECTIONS_GQL,
            {"entity": user.team, "project": "training"},
        ),
        "ProjectArtifacts": (
            ops.PROJECT_ARTIFACTS_GQL,
            {"entity": user.team, "project": "training", "type": "model", "collection": "model"},
        ),
        "ArtifactCreatedBy": (ops.ARTIFACT_CREATED_BY_GQL, {"id": ids["source_id"]}),
        "ArtifactUsedBy": (ops.ARTIFACT_USED_BY_GQL, {"id": ids["source_id"]}),
        "ArtifactCollectionAliases": (
            ops.ARTIFACT_COLLECTION_ALIASES_GQL,
            {"id": ids["collection_id"]},
        ),
        "RegistryUserMembers": (ops.REGISTRY_USER_MEMBERS_GQL, registry),
        "FetchOrgInfoFromEntity": (ops.FETCH_ORG_INFO_FROM_ENTITY_GQL, {"entity": user.team}),
    }


def writes(user: EmulatorUser, ids: dict[str, str]) -> dict[str, tuple[str, dict]]:
    """Writes that pass the permission checks of their area (each leaves the state as
    the next run of the script finds it: same description, same link, same settings)."""
    from wandb.sdk.artifacts._generated import operations as ops

    registry = f"wandb-registry-{REGISTRY}"
    link = {
        "artifactID": ids["source_id"],
        "artifactPortfolioName": "models",
        "entityName": user.org_entity,
        "projectName": registry,
        "aliases": [],
    }
    return {
        "UpdateArtifact": (
            ops.UPDATE_ARTIFACT_GQL,
            {"input": {"artifactID": ids["source_id"], "description": "same"}},
        ),
        "LinkArtifact (again)": (ops.LINK_ARTIFACT_GQL, {"input": link}),
        "UpsertRegistry (update)": (
            ops.UPSERT_REGISTRY_GQL,
            {"input": {"name": registry, "entityName": user.org_entity, "description": "d"}},
        ),
    }


def pages(user: EmulatorUser, ids: dict[str, str]) -> dict[str, str]:
    registry = f"/orgs/{user.organization}/registry/{REGISTRY}"
    selection = f"selectionPath={user.org_entity}/wandb-registry-{REGISTRY}/models"
    return {
        "page /": "/",
        "page org": f"/orgs/{user.organization}",
        "page registry": registry,
        "page collection": f"{registry}?{selection}",
        "page version": f"{registry}?{selection}&view=membership&version=v0",
        "page project": f"/{user.team}/training",
        "page run": f"/{user.team}/training/runs/{ids['run']}",
    }


def signed_in(base_url: str, api_key: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    form = client.get("/_emulator/ui/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    answer = client.post(
        "/_emulator/ui/login", data={"csrf": csrf.group(1), "api_key": api_key, "next": "/"}
    )
    assert answer.status_code in (200, 303), answer.status_code
    return client


def measure(emulator: RunningEmulator, statements: Statements, call: Callable[[], None]) -> str:
    db = emulator.emulator.db

    async def empty_caches() -> None:
        db.results.invalidate()

    figures = []
    for cold in (True, False):
        if cold:
            emulator.call(empty_caches())
        rows, count = db.rows_read, statements.count
        call()
        figures.append(f"{db.rows_read - rows:4d} rows {statements.count - count:3d} statements")
    return "cold " + figures[0] + " | warm " + figures[1]


def main() -> int:
    work = sdk_environment()
    statements = Statements()
    with RunningEmulator(Path(tempfile.mkdtemp(prefix="reads-")) / "data") as emulator:
        user = emulator.new_user()
        ids = scenario(user, work)
        auth = ("api", user.api_key)
        graphql = emulator.base_url + "/graphql"

        def post(query: str, variables: dict) -> Callable[[], None]:
            def call() -> None:
                answer = httpx.post(
                    graphql, json={"query": query, "variables": variables}, auth=auth, timeout=30
                ).json()
                assert not answer.get("errors"), answer

            return call

        def get(client: httpx.Client, path: str) -> Callable[[], None]:
            def call() -> None:
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.status_code)

            return call

        with statements.counting():
            for name, (query, variables) in documents(user, ids).items():
                print(f"{name:28s} {measure(emulator, statements, post(query, variables))}")
            for name, (query, variables) in writes(user, ids).items():
                print(f"{name:28s} {measure(emulator, statements, post(query, variables))}")
            client = signed_in(emulator.base_url, user.api_key)
            try:
                for name, path in pages(user, ids).items():
                    print(f"{name:28s} {measure(emulator, statements, get(client, path))}")
            finally:
                client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
