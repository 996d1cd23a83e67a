"""Seed files: users, organizations, teams and registries applied in one transaction.

An adapter over the domain's system operations (`domain.accounts`,
`domain.organizations`, `domain.registries.seed_registry`), which the fixture service
uses too; what a seed creates is announced as events with `actor_id=None`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .domain import accounts, organizations, registries
from .domain.errors import DomainError, InvalidInput
from .domain.unit import Tx, UnitOfWork
from .store.errors import StoreError


class SeedError(InvalidInput):
    """A seed document (or file) that cannot be applied."""


# What applying a seed refuses with (a message for the client; nothing is applied).
SEED_ERRORS = (DomainError, StoreError, ValueError)


async def apply_seed(uow: UnitOfWork, seed: dict[str, Any]) -> None:
    """Apply a seed document (users, organizations, teams, registries) in one transaction."""
    async with uow.write() as tx:
        for spec in seed.get("users", []):
            await accounts.ensure_user(
                tx,
                spec["username"],
                email=spec.get("email"),
                api_key=spec.get("apiKey"),
                admin=bool(spec.get("admin", False)),
            )
        for spec in seed.get("organizations", []):
            org = await organizations.ensure_organization(
                tx, spec["name"], org_entity_name=spec.get("orgEntityName")
            )
            for member in spec.get("members", []):
                await organizations.add_org_member(
                    tx, org, member["username"], member.get("role", "member")
                )
        for spec in seed.get("teams", []):
            await _seed_team(tx, spec)
        for spec in seed.get("registries", []):
            await registries.seed_registry(
                tx,
                spec["organization"],
                spec["name"],
                description=spec.get("description"),
                visibility=spec.get("visibility", "organization"),
                artifact_types=spec.get("artifactTypes") or [],
                members=[(m["username"], m.get("role", "member")) for m in spec.get("members", [])],
            )
        for spec in seed.get("users", []):
            if default := spec.get("defaultEntity"):
                await accounts.set_default_entity(tx, spec["username"], default)


async def _seed_team(tx: Tx, spec: dict[str, Any]) -> None:
    org = await accounts.require_organization(tx.conn, spec["organization"])
    team = await accounts.ensure_team(tx, spec["name"], org)
    for member in spec.get("members", []):
        await accounts.add_team_member(tx, team, member["username"], member.get("role", "member"))


def first_user_key(seed: dict[str, Any]) -> str | None:
    """The API key of a seed's first user (its username when no key is given)."""
    users = seed.get("users") or []
    if not users or not isinstance(users[0], dict):
        return None
    key = users[0].get("apiKey") or users[0].get("username")
    return key if isinstance(key, str) else None


def load_seed_file(path: Path) -> dict[str, Any]:
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml  # a dependency; imported here to keep it off the start-up path

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise SeedError(f"{path}: a seed file holds one object")
    return data
