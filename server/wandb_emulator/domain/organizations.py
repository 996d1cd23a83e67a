"""Organizations, as seed files and the fixture service make and remove them (system
operations: naming rules, no permissions; organizations have no GraphQL mutations)."""

from __future__ import annotations

from .. import auth
from ..naming import check_name
from ..records import OrganizationRec, OrgRole, is_org_role
from ..store import accounts
from .accounts import require_user
from .errors import InvalidInput
from .registries import delete_registries_of
from .unit import Tx


def check_org_role(role: str) -> OrgRole:
    if not is_org_role(role):
        raise InvalidInput(f"invalid organization role {role!r}; expected one of {auth.ORG_ROLES}")
    return role


async def ensure_organization(
    tx: Tx, name: str, *, org_entity_name: str | None = None
) -> OrganizationRec:
    check_name("organization", name)
    org = await accounts.org_by_name(tx.conn, name)
    if org is None:
        entity_name = org_entity_name or await accounts.free_entity_name(tx.conn, f"{name}-org")
        org = await accounts.create_organization(tx.conn, name, check_name("entity", entity_name))
    return org


async def add_org_member(tx: Tx, org: OrganizationRec, username: str, role: str) -> None:
    checked = check_org_role(role)
    user = await require_user(tx.conn, username)
    await accounts.set_org_member(tx.conn, org.id, user.id, checked)


async def delete_organization(tx: Tx, name: str) -> bool:
    """Remove the organization with its entity, teams and registries (each announced)."""
    org = await accounts.org_by_name(tx.conn, name)
    if org is None:
        return False
    if org.org_entity_id is not None:
        await delete_registries_of(tx, org.org_entity_id)
    await accounts.delete_organization(tx.conn, org)
    return True
