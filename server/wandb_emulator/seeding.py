"""Creating users, organizations and teams from fixture commands and seed files.

The fixture service (W&B's local-testcontainer protocol), the default seed and
`wandb-emulator seed FILE` all go through these functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .store import accounts, projects
from .store.database import Conn, Database
from .store.errors import NotFound
from .store.records import EntityRec, OrganizationRec, UserRec
from .validation import check_name

ORG_ROLES = ("admin", "member", "viewer")


class SeedError(ValueError):
    pass


async def ensure_user(
    conn: Conn,
    username: str,
    *,
    email: str | None = None,
    api_key: str | None = None,
    admin: bool = False,
    password: str | None = None,
) -> UserRec:
    """Create the user if missing. Its API key defaults to its username, as in W&B's tests."""
    check_name("user", username)
    user = await accounts.user_by_username(conn, username)
    if user is None:
        user = await accounts.create_user(
            conn,
            username,
            email=email or f"{username}@example.com",
            admin=admin,
            password=password,
            api_key=api_key or username,
        )
    return user


async def require_user(conn: Conn, username: str) -> UserRec:
    user = await accounts.user_by_username(conn, username)
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


async def ensure_organization(
    conn: Conn, name: str, *, org_entity_name: str | None = None
) -> OrganizationRec:
    check_name("organization", name)
    org = await accounts.org_by_name(conn, name)
    if org is None:
        entity_name = org_entity_name or await accounts.free_entity_name(conn, f"{name}-org")
        org = await accounts.create_organization(conn, name, check_name("entity", entity_name))
    return org


async def require_organization(conn: Conn, name: str) -> OrganizationRec:
    org = await accounts.org_by_name(conn, name)
    if org is None:
        raise NotFound(f"organization {name!r} not found")
    return org


async def add_org_member(conn: Conn, org: OrganizationRec, username: str, role: str) -> None:
    if role not in ORG_ROLES:
        raise SeedError(f"invalid organization role {role!r}; expected one of {ORG_ROLES}")
    user = await require_user(conn, username)
    await accounts.set_org_member(conn, org.id, user.id, role)


async def ensure_team(conn: Conn, name: str, org: OrganizationRec) -> EntityRec:
    check_name("team", name)
    team = await accounts.entity_by_name(conn, name)
    if team is None:
        team = await accounts.create_team(conn, name, org.id)
    elif team.kind != "TEAM" or team.organization_id != org.id:
        raise SeedError(f"entity {name!r} exists and is not a team of {org.name!r}")
    return team


async def add_team_member(conn: Conn, team: EntityRec, username: str, role: str) -> None:
    user = await require_user(conn, username)
    await accounts.set_team_member(conn, team.id, user.id, "admin" if role == "admin" else "member")
    if team.organization_id is not None and (
        await accounts.org_role(conn, team.organization_id, user.id) is None
    ):
        await accounts.set_org_member(conn, team.organization_id, user.id, "member")


async def set_default_entity(conn: Conn, username: str, entity_name: str) -> None:
    user = await require_user(conn, username)
    entity = await accounts.require_entity(conn, entity_name)
    await accounts.set_default_entity(conn, user.id, entity.id)


# ------------------------------------------------------------- seed files


async def apply_seed(db: Database, seed: dict[str, Any]) -> None:
    """Apply a seed document (users, organizations, teams, registries) in one transaction."""
    async with db.write() as conn:
        for spec in seed.get("users", []):
            await ensure_user(
                conn,
                spec["username"],
                email=spec.get("email"),
                api_key=spec.get("apiKey"),
                admin=bool(spec.get("admin", False)),
            )
        for spec in seed.get("organizations", []):
            org = await ensure_organization(
                conn, spec["name"], org_entity_name=spec.get("orgEntityName")
            )
            for member in spec.get("members", []):
                await add_org_member(conn, org, member["username"], member.get("role", "member"))
        for spec in seed.get("teams", []):
            org = await require_organization(conn, spec["organization"])
            team = await ensure_team(conn, spec["name"], org)
            for member in spec.get("members", []):
                await add_team_member(conn, team, member["username"], member.get("role", "member"))
        for spec in seed.get("registries", []):
            await _seed_registry(conn, spec)
        for spec in seed.get("users", []):
            if default := spec.get("defaultEntity"):
                await set_default_entity(conn, spec["username"], default)


async def _seed_registry(conn: Conn, spec: dict[str, Any]) -> None:
    org = await require_organization(conn, spec["organization"])
    assert org.org_entity_id is not None
    name = "wandb-registry-" + spec["name"]
    if await projects.project_by_name(conn, org.org_entity_id, name) is not None:
        return
    visibility = spec.get("visibility", "organization")
    types = spec.get("artifactTypes") or []
    project = await projects.create_project(
        conn,
        org.org_entity_id,
        check_name("registry", name),
        description=spec.get("description"),
        access="RESTRICTED" if visibility == "restricted" else "PRIVATE",
        allow_all_artifact_types=not types,
    )
    await projects.allow_artifact_types(conn, project.id, types)
    for member in spec.get("members", []):
        user = await require_user(conn, member["username"])
        await projects.set_user_member(conn, project.id, user.id, member.get("role", "member"))


def load_seed_file(path: Path) -> dict[str, Any]:
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise SeedError("YAML seed files need PyYAML (pip install pyyaml)") from exc
        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise SeedError(f"{path}: a seed file holds one object")
    return data
