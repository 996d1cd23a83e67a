"""Time of one page of Registry.versions() / collections() with many linked versions.

Versions are created through the same GraphQL operations wandb-core sends (without the
SDK, to keep set-up fast), then read back through the real SDK.
"""

from __future__ import annotations

import base64
import hashlib
import statistics
import time

import httpx
from _setup import registry_setup

VERSIONS = 200
COLLECTIONS = 10
CREATE = """mutation ($input: CreateArtifactInput!) { createArtifact(input: $input) {
  artifact { id } } }"""
MANIFEST = """mutation ($id: ID!, $entity: String!) { createArtifactManifest(input: {
  artifactID: $id, name: "wandb_manifest.json", digest: "d", entityName: $entity,
  projectName: "bench", runName: "", type: FULL}) { artifactManifest { file { uploadUrl } } } }"""
FILES = """mutation ($input: CreateArtifactFilesInput!) { createArtifactFiles(input: $input) {
  files { edges { node { uploadUrl } } } } }"""
COMMIT = "mutation ($id: ID!) { commitArtifact(input: {artifactID: $id}) { artifact { id } } }"
LINK = """mutation ($input: LinkArtifactInput!) { linkArtifact(input: $input) { versionIndex } }"""


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def logged_version(server, key: str, team: str, index: int) -> str:
    content = f"version {index}".encode()
    artifact = server.graphql(
        key,
        CREATE,
        {
            "input": {
                "artifactTypeName": "model",
                "artifactCollectionName": f"src-{index % COLLECTIONS}",
                "entityName": team,
                "projectName": "bench",
                "digest": f"digest-{index}",
                "digestAlgorithm": "MANIFEST_MD5",
                "tags": [{"tagName": f"t{index % 3}"}],
            }
        },
    ).json()["data"]["createArtifact"]["artifact"]["id"]
    files = server.graphql(
        key,
        FILES,
        {
            "input": {
                "artifactFiles": [{"artifactID": artifact, "name": "w.bin", "md5": b64md5(content)}]
            }
        },
    ).json()
    if url := files["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]["uploadUrl"]:
        httpx.put(url, content=content).raise_for_status()
    manifest_url = server.graphql(key, MANIFEST, {"id": artifact, "entity": team}).json()["data"][
        "createArtifactManifest"
    ]["artifactManifest"]["file"]["uploadUrl"]
    manifest = {
        "version": 1,
        "contents": {"w.bin": {"digest": b64md5(content), "size": len(content)}},
    }
    httpx.put(manifest_url, json=manifest).raise_for_status()
    server.graphql(key, COMMIT, {"id": artifact}).raise_for_status()
    return artifact


def main() -> None:
    with registry_setup("bench") as setup:
        server, admin, org, team = setup.server, setup.admin, setup.org, setup.team
        api = admin.api()
        org_entity = api.organization(org).org_entity.name
        for index in range(VERSIONS):
            artifact = logged_version(server, admin.api_key, team, index)
            server.graphql(
                admin.api_key,
                LINK,
                {
                    "input": {
                        "artifactID": artifact,
                        "artifactPortfolioName": f"coll-{index % COLLECTIONS}",
                        "entityName": org_entity,
                        "projectName": "wandb-registry-bench",
                        "aliases": [
                            {
                                "alias": f"a{index}",
                                "artifactCollectionName": f"coll-{index % COLLECTIONS}",
                            }
                        ],
                    }
                },
            ).raise_for_status()
        registry = api.registry("bench", org)
        for label, read in [
            (f"versions(), {VERSIONS} versions, 100 per page", lambda: list(registry.versions())),
            ("versions(filter alias)", lambda: list(registry.versions(filter={"alias": "a7"}))),
            (f"collections(), {COLLECTIONS}", lambda: list(registry.collections())),
        ]:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                read()
                times.append(time.perf_counter() - started)
            print(f"{label}: median {statistics.median(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
