"""Automations as other things list them (entities, organizations, projects, users):
the triggers, integrations and secrets the viewer may see, and what a trigger refers to
(its creator, scope and integration)."""

from __future__ import annotations

from ... import auth
from ...filters import parse_filter
from ...records import (
    CollectionRec,
    EntityRec,
    IntegrationRec,
    OrganizationRec,
    ProjectRec,
    SecretRec,
    TriggerRec,
    UserRec,
)
from ...store import accounts, artifacts, projects
from ...store import automations as store
from .. import automations as domain
from .paging import Page, page_of
from .session import ReadSession


def _name_filter(filters: str | None) -> str | None:
    """The automation name of a `{"name": ...}` filter (the only filter the SDK sends)."""
    name = parse_filter(filters).get("name")
    if isinstance(name, dict):
        name = name.get("$eq")
    return name if isinstance(name, str) else None


async def entity_triggers(
    reads: ReadSession,
    entity: EntityRec,
    first: int | None,
    after: str | None,
    order: str | None,
    filters: str | None,
) -> Page[TriggerRec]:
    """The automations of the entity's projects, registries and collections the viewer sees."""
    async with reads.db.read() as conn:
        triggers = await store.triggers_of_entity(conn, entity.id)
        visible = await domain.visible_triggers(conn, reads.viewer, triggers, _name_filter(filters))
    if order and order.lstrip("+-") == "name":
        visible.sort(key=lambda rec: rec.name, reverse=order.startswith("-"))
    return page_of(reads, visible, first, after)


async def org_triggers(
    reads: ReadSession,
    org: OrganizationRec,
    first: int | None,
    after: str | None,
    order: str | None,
    filters: str | None,
) -> Page[TriggerRec]:
    """The automations of the organization's registries (its org entity)."""
    org_entity_id = org.org_entity_id
    async with reads.db.read() as conn:
        entity = await accounts.entity_by_id(conn, org_entity_id) if org_entity_id else None
    if entity is None:
        return page_of(reads, [], first, after)
    return await entity_triggers(reads, entity, first, after, order, filters)


async def project_triggers(reads: ReadSession, project: ProjectRec) -> list[TriggerRec]:
    async with reads.db.read() as conn:
        return await domain.project_triggers(conn, reads.viewer, project)


async def entity_integrations(
    reads: ReadSession, entity: EntityRec, first: int | None, after: str | None
) -> Page[IntegrationRec]:
    async with reads.db.read() as conn:
        integrations = await domain.entity_integrations(conn, reads.viewer, entity)
    return page_of(reads, integrations, first, after)


async def entity_secrets(reads: ReadSession, entity: EntityRec) -> list[SecretRec]:
    """The entity's secrets, for its admins (only their names are ever shown)."""
    async with reads.db.read() as conn:
        if not await auth.allows(conn, reads.viewer, auth.Action.MANAGE_SECRETS, entity):
            return []
        return await store.secrets_of_entity(conn, entity.id)


async def projects_of_user(
    reads: ReadSession, user: UserRec, first: int | None, after: str | None
) -> Page[ProjectRec]:
    """The projects and registries of every entity the user belongs to (the legacy
    automation listing walks these); the viewer's own only."""
    visible: list[ProjectRec] = []
    async with reads.db.read() as conn:
        if await auth.allows(conn, reads.viewer, auth.Action.LIST_PROJECTS_OF_USER, user):
            visible = await domain.projects_of_user(conn, user)
    return page_of(reads, visible, first, after)


async def trigger_creator(reads: ReadSession, trigger: TriggerRec) -> UserRec | None:
    if trigger.created_by is None:
        return None
    async with reads.db.read() as conn:
        return await accounts.user_by_id(conn, trigger.created_by)


async def trigger_scope(reads: ReadSession, trigger: TriggerRec) -> ProjectRec | CollectionRec:
    """The project or collection a listed trigger is scoped to (listings leave out the
    triggers whose scope is gone, or invisible to the viewer)."""
    async with reads.db.read() as conn:
        if trigger.scope_type == "PROJECT":
            project = await projects.project_by_id(conn, trigger.scope_id)
            assert project is not None
            return project
        collection = await artifacts.collection_by_id(conn, trigger.scope_id)
    assert collection is not None
    return collection


async def integration(reads: ReadSession, integration_id: int | None) -> IntegrationRec | None:
    if not integration_id:
        return None
    async with reads.db.read() as conn:
        return await store.integration_by_id(conn, integration_id)
