"""The template variables of an event, read from the committed state (W&B's names)."""

from __future__ import annotations

import json
from typing import Any

from ..domain import events as ev
from ..ids import encode_id
from ..records import ArtifactRec, CollectionRec, RunRec
from ..store import accounts, artifacts, projects, runs
from ..store.database import Conn
from ..urls import Urls


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


async def _version_index(conn: Conn, event: ev.Event, collection: CollectionRec) -> int | None:
    if isinstance(event, (ev.ArtifactLinked, ev.ArtifactCommitted)):
        return event.version_index
    artifact_id = getattr(event, "artifact_id", None)
    if artifact_id is None:
        return None
    membership = await artifacts.membership_of(conn, collection.id, artifact_id)
    return membership.version_index if membership else None


async def _artifact_variables(
    conn: Conn, event: ev.Event, path: str, collection: CollectionRec, urls: Urls
) -> dict[str, Any]:
    artifact_id = getattr(event, "artifact_id", None)
    artifact: ArtifactRec | None = (
        await artifacts.artifact_by_id(conn, artifact_id) if artifact_id else None
    )
    index = await _version_index(conn, event, collection)
    if artifact is None or index is None:
        return {}
    aliases = [a.alias for a in await artifacts.aliases_of_artifact(conn, artifact.id)]
    metadata = _json(artifact.metadata)
    version = {
        "id": encode_id("Artifact", artifact.id),
        "name": f"{collection.name}:v{index}",
        "version": f"v{index}",
        "versionIndex": index,
        "type": await artifacts.artifact_type_name(conn, artifact.type_id),
        "digest": artifact.digest,
        "description": artifact.description,
        "metadata": metadata,
        "aliases": sorted(set(aliases)),
        "size": artifact.size,
        "fileCount": artifact.file_count,
        "state": artifact.state,
        "createdAt": artifact.created_at,
    }
    download = urls.manifest(artifact)
    return {
        "artifact_version": version,
        "artifact_version_string": f"{path}/{collection.name}:v{index}",
        "artifact_metadata": metadata,
        "artifact_download_url": download,
    }


def _config_values(config: dict[str, Any]) -> dict[str, Any]:
    """Run config as logged: `{key: {"value": v}}`, minus the SDK's `_wandb` entry."""
    return {
        key: value.get("value") if isinstance(value, dict) and "value" in value else value
        for key, value in config.items()
        if key != "_wandb"
    }


def run_variables(run: RunRec) -> dict[str, Any]:
    return {
        "run_name": run.display_name or run.name,
        "run_id": run.name,
        "run_state": run.state,
        "run_config": _config_values(_json(run.config)),
        "run_summary": {k: v for k, v in _json(run.summary_metrics).items() if k != "_wandb"},
    }


async def event_variables(
    conn: Conn, event: ev.Event, event_type: str, urls: Urls
) -> dict[str, Any]:
    """Every variable the event offers; the template picks what it uses."""
    author = await accounts.user_by_id(conn, event.actor_id) if event.actor_id else None
    project = await projects.project_by_id(conn, getattr(event, "project_id", 0))
    entity = await accounts.entity_by_id(conn, project.entity_id) if project else None
    variables: dict[str, Any] = {
        "event_type": event_type,
        "event_author": author.username if author else None,
        "event_timestamp": event.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "entity_name": entity.name if entity else None,
        "project_name": project.name if project else None,
    }
    for name in ("alias", "tag"):
        if isinstance(value := getattr(event, name, None), str):
            variables[name] = value
    if isinstance(event, ev.ArtifactLinked) and event.aliases:
        variables["alias"] = event.aliases[0]
    collection_id = getattr(event, "collection_id", None)
    collection = await artifacts.collection_by_id(conn, collection_id) if collection_id else None
    if collection is not None and entity is not None and project is not None:
        variables["artifact_collection_name"] = collection.name
        path = f"{entity.name}/{project.name}"
        variables.update(await _artifact_variables(conn, event, path, collection, urls))
    run_id = getattr(event, "run_id", None)
    run = await runs.run_by_id(conn, run_id) if run_id else None
    if run is not None:
        variables.update(run_variables(run))
    return variables
